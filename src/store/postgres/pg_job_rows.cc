#include "store/postgres/pg_job_rows.h"

#include <nlohmann/json.hpp>

#include "core/json_limits.h"
#include "store/postgres/pg_conn.h"

namespace steward::pg {

namespace {

std::vector<AttemptError> ParseErrors(const std::string& text) {
  std::vector<AttemptError> out;
  auto j = ParseJsonOrDiscarded(text);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    AttemptError a;
    a.attempt = e.value("attempt", 0);
    a.at = FromMicros(e.value("at", int64_t{0}));
    a.message = e.value("message", std::string());
    a.detail = e.value("detail", std::string());
    // Absent from errors recorded before migration 0008; null when the
    // start time was unknown.
    if (auto w = e.find("worker"); w != e.end() && w->is_string()) a.worker = w->get<std::string>();
    if (auto d = e.find("duration_us"); d != e.end() && d->is_number_integer()) {
      a.duration = Micros(d->get<int64_t>());
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

JobState StateOf(const PGresult* r, int row, int col) {
  // The CHECK constraint on jobs.state makes an unknown name impossible.
  return ParseJobState(pg::GetText(r, row, col)).value_or(JobState::kAvailable);
}

Job RowToJob(const PGresult* r, int row) {
  Job j;
  j.id = pg::GetInt64(r, row, 0);
  j.queue = pg::GetText(r, row, 1);
  j.kind = pg::GetText(r, row, 2);
  j.payload = pg::GetText(r, row, 3);
  j.priority = pg::GetInt(r, row, 4);
  j.run_at = pg::GetTime(r, row, 5);
  j.attempt = pg::GetInt(r, row, 6);
  j.max_attempts = pg::GetInt(r, row, 7);
  j.state = StateOf(r, row, 8);
  j.unique_key = pg::GetOptText(r, row, 9);
  j.created_at = pg::GetTime(r, row, 10);
  j.started_at = pg::GetOptTime(r, row, 11);
  j.finished_at = pg::GetOptTime(r, row, 12);
  j.lease_owner = pg::GetOptText(r, row, 13);
  j.lease_expires_at = pg::GetOptTime(r, row, 14);
  j.cancel_requested = pg::GetBool(r, row, 15);
  j.errors = ParseErrors(pg::GetText(r, row, 16));
  return j;
}

std::vector<Job> RowsToJobs(const PGresult* r) {
  std::vector<Job> out;
  out.reserve(PQntuples(r));
  for (int i = 0; i < PQntuples(r); ++i) out.push_back(RowToJob(r, i));
  return out;
}

}  // namespace steward::pg
