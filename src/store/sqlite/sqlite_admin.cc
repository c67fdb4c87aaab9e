// SqliteStore: reads (get, list, stats, next run) and the operations a
// person triggers (retry, cancel, pause), plus retention.
//
// Reads use the reader connection: in WAL mode they see the last commit and
// never wait for the writer.
#include <map>
#include <string>

#include "store/sqlite/sqlite_store_impl.h"

namespace steward::sqlite {

namespace {

// Why a state change did not apply: the job is missing, or in `state`.
Result<JobState> CurrentState(Conn& conn, int64_t id) {
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, conn.Prepare("SELECT state FROM jobs WHERE id = ?1"));
  Stmt s(conn, raw);
  s.Bind(1, id);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("read job state"));
  if (!row) return NotFound("job " + std::to_string(id) + " does not exist");
  auto st = ParseJobState(s.Text(0));
  if (!st) return Internal("job " + std::to_string(id) + " has unknown state " + s.Text(0));
  return *st;
}

}  // namespace

Result<std::optional<Timestamp>> SqliteStore::JobNextRunAt(const std::string& queue) {
  static const std::string sql =
      std::string("SELECT min(run_at) FROM jobs WHERE queue = ?1 AND ") + kPendingStates;
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  s.Bind(1, queue);
  STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("next run_at"));
  if (!row) return std::optional<Timestamp>();
  return s.OptTime(0);
}

Result<Job> SqliteStore::JobGet(int64_t id) {
  static const std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?1";
  std::lock_guard lock(reader_->mu());
  // One snapshot for the job and its errors.
  Txn txn(*reader_, Txn::Mode::kRead);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  Job job;
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
    Stmt s(*reader_, raw);
    s.Bind(1, id);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("get job"));
    if (!row) return NotFound("job " + std::to_string(id) + " does not exist");
    STEWARD_ASSIGN_OR_RETURN(job, ReadJob(s));
  }
  {
    // Insertion order, which is attempt order (a job retried by a person
    // starts again at attempt 1 after its older errors).
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        reader_->Prepare("SELECT attempt, at, message, detail, worker, duration_us FROM job_errors "
                         "WHERE job_id = ?1 ORDER BY id"));
    Stmt s(*reader_, raw);
    s.Bind(1, id);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("get job errors"));
      if (!row) break;
      AttemptError e{.attempt = static_cast<int>(s.Int(0)),
                     .at = s.Time(1),
                     .message = s.Text(2),
                     .detail = s.Text(3),
                     .worker = s.OptText(4).value_or(""),
                     .duration = std::nullopt};
      if (!s.IsNull(5)) e.duration = Micros(s.Int(5));
      job.errors.push_back(std::move(e));
    }
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return job;
}

Result<std::vector<Job>> SqliteStore::JobList(const JobListParams& p) {
  if (p.limit < 1 || p.limit > 1000) {
    return InvalidArgument("list limit must be in 1..1000, got " + std::to_string(p.limit));
  }
  // Unused parameters are simply left unbound; the statement text (one per
  // filter combination, at most 16) is cached like any other.
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE 1 = 1";
  if (p.queue) sql += " AND queue = ?1";
  if (p.state) sql += " AND state = ?2";
  if (p.kind) sql += " AND kind = ?3";
  if (p.before_id) sql += " AND id < ?4";
  sql += " ORDER BY id DESC LIMIT ?5";
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(sql));
  Stmt s(*reader_, raw);
  if (p.queue) s.Bind(1, *p.queue);
  if (p.state) s.Bind(2, JobStateName(*p.state));
  if (p.kind) s.Bind(3, *p.kind);
  if (p.before_id) s.Bind(4, *p.before_id);
  s.Bind(5, p.limit);
  std::vector<Job> out;
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("list jobs"));
    if (!row) break;
    STEWARD_ASSIGN_OR_RETURN(Job job, ReadJob(s));
    out.push_back(std::move(job));
  }
  return out;
}

Status SqliteStore::JobRetry(int64_t id, Timestamp now) {
  static const std::string sql =
      std::string(
          "UPDATE jobs SET state = 'available', run_at = ?2, attempt = 0, finished_at = NULL, "
          "cancel_requested = 0, lease_owner = NULL, lease_expires_at = NULL "
          "WHERE id = ?1 AND ") +
      kFinishedStates + " RETURNING queue";
  std::string queue;
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    // Out of its finished count first (nothing if it is not finished; an
    // update that then fails rolls this back with it).
    const int64_t ids[] = {id};
    STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, ids, -1));
    bool applied = false;
    {
      STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
      Stmt s(*writer_, raw);
      s.Bind(1, id);
      s.Bind(2, now);
      auto row = s.Step("retry job");
      if (!row.ok()) {
        if (row.status().code() == StatusCode::kAlreadyExists) {
          return AlreadyExists("job " + std::to_string(id) +
                               " cannot be retried: an unfinished job holds its unique key");
        }
        return row.status();
      }
      if (*row) {
        applied = true;
        queue = s.Text(0);
      }
    }
    if (!applied) {
      STEWARD_ASSIGN_OR_RETURN(JobState state, CurrentState(*writer_, id));
      return FailedPrecondition("job " + std::to_string(id) + " is " +
                                std::string(JobStateName(state)) +
                                "; only completed, discarded or cancelled jobs can be retried");
    }
    STEWARD_RETURN_IF_ERROR(txn.Commit());
  }
  NotifyJobsAdded(queue);
  return Status::Ok();
}

Status SqliteStore::JobRunNow(int64_t id, Timestamp now) {
  static const std::string sql =
      std::string("UPDATE jobs SET state = 'available', run_at = min(run_at, ?2) WHERE id = ?1 AND ") +
      kPendingStates + " RETURNING queue";
  std::string queue;
  {
    std::lock_guard lock(writer_->mu());
    Txn txn(*writer_, Txn::Mode::kWrite);
    STEWARD_RETURN_IF_ERROR(txn.Begin());
    std::optional<std::string> applied;
    {
      STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
      Stmt s(*writer_, raw);
      s.Bind(1, id);
      s.Bind(2, now);
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("run job now"));
      if (row) applied = s.Text(0);
    }
    if (!applied) {
      STEWARD_ASSIGN_OR_RETURN(JobState state, CurrentState(*writer_, id));
      return FailedPrecondition("job " + std::to_string(id) + " is " +
                                std::string(JobStateName(state)) +
                                "; only scheduled, available or retryable jobs can be run now");
    }
    STEWARD_RETURN_IF_ERROR(txn.Commit());
    queue = *applied;
  }
  NotifyJobsAdded(queue);
  return Status::Ok();
}

Result<JobState> SqliteStore::JobCancel(int64_t id, Timestamp now) {
  // A running job cannot be stopped from here: flag it, and its worker
  // learns of it at the next lease extension.
  static const std::string sql =
      std::string(
          "UPDATE jobs SET "
          "state = CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END, "
          "cancel_requested = CASE WHEN state = 'running' THEN 1 ELSE cancel_requested END, "
          "finished_at = CASE WHEN state = 'running' THEN finished_at ELSE ?2 END "
          "WHERE id = ?1 AND ") +
      kUnfinishedStates + " RETURNING state";
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  std::optional<JobState> new_state;
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
    Stmt s(*writer_, raw);
    s.Bind(1, id);
    s.Bind(2, now);
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("cancel job"));
    if (row) new_state = ParseJobState(s.Text(0));
  }
  if (new_state == JobState::kCancelled) {
    const int64_t ids[] = {id};
    STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, ids, +1));
  }
  if (!new_state) {
    STEWARD_ASSIGN_OR_RETURN(JobState state, CurrentState(*writer_, id));
    return FailedPrecondition("job " + std::to_string(id) + " is already " +
                              std::string(JobStateName(state)) + "; it cannot be cancelled");
  }
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return *new_state;
}

Status SqliteStore::JobDiscard(int64_t id, Timestamp now) {
  static const std::string sql =
      std::string("UPDATE jobs SET state = 'discarded', finished_at = ?2 WHERE id = ?1 AND ") +
      kPendingStates;
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(sql));
    Stmt s(*writer_, raw);
    s.Bind(1, id);
    s.Bind(2, now);
    STEWARD_RETURN_IF_ERROR(s.Run("discard job"));
  }
  if (sqlite3_changes(writer_->db()) != 1) {
    STEWARD_ASSIGN_OR_RETURN(JobState state, CurrentState(*writer_, id));
    return FailedPrecondition("job " + std::to_string(id) + " is " +
                              std::string(JobStateName(state)) +
                              "; only scheduled, available or retryable jobs can be discarded");
  }
  const int64_t ids[] = {id};
  STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, ids, +1));
  return txn.Commit();
}

Result<int> SqliteStore::JobDeleteFinished(const JobDeleteFinishedParams& p) {
  if (p.limit <= 0) return InvalidArgument("delete limit must be > 0, got " + std::to_string(p.limit));
  // Walks the finished_at index up to the later cutoff, oldest first; the
  // per-state cutoffs then pick what goes. Errors go with their job (cascade).
  static const std::string pick =
      std::string("SELECT id FROM jobs WHERE ") + kFinishedStates +
      " AND finished_at < max(?1, ?2) AND ((state = 'completed' AND finished_at < ?1) "
      "OR (state <> 'completed' AND finished_at < ?2)) ORDER BY finished_at LIMIT ?3";
  std::lock_guard lock(writer_->mu());
  Txn txn(*writer_, Txn::Mode::kWrite);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  std::vector<int64_t> ids;
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, writer_->Prepare(pick));
    Stmt s(*writer_, raw);
    s.Bind(1, p.completed_before);
    s.Bind(2, p.failed_before);
    s.Bind(3, p.limit);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("pick finished jobs to delete"));
      if (!row) break;
      ids.push_back(s.Int(0));
    }
  }
  if (ids.empty()) return 0;
  STEWARD_RETURN_IF_ERROR(CountFinished(*writer_, ids, -1));
  {
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?1))"));
    Stmt s(*writer_, raw);
    s.Bind(1, JsonIdList(ids));
    STEWARD_RETURN_IF_ERROR(s.Run("delete finished jobs"));
  }
  int deleted = sqlite3_changes(writer_->db());
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return deleted;
}

namespace {

QueueStats& QueueEntry(std::map<std::string, QueueStats>& by_queue, const std::string& name) {
  QueueStats& q = by_queue[name];
  q.queue = name;
  return q;
}

int64_t* StateCount(QueueStats& q, JobState state) {
  switch (state) {
    case JobState::kScheduled: return &q.scheduled;
    case JobState::kAvailable: return &q.available;
    case JobState::kRunning: return &q.running;
    case JobState::kRetryable: return &q.retryable;
    case JobState::kCompleted: return &q.completed;
    case JobState::kDiscarded: return &q.discarded;
    case JobState::kCancelled: return &q.cancelled;
  }
  return nullptr;
}

}  // namespace

// Queue stats never read finished rows (migrations/0005_queue_counts.sql):
// pending and running jobs through their partial indexes, so the cost
// follows the jobs waiting and running, not the retained history.
Status SqliteStore::ReadPendingStats(Timestamp now, bool by_state,
                                     std::map<std::string, QueueStats>& by_queue) {
  // Through jobs_claim: the WHERE repeats its partial term.
  static const std::string by_state_sql =
      std::string("SELECT queue, state, count(*), sum(run_at <= ?1), "
                  "min(CASE WHEN run_at <= ?1 THEN run_at END) FROM jobs WHERE ") +
      kPendingStates + " GROUP BY queue, state";
  static const std::string due_sql =
      std::string("SELECT queue, NULL, 0, count(*), min(run_at) FROM jobs WHERE ") + kPendingStates +
      " AND run_at <= ?1 GROUP BY queue";
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare(by_state ? by_state_sql : due_sql));
  Stmt s(*reader_, raw);
  s.Bind(1, now);
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("queue stats"));
    if (!row) break;
    QueueStats& q = QueueEntry(by_queue, s.Text(0));
    if (by_state) {
      auto state = ParseJobState(s.Text(1));
      if (!state) return Internal("unknown job state in database: " + s.Text(1));
      *StateCount(q, *state) = s.Int(2);
    }
    q.due += s.Int(3);
    if (!s.IsNull(4)) {
      Micros age = now - s.Time(4);
      if (!q.oldest_due_age || age > *q.oldest_due_age) q.oldest_due_age = age;
    }
  }
  return Status::Ok();
}

Result<std::vector<QueueStats>> SqliteStore::QueueStatsAll(Timestamp now) {
  std::map<std::string, QueueStats> by_queue;  // sorted by name
  std::lock_guard lock(reader_->mu());
  Txn txn(*reader_, Txn::Mode::kRead);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  STEWARD_RETURN_IF_ERROR(ReadPendingStats(now, /*by_state=*/true, by_queue));
  {
    // Through jobs_lease (partial on state = 'running').
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        reader_->Prepare("SELECT queue, count(*) FROM jobs WHERE state = 'running' GROUP BY queue"));
    Stmt s(*reader_, raw);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("running counts"));
      if (!row) break;
      QueueEntry(by_queue, s.Text(0)).running = s.Int(1);
    }
  }
  {
    // Kept by the store's writes (CountFinished); a queue whose finished
    // jobs were all deleted keeps a row with n = 0, which must not bring
    // the queue back.
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                             reader_->Prepare("SELECT queue, state, n FROM job_counts WHERE n <> 0"));
    Stmt s(*reader_, raw);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("finished counts"));
      if (!row) break;
      auto state = ParseJobState(s.Text(1));
      if (!state) return Internal("unknown job state in job_counts: " + s.Text(1));
      *StateCount(QueueEntry(by_queue, s.Text(0)), *state) = s.Int(2);
    }
  }
  STEWARD_RETURN_IF_ERROR(ReadQueueSettings(by_queue));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  std::vector<QueueStats> out;
  out.reserve(by_queue.size());
  for (auto& [name, q] : by_queue) out.push_back(std::move(q));
  return out;
}

Result<std::vector<QueueStats>> SqliteStore::QueueLagAll(Timestamp now) {
  std::map<std::string, QueueStats> by_queue;
  std::lock_guard lock(reader_->mu());
  Txn txn(*reader_, Txn::Mode::kRead);
  STEWARD_RETURN_IF_ERROR(txn.Begin());
  STEWARD_RETURN_IF_ERROR(ReadPendingStats(now, /*by_state=*/false, by_queue));
  STEWARD_RETURN_IF_ERROR(ReadQueueSettings(by_queue));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  std::vector<QueueStats> out;
  out.reserve(by_queue.size());
  for (auto& [name, q] : by_queue) out.push_back(std::move(q));
  return out;
}

// Adds every queue that has settings (paused or not) to `by_queue`. Runs on
// the reader inside the caller's transaction.
Status SqliteStore::ReadQueueSettings(std::map<std::string, QueueStats>& by_queue) {
  {
    STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw, reader_->Prepare("SELECT name, paused FROM queues"));
    Stmt s(*reader_, raw);
    while (true) {
      STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("queue settings"));
      if (!row) break;
      std::string name = s.Text(0);
      QueueStats& q = by_queue[name];
      q.queue = name;
      q.paused = s.Int(1) != 0;
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SqliteStore::QueuesPaused() {
  std::vector<std::string> out;
  std::lock_guard lock(reader_->mu());
  STEWARD_ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                           reader_->Prepare("SELECT name FROM queues WHERE paused = 1"));
  Stmt s(*reader_, raw);
  while (true) {
    STEWARD_ASSIGN_OR_RETURN(bool row, s.Step("paused queues"));
    if (!row) break;
    out.push_back(s.Text(0));
  }
  return out;
}

Status SqliteStore::QueueSetPaused(const std::string& queue, bool paused) {
  // Same name rules as for jobs; kind is a placeholder that passes.
  NewJob probe;
  probe.kind = "x";
  probe.queue = queue;
  STEWARD_RETURN_IF_ERROR(ValidateNewJob(probe));
  {
    std::lock_guard lock(writer_->mu());
    STEWARD_ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        writer_->Prepare(
            "INSERT INTO queues (name, paused, updated_at) VALUES (?1, ?2, "
            "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)) "
            "ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, "
            "updated_at = excluded.updated_at"));
    Stmt s(*writer_, raw);
    s.Bind(1, queue);
    s.Bind(2, paused);
    STEWARD_RETURN_IF_ERROR(s.Run("set queue paused"));
  }
  // Resumed: fetchers idling on this queue should look at once.
  if (!paused) NotifyJobsAdded(queue);
  return Status::Ok();
}

}  // namespace steward::sqlite
