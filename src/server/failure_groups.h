// Failure groups: the discarded and retrying jobs of a time window grouped
// by kind and normalized error message (core/failure_group.h), for the
// Failures page and its group actions (retry or discard a whole group).
//
// Built from Store::FailedJobList (bounded: at most kMaxFailedJobs rows, the
// newest; `truncated` says when more failed), never from a jobs-table scan.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace steward::server {

inline constexpr int kMaxFailedJobs = 10000;

struct FailureGroup {
  std::string id;       // FailureGroupId(kind, message)
  std::string kind;
  std::string message;  // normalized
  std::string example;  // the newest job's raw last error
  int64_t example_job_id = 0;
  int64_t count = 0;
  int64_t discarded = 0;
  int64_t retrying = 0;
  std::set<std::string> queues;
  Timestamp first_seen{};
  Timestamp last_seen{};
  std::vector<FailedJob> jobs;  // newest first
};

struct FailureGroups {
  std::vector<FailureGroup> groups;  // newest last_seen first
  bool truncated = false;            // more than kMaxFailedJobs failed jobs in the window
};

Result<FailureGroups> GroupFailures(Store& store, Timestamp since,
                                    const std::optional<std::string>& kind);
// The group with this id, or kNotFound when no job of the window is in it.
Result<FailureGroup> FindFailureGroup(Store& store, Timestamp since, const std::string& id);

// {"id","kind","message","example","count","discarded","retrying","queues",
//  "first_seen","last_seen","example_job_id"}
nlohmann::json FailureGroupToJson(const FailureGroup& g);

}  // namespace steward::server
