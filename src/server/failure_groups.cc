#include "server/failure_groups.h"

#include <algorithm>
#include <map>

#include "core/failure_group.h"

namespace steward::server {

Result<FailureGroups> GroupFailures(Store& store, Timestamp since,
                                    const std::optional<std::string>& kind) {
  FailedJobListParams p;
  p.since = since;
  p.kind = kind;
  // One more than kept tells whether the window held more.
  p.limit = kMaxFailedJobs + 1;
  STEWARD_ASSIGN_OR_RETURN(std::vector<FailedJob> failed, store.FailedJobList(p));
  FailureGroups out;
  if (static_cast<int>(failed.size()) > kMaxFailedJobs) {
    out.truncated = true;
    failed.resize(kMaxFailedJobs);
  }
  std::map<std::string, size_t> index;  // group id -> position in out.groups
  for (auto& job : failed) {
    std::string message = NormalizeErrorMessage(job.last_error);
    std::string id = FailureGroupId(job.kind, message);
    auto [it, added] = index.emplace(id, out.groups.size());
    if (added) {
      FailureGroup g;
      g.id = std::move(id);
      g.kind = job.kind;
      g.message = std::move(message);
      // Rows come newest first: the first one seen is the freshest example.
      g.example = job.last_error;
      g.example_job_id = job.id;
      g.first_seen = job.failed_at;
      g.last_seen = job.failed_at;
      out.groups.push_back(std::move(g));
    }
    FailureGroup& g = out.groups[it->second];
    ++g.count;
    if (job.state == JobState::kDiscarded) ++g.discarded;
    if (job.state == JobState::kRetryable) ++g.retrying;
    g.queues.insert(job.queue);
    g.first_seen = std::min(g.first_seen, job.failed_at);
    g.last_seen = std::max(g.last_seen, job.failed_at);
    g.jobs.push_back(std::move(job));
  }
  std::stable_sort(out.groups.begin(), out.groups.end(),
                   [](const FailureGroup& a, const FailureGroup& b) { return a.last_seen > b.last_seen; });
  return out;
}

Result<FailureGroup> FindFailureGroup(Store& store, Timestamp since, const std::string& id) {
  STEWARD_ASSIGN_OR_RETURN(FailureGroups all, GroupFailures(store, since, std::nullopt));
  for (auto& g : all.groups) {
    if (g.id == id) return std::move(g);
  }
  return NotFound("no failing job in group " + id + " in this window");
}

nlohmann::json FailureGroupToJson(const FailureGroup& g) {
  return {{"id", g.id},
          {"kind", g.kind},
          {"message", g.message},
          {"example", g.example},
          {"example_job_id", g.example_job_id},
          {"count", g.count},
          {"discarded", g.discarded},
          {"retrying", g.retrying},
          {"queues", g.queues},
          {"first_seen", FormatTimestamp(g.first_seen)},
          {"last_seen", FormatTimestamp(g.last_seen)}};
}

}  // namespace steward::server
