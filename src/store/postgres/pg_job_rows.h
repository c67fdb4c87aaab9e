// Reading jobs from PostgreSQL rows: the column list every job query
// selects and the row readers (postgres_jobs.cc, postgres_dashboard.cc).
#pragma once

#include <libpq-fe.h>

#include <vector>

#include "steward/job.h"

namespace steward::pg {

// The column list every job query returns, in RowToJob's order.
#define STEWARD_JOB_COLUMNS_BASE                                                               \
  "j.id, j.queue, j.kind, j.payload, j.priority, us(j.run_at), j.attempt, j.max_attempts, "   \
  "j.state, j.unique_key, us(j.created_at), us(j.started_at), us(j.finished_at), "            \
  "j.lease_owner, us(j.lease_expires_at), j.cancel_requested, "
#define STEWARD_JOB_COLUMNS STEWARD_JOB_COLUMNS_BASE "j.errors"
#define STEWARD_JOB_COLUMNS_NO_ERRORS STEWARD_JOB_COLUMNS_BASE "'[]'::jsonb"


JobState StateOf(const PGresult* r, int row, int col);
// A row selected with STEWARD_JOB_COLUMNS(_NO_ERRORS), from column 0.
Job RowToJob(const PGresult* r, int row);
std::vector<Job> RowsToJobs(const PGresult* r);

}  // namespace steward::pg
