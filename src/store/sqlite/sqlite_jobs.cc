// SqliteStore: the job hot path (insert, claim, complete, leases, rescue).
//
// Every write runs on the one writer connection under its mutex, inside
// BEGIN IMMEDIATE, with cached prepared statements. A rule shared by every
// transition out of running: a job whose cancellation was requested never
// goes back to pending (retry, snooze, release, rescue); it becomes cancelled.
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>

#include "store/sqlite/sqlite_store_impl.h"

namespace steward::sqlite {

namespace {

constexpr const char* kInsertColumnList =
    "INSERT INTO jobs (queue, kind, payload, priority, run_at, max_attempts, state, unique_key, "
    "created_at) VALUES ";
constexpr int kInsertColumns = 9;
// 50 rows x 9 parameters stays far below SQLite's bound-variable limit (999
// in old builds, 32766 since 3.32).
constexpr size_t kRowsPerInsert = 50;
// One row; ON CONFLICT DO NOTHING lets the partial unique index decide.
const std::string kInsertSql =
    std::string(kInsertColumnList) + "(?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

// n rows of jobs without a unique key, which cannot conflict.
std::string MultiInsertSql(size_t n) {
  std::string sql = kInsertColumnList;
  for (size_t i = 0; i < n; ++i) sql += i == 0 ? "(?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?)";
  return sql;
}

// Binds one NewJob to parameters base+1 .. base+kInsertColumns.
void BindNewJob(Stmt& s, int base, const NewJob& job, Timestamp now) {
  const Timestamp run_at = job.run_at.value_or(now);
  s.Bind(base + 1, job.queue);
  s.Bind(base + 2, job.kind);
  s.Bind(base + 3, job.payload);
  s.Bind(base + 4, job.priority);
  s.Bind(base + 5, run_at);
  s.Bind(base + 6, job.max_attempts);
  s.Bind(base + 7, run_at > now ? "scheduled" : "available");
  s.Bind(base + 8, job.unique_key);
  s.Bind(base + 9, now);
}
// Repeats the unique index's WHERE so the index answers it.
const std::string& FindUniqueSql() {
  static const std::string sql =
      std::string("SELECT id FROM jobs WHERE unique_key = ?1 AND unique_key IS NOT NULL AND ") +
      kUnfinishedStates;
  return sql;
}

// Per completion kind; all share ?1 id, ?2 worker, ?3 attempt, ?4
// finished_at, ?5 retry_at. Kinds whose outcome is fixed use no RETURNING:
// SQLite builds a temporary b-tree for each RETURNING execution, which made
// completions several times slower on the hot path.
constexpr const char* kOwned =
    ", lease_owner = NULL, lease_expires_at = NULL "
    "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 AND attempt = ?3";
constexpr const char* kCompletedSql = "UPDATE jobs SET state = 'completed', finished_at = ?4";
constexpr const char* kRetrySql =
    "UPDATE jobs SET "
    "state = CASE WHEN cancel_requested THEN 'cancelled' "
    "  WHEN attempt >= max_attempts THEN 'discarded' ELSE 'retryable' END, "
    "run_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN run_at ELSE ?5 END, "
    "finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN ?4 END";
constexpr const char* kSnoozeSql =
    "UPDATE jobs SET "
    "state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'scheduled' END, "
    "run_at = CASE WHEN cancel_requested THEN run_at ELSE ?5 END, "
    "attempt = CASE WHEN cancel_requested THEN attempt ELSE attempt - 1 END, "
    "finished_at = CASE WHEN cancel_requested THEN ?4 END";
constexpr const char* kDiscardSql = "UPDATE jobs SET state = 'discarded', finished_at = ?4";
constexpr const char* kCancelledSql = "UPDATE jobs SET state = 'cancelled', finished_at = ?4";

struct CompletionStatement {
  std::string sql;
  std::optional<JobState> fixed_state;  // nullopt: read from RETURNING state
};

// Built once: the completion loop runs per job on the hot path.
const CompletionStatement& CompletionSql(JobCompletion::Kind kind) {
  static const CompletionStatement sqls[] = {
      {std::string(kCompletedSql) + kOwned, JobState::kCompleted},
      {std::string(kRetrySql) + kOwned + " RETURNING state", std::nullopt},
      {std::string(kSnoozeSql) + kOwned + " RETURNING state", std::nullopt},
      {std::string(kDiscardSql) + kOwned, JobState::kDiscarded},
      {std::string(kCancelledSql) + kOwned, JobState::kCancelled},
  };
  switch (kind) {
    case JobCompletion::Kind::kCompleted:
      return sqls[0];
    case JobCompletion::Kind::kRetry:
      return sqls[1];
    case JobCompletion::Kind::kSnooze:
      return sqls[2];
    case JobCompletion::Kind::kDiscard:
      return sqls[3];
    case JobCompletion::Kind::kCancelled:
      return sqls[4];
  }
  return sqls[0];
}

Result<JobState> ParseState(const std::string& s) {
  auto st = ParseJobState(s);
  if (!st) return Internal("unknown job state in database: " + s);
  return *st;
}

}  // namespace

Status SqliteStore::InsertError(int64_t job_id, int attempt, Timestamp at,
                                const std::string& message, const std::string& detail,
                                const std::string& worker, Timestamp ended_at) {
  // The attempt ran from the job's started_at (set by the claim, kept by
  // every transition out of running) to ended_at.
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      writer_->Prepare("INSERT INTO job_errors (job_id, attempt, at, message, detail, worker, "
                       "duration_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                       "?7 - (SELECT started_at FROM jobs WHERE id = ?1))"));
  Stmt s(*writer_, raw);
  s.Bind(1, job_id);
  s.Bind(2, attempt);
  s.Bind(3, at);
  s.Bind(4, message);
  s.Bind(5, detail);
  s.Bind(6, worker);
  s.Bind(7, ended_at);
  return s.Run("record attempt error");
}

Result<std::vector<InsertedJob>> SqliteStore::JobInsertMany(std::span<const NewJob> jobs,
                                                            Timestamp now) {
  // Validate everything first: all or nothing, and nothing touches the disk
  // for a bad batch.
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status st = ValidateNewJob(jobs[i]);
    if (!st.ok()) return st.WithContext("job " + std::to_string(i) + " of the batch");
  }
  std::vector<InsertedJob> out;
  if (jobs.empty()) return out;
  out.reserve(jobs.size());
  std::vector<std::string> queues;  // distinct queues that got new jobs
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * insert, writer_->Prepare(kInsertSql));
    for (size_t i = 0; i < jobs.size();) {
      const NewJob& job = jobs[i];
      // Runs of jobs without a unique key (the bulk case) go in as multi-row
      // INSERTs: per-statement overhead, AUTOINCREMENT bookkeeping included,
      // dominated the cost of one-row inserts.
      if (!job.unique_key) {
        size_t n = 0;
        while (i + n < jobs.size() && n < kRowsPerInsert && !jobs[i + n].unique_key) ++n;
        if (n > 1) {
          STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * multi, writer_->Prepare(MultiInsertSql(n)));
          {
            Stmt s(*writer_, multi);
            for (size_t k = 0; k < n; ++k) {
              BindNewJob(s, static_cast<int>(k) * kInsertColumns, jobs[i + k], now);
            }
            STEWARD_RETURN_IF_ERROR(s.Run("insert jobs"));
          }
          if (sqlite3_changes(writer_->db()) != static_cast<int>(n)) {
            return Internal("multi-row insert stored fewer rows than given");
          }
          // AUTOINCREMENT hands out max+1 per row and we hold the write lock,
          // so one statement's rows have consecutive ids in VALUES order.
          const int64_t last = sqlite3_last_insert_rowid(writer_->db());
          for (size_t k = 0; k < n; ++k) {
            out.push_back({.id = last - static_cast<int64_t>(n - 1 - k), .duplicate = false});
            const std::string& q = jobs[i + k].queue;
            if (std::find(queues.begin(), queues.end(), q) == queues.end()) queues.push_back(q);
          }
          i += n;
          continue;
        }
      }
      ++i;
      {
        Stmt s(*writer_, insert);
        BindNewJob(s, 0, job, now);
        STEWARD_RETURN_IF_ERROR(s.Run("insert job"));
      }
      if (sqlite3_changes(writer_->db()) == 1) {
        out.push_back({.id = sqlite3_last_insert_rowid(writer_->db()), .duplicate = false});
        if (std::find(queues.begin(), queues.end(), job.queue) == queues.end()) {
          queues.push_back(job.queue);
        }
        continue;
      }
      // The unique index refused the row: an unfinished job (possibly one
      // earlier in this batch) holds the key. Report that job.
      if (!job.unique_key) return Internal("insert of a job without unique_key was ignored");
      STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * find, writer_->Prepare(FindUniqueSql()));
      Stmt f(*writer_, find);
      f.Bind(1, *job.unique_key);
      STEWARD_ASSIGN_OR_RETURN(bool row, f.Step("find job by unique key"));
      if (!row) return Internal("unique key conflict without an unfinished holder");
      out.push_back({.id = f.Int(0), .duplicate = true});
    }
    STEWARD_RETURN_IF_ERROR(txn.Commit());
  }
  for (const std::string& q : queues) NotifyJobsAdded(q);
  return out;
}

Result<std::vector<Job>> SqliteStore::JobClaim(const JobClaimParams& p) {
  if (p.limit <= 0) return InvalidArgument("claim limit must be > 0, got " + std::to_string(p.limit));
  if (p.worker_id.empty()) return InvalidArgument("claim needs a worker_id");
  static const std::string sql =
      std::string(
          "UPDATE jobs SET state = 'running', attempt = attempt + 1, started_at = ?2, "
          "lease_owner = ?3, lease_expires_at = ?4 "
          "WHERE id IN (SELECT id FROM jobs WHERE queue = ?1 AND ") +
      kPendingStates +
      " AND run_at <= ?2 AND NOT EXISTS (SELECT 1 FROM queues WHERE name = ?1 AND paused = 1) "
      "ORDER BY priority, run_at, id LIMIT ?5) RETURNING " +
      kJobColumns;
  std::vector<Job> out;
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
    Stmt s(*writer_, raw);
    s.Bind(1, p.queue);
    s.Bind(2, p.now);
    s.Bind(3, p.worker_id);
    s.Bind(4, p.lease_until);
    s.Bind(5, p.limit);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("claim jobs"));
      if (!row) break;
      STEWARD_ASSIGN_OR_RETURN(Job job, ReadJob(s));
      out.push_back(std::move(job));
    }
    STEWARD_RETURN_IF_ERROR(txn.Commit());
  }
  // RETURNING yields rows in no promised order; hand them out in claim order.
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.run_at, a.id) < std::tie(b.priority, b.run_at, b.id);
  });
  return out;
}

Result<std::vector<JobCompletionResult>> SqliteStore::JobCompleteMany(
    std::span<const JobCompletion> completions) {
  std::vector<JobCompletionResult> out;
  if (completions.empty()) return out;
  out.reserve(completions.size());
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  // job_counts deltas, written once for the batch: per (queue, state) when
  // the caller gave the queue, else by id (the row tells the queue).
  std::map<std::pair<std::string, JobState>, int64_t> finished_by_queue;
  std::vector<int64_t> finished_ids;
  for (const JobCompletion& c : completions) {
    JobCompletionResult r{.id = c.id, .applied = false, .new_state = JobState::kRunning};
    {
      const CompletionStatement& cs = CompletionSql(c.kind);
      STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(cs.sql));
      Stmt s(*writer_, raw);
      s.Bind(1, c.id);
      s.Bind(2, c.worker_id);
      s.Bind(3, c.attempt);
      s.Bind(4, c.finished_at);
      if (!cs.fixed_state) s.Bind(5, c.retry_at);
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("complete job"));
      if (cs.fixed_state) {
        r.applied = sqlite3_changes(writer_->db()) == 1;
        if (r.applied) r.new_state = *cs.fixed_state;
      } else if (row) {
        r.applied = true;
        STEWARD_ASSIGN_OR_RETURN(r.new_state, ParseState(s.Text(0)));
      }
    }
    // A snooze is not a failure, so its error (if any) is not recorded.
    if (r.applied && c.error && c.kind != JobCompletion::Kind::kSnooze) {
      Timestamp at = c.error->at == Timestamp{} ? c.finished_at : c.error->at;
      STEWARD_RETURN_IF_ERROR(InsertError(c.id, c.attempt, at, c.error->message, c.error->detail,
                                          c.worker_id, c.finished_at));
    }
    if (r.applied && IsFinished(r.new_state)) {
      if (c.queue.empty()) {
        finished_ids.push_back(c.id);
      } else {
        ++finished_by_queue[{c.queue, r.new_state}];
      }
    }
    out.push_back(r);
  }
  STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, finished_ids, +1));
  STEWARD_RETURN_IF_ERROR(AddFinishedCounts(*writer_, finished_by_queue));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<std::vector<int64_t>> SqliteStore::JobExtendLeases(const std::string& worker_id,
                                                          std::span<const int64_t> ids,
                                                          Timestamp lease_until) {
  std::vector<int64_t> cancel_requested;
  if (ids.empty()) return cancel_requested;
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  // Two primary-key lookups per id are cheaper than one RETURNING (which
  // builds a temporary b-tree per execution).
  STEWARD_ASSIGN_OR_RETURN(
      sqlite3_stmt * update,
      writer_->Prepare("UPDATE jobs SET lease_expires_at = ?3 WHERE id = ?1 AND state = 'running' "
                       "AND lease_owner = ?2"));
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * check,
                           writer_->Prepare("SELECT cancel_requested FROM jobs WHERE id = ?1"));
  for (int64_t id : ids) {
    {
      Stmt s(*writer_, update);
      s.Bind(1, id);
      s.Bind(2, worker_id);
      s.Bind(3, lease_until);
      STEWARD_RETURN_IF_ERROR(s.Run("extend lease"));
    }
    if (sqlite3_changes(writer_->db()) != 1) continue;
    Stmt s(*writer_, check);
    s.Bind(1, id);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read cancel request"));
    if (row && s.Int(0) != 0) cancel_requested.push_back(id);
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return cancel_requested;
}

Result<int> SqliteStore::JobRelease(const std::string& worker_id, std::span<const int64_t> ids,
                                    Timestamp now) {
  if (ids.empty()) return 0;
  std::vector<std::string> queues;
  std::vector<int64_t> cancelled;
  int released = 0;
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare(
            "UPDATE jobs SET "
            "state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'available' END, "
            "run_at = CASE WHEN cancel_requested THEN run_at ELSE ?3 END, "
            "attempt = CASE WHEN cancel_requested THEN attempt ELSE attempt - 1 END, "
            "finished_at = CASE WHEN cancel_requested THEN ?3 END, "
            "lease_owner = NULL, lease_expires_at = NULL "
            "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2 RETURNING queue, state"));
    for (int64_t id : ids) {
      Stmt s(*writer_, raw);
      s.Bind(1, id);
      s.Bind(2, worker_id);
      s.Bind(3, now);
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("release job"));
      if (!row) continue;
      ++released;
      if (s.Text(1) == "cancelled") cancelled.push_back(id);
      std::string queue = s.Text(0);
      if (s.Text(1) == "available" &&
          std::find(queues.begin(), queues.end(), queue) == queues.end()) {
        queues.push_back(std::move(queue));
      }
    }
    STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, cancelled, +1));
    STEWARD_RETURN_IF_ERROR(txn.Commit());
  }
  // Released jobs are due at once; another worker in this process may take them.
  for (const std::string& q : queues) NotifyJobsAdded(q);
  return released;
}

Result<std::vector<RescuedJob>> SqliteStore::JobRescueExpired(const JobRescueParams& p) {
  if (p.limit <= 0) return InvalidArgument("rescue limit must be > 0, got " + std::to_string(p.limit));
  struct Expired {
    RescuedJob job;
    int attempt;
    bool cancel_requested;
  };
  std::vector<Expired> expired;
  std::vector<RescuedJob> out;
  std::vector<std::string> queues;
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    {
      STEWARD_ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          writer_->Prepare("SELECT id, kind, queue, lease_owner, attempt, max_attempts, "
                           "cancel_requested FROM jobs WHERE state = 'running' "
                           "AND lease_expires_at < ?1 ORDER BY lease_expires_at LIMIT ?2"));
      Stmt s(*writer_, raw);
      s.Bind(1, p.now);
      s.Bind(2, p.limit);
      while (true) {
        STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("find expired leases"));
        if (!row) break;
        Expired e{.job = {.id = s.Int(0),
                          .kind = s.Text(1),
                          .queue = s.Text(2),
                          .lost_worker = s.Text(3),
                          .new_state = JobState::kRetryable},
                  .attempt = static_cast<int>(s.Int(4)),
                  .cancel_requested = s.Int(6) != 0};
        if (e.cancel_requested) {
          e.job.new_state = JobState::kCancelled;
        } else if (e.attempt >= s.Int(5)) {
          e.job.new_state = JobState::kDiscarded;
        }
        expired.push_back(std::move(e));
      }
    }
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * update,
        writer_->Prepare("UPDATE jobs SET state = ?2, "
                         "run_at = CASE WHEN ?2 = 'retryable' THEN ?3 ELSE run_at END, "
                         "finished_at = CASE WHEN ?2 = 'retryable' THEN NULL ELSE ?3 END, "
                         "lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1"));
    for (const Expired& e : expired) {
      {
        Stmt s(*writer_, update);
        s.Bind(1, e.job.id);
        s.Bind(2, JobStateName(e.job.new_state));
        s.Bind(3, p.now);
        STEWARD_RETURN_IF_ERROR(s.Run("rescue job"));
      }
      STEWARD_RETURN_IF_ERROR(InsertError(e.job.id, e.attempt, p.now, p.rescue_message,
                                          "lease owner " + e.job.lost_worker, e.job.lost_worker,
                                          p.now));
      if (e.job.new_state == JobState::kRetryable &&
          std::find(queues.begin(), queues.end(), e.job.queue) == queues.end()) {
        queues.push_back(e.job.queue);
      }
      out.push_back(e.job);
    }
    std::vector<int64_t> ids;
    for (const Expired& e : expired) ids.push_back(e.job.id);
    STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, ids, +1));  // the discarded and cancelled ones
    STEWARD_RETURN_IF_ERROR(txn.Commit());
  }
  for (const std::string& q : queues) NotifyJobsAdded(q);
  return out;
}

}  // namespace steward::sqlite
