// "Run this job again now", as a person means it. One rule for every door a
// person uses (CLI, HTTP API, Client, the dashboard):
//
//   scheduled | available | retryable -> available now, attempts kept (JobRunNow)
//   discarded | cancelled             -> available now, attempt reset (JobRetry)
//   completed                         -> the same, but only with `force`:
//                                        it already succeeded once
//   running                           -> kFailedPrecondition
//
// Errors: kNotFound if no job has this id; kFailedPrecondition as above (or
// when the job changed state between the read and the write); kAlreadyExists
// if an unfinished job now holds the finished job's unique_key.
#pragma once

#include <cstdint>

#include "steward/job.h"
#include "steward/status.h"

namespace steward {

class Store;

// Returns the state the job was in before.
Result<JobState> RunJobAgain(Store& store, int64_t id, Timestamp now, bool force);

}  // namespace steward
