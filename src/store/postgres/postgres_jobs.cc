// PostgresStore: job and queue operations. Every call is one round trip
// (one statement in autocommit) except JobInsertMany, which needs a
// transaction to look up the ids of duplicates. Batches travel as parallel
// arrays expanded with unnest(), so a batch of 500 costs one statement.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "core/json_limits.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_errors.h"
#include "store/postgres/pg_job_rows.h"
#include "store/postgres/postgres_store.h"

namespace steward {

using pg::Exec;
using pg::Params;
using pg::RowsToJobs;
using pg::RowToJob;
using pg::StateOf;

namespace {

// kLockInIdOrder: every statement that locks several jobs it names (lease
// extension, release, the cancels of a
// schedule's jobs) locks them in ascending id order, in a MATERIALIZED
// "SELECT ... ORDER BY id FOR UPDATE" before it updates them. Two such
// statements over overlapping ids then wait for each other instead of
// deadlocking; an UPDATE alone locks in whatever order its plan visits rows
// (a bitmap scan: physical order). complete_jobs() (migration 6) already
// locks in id order: its input is sorted by id and its SET flags force a
// nested loop over it. A "locked" CTE joined into it (tried) let the planner
// walk the whole table per batch: drain fell from ~20,000 to 750 jobs/s.
// Claims, rescue and retention lock with
// SKIP LOCKED and never wait.

constexpr const char* kPending = "('scheduled', 'available', 'retryable')";

// The error belongs to the attempt being completed, whatever e.attempt says.
std::string ErrorJson(const AttemptError& e, int attempt, Timestamp default_at) {
  nlohmann::json j = {
      {"attempt", attempt},
      {"at", ToMicros(e.at != Timestamp{} ? e.at : default_at)},
      {"message", e.message},
      {"detail", e.detail},
  };
  return j.dump();
}

std::string_view OutcomeName(JobCompletion::Kind k) {
  switch (k) {
    case JobCompletion::Kind::kCompleted: return "completed";
    case JobCompletion::Kind::kRetry: return "retry";
    case JobCompletion::Kind::kSnooze: return "snooze";
    case JobCompletion::Kind::kDiscard: return "discard";
    case JobCompletion::Kind::kCancelled: return "cancelled";
  }
  return "completed";
}

// Inserts jobs[idx] for every idx in `which`. Ids come from the sequence
// before the insert, so each input row knows its id whether or not it was
// inserted; rows skipped by ON CONFLICT (a unique_key held by an unfinished
// job, possibly one earlier in the same batch) come back with inserted=false.
constexpr const char* kInsertSql = R"sql(
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int8[],
                       $6::int4[], $7::text[], $8::text[])
    WITH ORDINALITY AS t(queue, kind, payload, priority, run_at, max_attempts, state,
                         unique_key, ord)
), ids AS (
  SELECT ord, nextval('jobs_id_seq') AS id FROM input
), ins AS (
  INSERT INTO jobs (id, queue, kind, payload, priority, run_at, attempt, max_attempts,
                    state, unique_key, created_at)
  SELECT ids.id, i.queue, i.kind, i.payload::json, i.priority, ts(i.run_at), 0,
         i.max_attempts, i.state, i.unique_key, ts($9)
    FROM input i JOIN ids USING (ord)
   ORDER BY i.ord
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT ids.ord, ids.id, ins.id IS NOT NULL FROM ids LEFT JOIN ins USING (id) ORDER BY ids.ord
)sql";

}  // namespace

Result<std::vector<InsertedJob>> PostgresStore::JobInsertMany(std::span<const NewJob> jobs,
                                                              Timestamp now) {
  for (size_t i = 0; i < jobs.size(); ++i) {
    Status st = ValidateNewJob(jobs[i]);
    if (!st.ok()) {
      return jobs.size() == 1 ? st : st.WithContext("job " + std::to_string(i));
    }
  }
  std::vector<InsertedJob> out(jobs.size());
  if (jobs.empty()) return out;

  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobInsertMany"));
  PGconn* c = conn.get();
  STEWARD_ASSIGN_OR_RETURN(auto begin, Exec(c, "inserting jobs", "BEGIN"));

  std::vector<size_t> todo(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) todo[i] = i;
  std::set<std::string> queues;
  // Round 1 inserts everything. A duplicate whose holder finishes (or is
  // rolled back) before we look it up has no id to report; such rows are
  // inserted again in the next round. More than a few rounds means heavy
  // churn on one key: report it as transient.
  for (int round = 0; !todo.empty(); ++round) {
    if (round == 5) return Unavailable("inserting jobs: unique_key contention, try again");
    std::vector<std::string> q, kind, payload, state;
    std::vector<int> priority, max_attempts;
    std::vector<int64_t> run_at;
    std::vector<std::optional<std::string>> key;
    for (size_t idx : todo) {
      const NewJob& j = jobs[idx];
      Timestamp ra = j.run_at.value_or(now);
      q.push_back(j.queue);
      kind.push_back(j.kind);
      payload.push_back(j.payload);
      priority.push_back(j.priority);
      run_at.push_back(ToMicros(ra));
      max_attempts.push_back(j.max_attempts);
      state.emplace_back(ra > now ? "scheduled" : "available");
      key.push_back(j.unique_key);
    }
    Params p;
    p.Add(pg::TextArray(q)).Add(pg::TextArray(kind)).Add(pg::TextArray(payload));
    p.Add(pg::IntArray(priority)).Add(pg::IntArray(run_at)).Add(pg::IntArray(max_attempts));
    p.Add(pg::TextArray(state)).Add(pg::TextArray(key)).Add(now);
    STEWARD_ASSIGN_OR_RETURN(auto r, Exec(c, "inserting jobs", kInsertSql, p));

    std::vector<size_t> dups;
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      size_t idx = todo[pg::GetInt64(r.get(), row, 0) - 1];
      if (pg::GetBool(r.get(), row, 2)) {
        out[idx] = InsertedJob{.id = pg::GetInt64(r.get(), row, 1), .duplicate = false};
        queues.insert(jobs[idx].queue);
      } else {
        dups.push_back(idx);
      }
    }
    todo.clear();
    if (dups.empty()) break;
    // READ COMMITTED: this statement sees rows committed by others since the
    // insert waited on them, and our own rows from this batch.
    std::vector<std::string> keys;
    for (size_t idx : dups) keys.push_back(*jobs[idx].unique_key);
    STEWARD_ASSIGN_OR_RETURN(
        auto existing,
        Exec(c, "looking up duplicate jobs",
             "SELECT unique_key, id FROM jobs WHERE unique_key = ANY($1::text[]) AND state NOT "
             "IN ('completed', 'discarded', 'cancelled')",
             Params().Add(pg::TextArray(keys))));
    std::map<std::string, int64_t> by_key;
    for (int row = 0; row < PQntuples(existing.get()); ++row) {
      by_key[pg::GetText(existing.get(), row, 0)] = pg::GetInt64(existing.get(), row, 1);
    }
    for (size_t idx : dups) {
      auto it = by_key.find(*jobs[idx].unique_key);
      if (it == by_key.end()) {
        todo.push_back(idx);
      } else {
        out[idx] = InsertedJob{.id = it->second, .duplicate = true};
      }
    }
  }
  STEWARD_ASSIGN_OR_RETURN(auto commit, Exec(c, "committing jobs", "COMMIT"));
  conn.Release();
  // Other processes hear of the jobs through the trigger's NOTIFY; tell this
  // process's fetchers at once.
  for (const auto& q : queues) NotifyJobsAdded(q);
  return out;
}

Result<std::vector<Job>> PostgresStore::JobClaim(const JobClaimParams& p) {
  if (p.limit <= 0) return InvalidArgument("claim limit must be > 0, got " + std::to_string(p.limit));
  if (p.queue.empty()) return InvalidArgument("claim queue must not be empty");
  // claim_jobs() (migration 0006) holds the statement; it pins the plan to
  // an index walk in claim order whatever the table's statistics say.
  static const char* const sql =
      "SELECT " STEWARD_JOB_COLUMNS " FROM claim_jobs($1, $2, $3, $4, $5) AS j";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobClaim:" + p.queue));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "claiming jobs", sql,
                   Params().Add(p.queue).Add(p.now).Add(p.limit).Add(p.worker_id).Add(p.lease_until)));
  auto jobs = RowsToJobs(r.get());
  // RETURNING has no order; hand jobs out in claim order.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.run_at, a.id) < std::tie(b.priority, b.run_at, b.id);
  });
  return jobs;
}

Result<std::vector<JobCompletionResult>> PostgresStore::JobCompleteMany(
    std::span<const JobCompletion> completions) {
  std::vector<JobCompletionResult> out(completions.size());
  if (completions.empty()) return out;
  // One statement for the batch: complete_jobs() (migration 0006) applies
  // each completion whose job still runs under that worker and attempt, the
  // first of repeated ids only (the rest report applied=false, as separate
  // calls would), under a plan that does not depend on statistics.
  constexpr const char* kSql =
      "SELECT ord, state FROM complete_jobs($1::int8[], $2::text[], $3::int4[], $4::text[], "
      "$5::int8[], $6::int8[], $7::jsonb[])";
  std::vector<int64_t> ids, finished, retry;
  std::vector<std::string> workers, outcomes;
  std::vector<int> attempts;
  std::vector<std::optional<std::string>> errs;
  for (const auto& c : completions) {
    ids.push_back(c.id);
    workers.push_back(c.worker_id);
    attempts.push_back(c.attempt);
    outcomes.emplace_back(OutcomeName(c.kind));
    finished.push_back(ToMicros(c.finished_at));
    retry.push_back(ToMicros(c.retry_at));
    // A snooze is not a failure, so an error given with it is not recorded.
    errs.push_back(c.error && c.kind != JobCompletion::Kind::kSnooze
                       ? std::optional(ErrorJson(*c.error, c.attempt, c.finished_at))
                       : std::nullopt);
  }
  Params p;
  p.Add(pg::IntArray(ids)).Add(pg::TextArray(workers)).Add(pg::IntArray(attempts));
  p.Add(pg::TextArray(outcomes)).Add(pg::IntArray(finished)).Add(pg::IntArray(retry));
  p.Add(pg::TextArray(errs));
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobCompleteMany"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "completing jobs", kSql, p));
  for (size_t i = 0; i < completions.size(); ++i) {
    out[i].id = completions[i].id;
    out[i].applied = false;
    out[i].new_state = JobState::kRunning;  // unchanged from the caller's view: ignored
  }
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    size_t i = pg::GetInt64(r.get(), row, 0) - 1;
    if (i >= out.size()) return Internal("complete_jobs returned an unknown ordinal");
    out[i].applied = true;
    out[i].new_state = StateOf(r.get(), row, 1);
  }
  return out;
}

Result<std::vector<int64_t>> PostgresStore::JobExtendLeases(const std::string& worker_id,
                                                            std::span<const int64_t> ids,
                                                            Timestamp lease_until) {
  std::vector<int64_t> cancel;
  if (ids.empty()) return cancel;
  // Rows are locked in id order (kLockInIdOrder), as complete_jobs() does.
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobExtendLeases"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "extending leases",
                   "WITH locked AS MATERIALIZED (SELECT id FROM jobs WHERE id = ANY($2::int8[]) "
                   "AND state = 'running' AND lease_owner = $1 ORDER BY id FOR UPDATE) "
                   "UPDATE jobs AS j SET lease_expires_at = ts($3) FROM locked "
                   "WHERE j.id = locked.id AND j.state = 'running' AND j.lease_owner = $1 "
                   "RETURNING j.id, j.cancel_requested",
                   Params().Add(worker_id).Add(pg::IntArray(ids)).Add(lease_until)));
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    if (pg::GetBool(r.get(), row, 1)) cancel.push_back(pg::GetInt64(r.get(), row, 0));
  }
  std::sort(cancel.begin(), cancel.end());
  return cancel;
}

Result<int> PostgresStore::JobRelease(const std::string& worker_id, std::span<const int64_t> ids,
                                      Timestamp now) {
  if (ids.empty()) return 0;
  // Rows are locked in id order (kLockInIdOrder). pg_notify in the final SELECT runs once per queue
  // (PostgreSQL also folds identical notifications within a transaction) and is sent at commit.
  constexpr const char* kSql = R"sql(
WITH locked AS MATERIALIZED (
  SELECT id FROM jobs WHERE id = ANY($2::int8[]) AND state = 'running' AND lease_owner = $1
   ORDER BY id FOR UPDATE
), rel AS (
  UPDATE jobs AS j
     SET state = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'available' END,
         run_at = CASE WHEN j.cancel_requested THEN j.run_at ELSE ts($3) END,
         attempt = CASE WHEN j.cancel_requested THEN j.attempt ELSE j.attempt - 1 END,
         finished_at = CASE WHEN j.cancel_requested THEN ts($3) END,
         lease_owner = NULL, lease_expires_at = NULL
    FROM locked
   WHERE j.id = locked.id AND j.state = 'running' AND j.lease_owner = $1
  RETURNING j.queue, j.state
)
SELECT d.queue, d.n, CASE WHEN d.available THEN pg_notify($4, d.queue)::text END
  FROM (SELECT queue, count(*) AS n, bool_or(state = 'available') AS available
          FROM rel GROUP BY queue) AS d
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobRelease"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "releasing jobs", kSql,
                   Params().Add(worker_id).Add(pg::IntArray(ids)).Add(now).Add(channel())));
  conn.Release();
  int total = 0;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    total += pg::GetInt(r.get(), row, 1);
    if (!PQgetisnull(r.get(), row, 2)) NotifyJobsAdded(pg::GetText(r.get(), row, 0));
  }
  return total;
}

Result<std::vector<RescuedJob>> PostgresStore::JobRescueExpired(const JobRescueParams& p) {
  if (p.limit <= 0) return InvalidArgument("rescue limit must be > 0");
  constexpr const char* kSql = R"sql(
WITH expired AS (
  SELECT id, lease_owner, lease_expires_at FROM jobs
   WHERE state = 'running' AND lease_expires_at < ts($1)
   ORDER BY lease_expires_at
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE jobs AS j SET
  state = CASE WHEN j.cancel_requested THEN 'cancelled'
               WHEN j.attempt >= j.max_attempts THEN 'discarded' ELSE 'retryable' END,
  run_at = CASE WHEN j.cancel_requested OR j.attempt >= j.max_attempts THEN j.run_at
                ELSE ts($1) END,
  finished_at = CASE WHEN j.cancel_requested OR j.attempt >= j.max_attempts THEN ts($1) END,
  lease_owner = NULL,
  lease_expires_at = NULL,
  errors = j.errors || jsonb_build_array(jsonb_build_object(
      'attempt', j.attempt, 'at', $1::int8, 'message', $3::text,
      'detail', 'lease owner ' || coalesce(e.lease_owner, ''),
      'worker', e.lease_owner, 'duration_us', $1::int8 - us(j.started_at)))
FROM expired e
WHERE j.id = e.id
RETURNING j.id, j.kind, j.queue, e.lease_owner, j.state, us(e.lease_expires_at)
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobRescueExpired"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "rescuing jobs", kSql,
                   Params().Add(p.now).Add(p.limit).Add(p.rescue_message)));
  std::vector<RescuedJob> out;
  std::vector<int64_t> expired_at;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    RescuedJob j;
    j.id = pg::GetInt64(r.get(), row, 0);
    j.kind = pg::GetText(r.get(), row, 1);
    j.queue = pg::GetText(r.get(), row, 2);
    j.lost_worker = pg::GetOptText(r.get(), row, 3).value_or("");
    j.new_state = StateOf(r.get(), row, 4);
    expired_at.push_back(pg::GetInt64(r.get(), row, 5));
    out.push_back(std::move(j));
  }
  conn.Release();
  // Oldest lease first, as they were picked (RETURNING has no order).
  std::vector<size_t> order(out.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(expired_at[a], out[a].id) < std::tie(expired_at[b], out[b].id);
  });
  std::vector<RescuedJob> sorted;
  std::set<std::string> queues;
  for (size_t i : order) {
    if (out[i].new_state == JobState::kRetryable) queues.insert(out[i].queue);
    sorted.push_back(std::move(out[i]));
  }
  for (const auto& q : queues) NotifyJobsAdded(q);
  return sorted;
}

Result<std::optional<Timestamp>> PostgresStore::JobNextRunAt(const std::string& queue) {
  static const std::string sql =
      std::string("SELECT us(min(run_at)) FROM jobs WHERE queue = $1 AND state IN ") + kPending;
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobNextRunAt:" + queue));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading next run time", sql.c_str(),
                                        Params().Add(queue)));
  return pg::GetOptTime(r.get(), 0, 0);
}

Result<Job> PostgresStore::JobGet(int64_t id) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobGet"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "reading job",
                   "SELECT " STEWARD_JOB_COLUMNS " FROM jobs AS j WHERE j.id = $1",
                   Params().Add(id)));
  if (PQntuples(r.get()) == 0) return NotFound("job " + std::to_string(id) + " does not exist");
  return RowToJob(r.get(), 0);
}

Result<std::vector<Job>> PostgresStore::JobList(const JobListParams& p) {
  if (p.limit < 1 || p.limit > 1000) {
    return InvalidArgument("list limit must be in 1..1000, got " + std::to_string(p.limit));
  }
  std::string sql = "SELECT " STEWARD_JOB_COLUMNS_NO_ERRORS " FROM jobs AS j WHERE true";
  Params params;
  auto next = [&params] { return "$" + std::to_string(params.size()); };
  if (p.queue) {
    params.Add(*p.queue);
    sql += " AND j.queue = " + next();
  }
  if (p.state) {
    params.Add(JobStateName(*p.state));
    sql += " AND j.state = " + next();
    // Running jobs are found through the lease index (migration 0006): its
    // predicate is this condition, true exactly while a job runs.
    if (*p.state == JobState::kRunning) sql += " AND j.lease_expires_at IS NOT NULL";
  }
  if (p.kind) {
    params.Add(*p.kind);
    sql += " AND j.kind = " + next();
  }
  if (p.before_id) {
    params.Add(*p.before_id);
    sql += " AND j.id < " + next();
  }
  params.Add(p.limit);
  sql += " ORDER BY j.id DESC LIMIT " + next();
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobList"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "listing jobs", sql.c_str(), params));
  return RowsToJobs(r.get());
}

Status PostgresStore::JobRetry(int64_t id, Timestamp now) {
  constexpr const char* kSql = R"sql(
WITH r AS (
  UPDATE jobs AS j
     SET state = 'available', run_at = ts($2), attempt = 0, finished_at = NULL,
         lease_owner = NULL, lease_expires_at = NULL, cancel_requested = false
   WHERE j.id = $1 AND j.state IN ('completed', 'discarded', 'cancelled')
  RETURNING j.queue
)
SELECT r.queue, pg_notify($3, r.queue) FROM r
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobRetry"));
  auto r = Exec(conn.get(), "retrying job", kSql, Params().Add(id).Add(now).Add(channel()));
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kAlreadyExists) {
      return AlreadyExists("job " + std::to_string(id) +
                           " cannot be retried: an unfinished job holds its unique_key");
    }
    return r.status();
  }
  if (PQntuples(r->get()) == 1) {
    std::string queue = pg::GetText(r->get(), 0, 0);
    conn.Release();
    NotifyJobsAdded(queue);
    return Status::Ok();
  }
  STEWARD_ASSIGN_OR_RETURN(auto s, Exec(conn.get(), "retrying job",
                                        "SELECT state FROM jobs WHERE id = $1", Params().Add(id)));
  if (PQntuples(s.get()) == 0) return NotFound("job " + std::to_string(id) + " does not exist");
  return FailedPrecondition("job " + std::to_string(id) + " is " + pg::GetText(s.get(), 0, 0) +
                            "; only completed, discarded or cancelled jobs can be retried");
}

Status PostgresStore::JobRunNow(int64_t id, Timestamp now) {
  constexpr const char* kSql = R"sql(
WITH r AS (
  UPDATE jobs AS j SET state = 'available', run_at = LEAST(j.run_at, ts($2))
   WHERE j.id = $1 AND j.state IN ('scheduled', 'available', 'retryable')
  RETURNING j.queue
)
SELECT r.queue, pg_notify($3, r.queue) FROM r
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobRunNow"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "running job now", kSql,
                                        Params().Add(id).Add(now).Add(channel())));
  if (PQntuples(r.get()) == 1) {
    std::string queue = pg::GetText(r.get(), 0, 0);
    conn.Release();
    NotifyJobsAdded(queue);
    return Status::Ok();
  }
  STEWARD_ASSIGN_OR_RETURN(auto s, Exec(conn.get(), "running job now",
                                        "SELECT state FROM jobs WHERE id = $1", Params().Add(id)));
  if (PQntuples(s.get()) == 0) return NotFound("job " + std::to_string(id) + " does not exist");
  return FailedPrecondition("job " + std::to_string(id) + " is " + pg::GetText(s.get(), 0, 0) +
                            "; only scheduled, available or retryable jobs can be run now");
}

Result<JobState> PostgresStore::JobCancel(int64_t id, Timestamp now) {
  constexpr const char* kSql = R"sql(
UPDATE jobs AS j SET
  state = CASE WHEN j.state = 'running' THEN 'running' ELSE 'cancelled' END,
  cancel_requested = (j.state = 'running'),
  finished_at = CASE WHEN j.state = 'running' THEN NULL ELSE ts($2) END,
  lease_owner = CASE WHEN j.state = 'running' THEN j.lease_owner ELSE NULL END,
  lease_expires_at = CASE WHEN j.state = 'running' THEN j.lease_expires_at ELSE NULL END
WHERE j.id = $1 AND j.state IN ('scheduled', 'available', 'retryable', 'running')
RETURNING j.state
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobCancel"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "cancelling job", kSql,
                                        Params().Add(id).Add(now)));
  if (PQntuples(r.get()) == 1) return StateOf(r.get(), 0, 0);
  STEWARD_ASSIGN_OR_RETURN(auto s, Exec(conn.get(), "cancelling job",
                                        "SELECT state FROM jobs WHERE id = $1", Params().Add(id)));
  if (PQntuples(s.get()) == 0) return NotFound("job " + std::to_string(id) + " does not exist");
  return FailedPrecondition("job " + std::to_string(id) + " is already " +
                            pg::GetText(s.get(), 0, 0));
}

Status PostgresStore::JobDiscard(int64_t id, Timestamp now) {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobDiscard"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "discarding job",
                   "UPDATE jobs SET state = 'discarded', finished_at = ts($2) "
                   "WHERE id = $1 AND state IN ('scheduled', 'available', 'retryable') RETURNING id",
                   Params().Add(id).Add(now)));
  if (PQntuples(r.get()) == 1) return Status::Ok();
  STEWARD_ASSIGN_OR_RETURN(auto s, Exec(conn.get(), "discarding job",
                                        "SELECT state FROM jobs WHERE id = $1", Params().Add(id)));
  if (PQntuples(s.get()) == 0) return NotFound("job " + std::to_string(id) + " does not exist");
  return FailedPrecondition("job " + std::to_string(id) + " is " + pg::GetText(s.get(), 0, 0) +
                            "; only scheduled, available or retryable jobs can be discarded");
}

Result<int> PostgresStore::JobDeleteFinished(const JobDeleteFinishedParams& p) {
  if (p.limit <= 0) return InvalidArgument("delete limit must be > 0");
  // Bounded: at most `limit` rows per statement, so retention never holds
  // long locks or bloats one huge transaction; SKIP LOCKED lets several
  // nodes run retention at once without waiting on each other.
  constexpr const char* kSql = R"sql(
DELETE FROM jobs WHERE id IN (
  SELECT id FROM jobs
   WHERE (state = 'completed' AND finished_at < ts($1))
      OR (state IN ('discarded', 'cancelled') AND finished_at < ts($2))
   LIMIT $3
   FOR UPDATE SKIP LOCKED)
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("JobDeleteFinished"));
  STEWARD_ASSIGN_OR_RETURN(
      auto r, Exec(conn.get(), "deleting finished jobs", kSql,
                   Params().Add(p.completed_before).Add(p.failed_before).Add(p.limit)));
  return std::atoi(PQcmdTuples(r.get()));
}

Result<std::vector<QueueStats>> PostgresStore::QueueStatsAll(Timestamp now) {
  // queue_stats() (migration 7): counts kept by triggers in job_counts,
  // due jobs from the claim index; it never reads the finished jobs.
  static const std::string sql = "SELECT * FROM queue_stats($1)";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("QueueStatsAll"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading queue stats", sql.c_str(),
                                        Params().Add(now)));
  std::vector<QueueStats> out;
  const PGresult* res = r.get();
  for (int row = 0; row < PQntuples(res); ++row) {
    QueueStats s;
    s.queue = pg::GetText(res, row, 0);
    s.scheduled = pg::GetInt64(res, row, 1);
    s.available = pg::GetInt64(res, row, 2);
    s.running = pg::GetInt64(res, row, 3);
    s.retryable = pg::GetInt64(res, row, 4);
    s.completed = pg::GetInt64(res, row, 5);
    s.discarded = pg::GetInt64(res, row, 6);
    s.cancelled = pg::GetInt64(res, row, 7);
    s.due = pg::GetInt64(res, row, 8);
    if (auto oldest = pg::GetOptInt64(res, row, 9)) {
      s.oldest_due_age = Micros(ToMicros(now) - *oldest);
    }
    s.paused = pg::GetBool(res, row, 10);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> PostgresStore::QueuesPaused() {
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("QueuesPaused"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "reading paused queues",
                                        "SELECT name FROM queues WHERE paused", Params()));
  std::vector<std::string> out;
  for (int row = 0; row < PQntuples(r.get()); ++row) out.push_back(pg::GetText(r.get(), row, 0));
  return out;
}

Status PostgresStore::QueueSetPaused(const std::string& queue, bool paused) {
  NewJob probe;
  probe.kind = "probe";
  probe.queue = queue;
  if (Status st = ValidateNewJob(probe); !st.ok()) return st;
  // Unpausing wakes every node's fetcher for the queue (NOTIFY at commit).
  constexpr const char* kSql = R"sql(
WITH up AS (
  INSERT INTO queues AS q (name, paused, updated_at) VALUES ($1, $2, now())
  ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = now()
  RETURNING q.paused
)
SELECT pg_notify($3, $1) FROM up WHERE NOT up.paused
)sql";
  STEWARD_ASSIGN_OR_RETURN(auto conn, Conn("QueueSetPaused"));
  STEWARD_ASSIGN_OR_RETURN(auto r, Exec(conn.get(), "pausing queue", kSql,
                                        Params().Add(queue).Add(paused).Add(channel())));
  conn.Release();
  if (!paused) NotifyJobsAdded(queue);
  return Status::Ok();
}

}  // namespace steward
