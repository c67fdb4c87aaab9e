// DashboardStore: what the dashboard (docs/dashboard.md) needs from the
// database beyond jobs, schedules and alerts: the nodes that run workers,
// per-minute activity rollups, the audit log of actions people took, the
// failing jobs to group, and a few server-wide settings. Store inherits it,
// so every backend implements it and the conformance suite covers it.
//
// Everything here is bounded: rollups and nodes are pruned by maintenance,
// lists take limits, so a dashboard page never scans the jobs table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "steward/clock.h"
#include "steward/job.h"
#include "steward/status.h"

namespace steward {

// --- nodes ------------------------------------------------------------------
// A process running a Worker. Written by the worker's heartbeat loop, so
// "stopped heartbeating" means the process (or its database link) is gone.
struct NodeInfo {
  std::string id;                   // the worker id (also jobs.lease_owner)
  std::string host;
  int64_t pid = 0;
  std::string version;              // Steward's version
  std::vector<std::string> queues;  // queues it works
  int running = 0;                  // jobs running at the last heartbeat
  Timestamp started_at{};
  Timestamp last_seen_at{};
  std::optional<Timestamp> stopped_at;  // set by a graceful stop
};

// --- activity rollups -------------------------------------------------------
// Wait time (claim time - max(run_at, created_at)) histogram: bucket 0 holds
// waits under 1 ms, bucket i (1..kWaitBuckets-2) waits in [2^(i-1), 2^i) ms,
// the last bucket everything longer (2^22 ms, ~70 min, and up).
inline constexpr int kWaitBuckets = 24;
using WaitHistogram = std::array<int64_t, kWaitBuckets>;
int WaitBucket(Micros wait);
// The q-quantile (0..1) of a histogram, interpolated within its bucket;
// nullopt for an empty histogram.
std::optional<Micros> WaitQuantile(const WaitHistogram& h, double q);

// Counts for one queue over one bucket of time. Rows are additive: merging a
// delta adds every field, so nodes flush independently.
struct JobStatsRow {
  Timestamp bucket_start{};  // a whole minute (UTC) when written
  std::string queue;
  int64_t completed = 0;     // attempts that succeeded
  int64_t failed = 0;        // attempts that failed (retried, discarded or rescued)
  int64_t discarded = 0;     // jobs that failed for good
  int64_t cancelled = 0;
  WaitHistogram wait{};      // waits of jobs that started in the bucket
};

struct JobStatsQuery {
  Timestamp since{};  // inclusive, rounded down to bucket_width
  Timestamp until{};  // exclusive
  Micros bucket_width = std::chrono::minutes(1);  // whole minutes; 60 min for the 7-day view
  std::optional<std::string> queue;  // unset: every queue, one row per queue and bucket
};

// --- audit log --------------------------------------------------------------
// An action a person took through the API or dashboard.
struct AuditEntry {
  int64_t id = 0;
  Timestamp at{};
  std::string actor;        // the API token's name ("local" on an open loopback listener)
  std::string action;       // "job.retry", "queue.pause", "alert.silence", ...
  std::string object_type;  // "job" | "queue" | "schedule" | "check" | "alert" | "failure_group"
  std::string object_id;    // "42", "emails", ...
  std::string detail;       // human-readable result ("retried 37 jobs")
};

struct AuditListParams {
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  std::optional<int64_t> before_id;  // cursor, newest first
  int limit = 50;                    // 1..1000
};

// --- failures ---------------------------------------------------------------
// A discarded or retrying job with its latest error, for grouping
// (core/failure_group.h) on the Failures page.
struct FailedJob {
  int64_t id = 0;
  std::string queue;
  std::string kind;
  JobState state = JobState::kDiscarded;  // kDiscarded | kRetryable
  int attempt = 0;
  int max_attempts = 0;
  std::string last_error;  // message of the latest job_errors row ("" if none)
  Timestamp failed_at{};   // time of that error (finished_at if none)
};

struct FailedJobListParams {
  Timestamp since{};  // failed_at >= since
  std::optional<std::string> kind;
  int limit = 10000;  // newest first; the caller reports truncation
};

// How many jobs of one kind were discarded since a time (the Now page).
struct KindCount {
  std::string kind;
  int64_t count = 0;
};

// --- job search (the Jobs page) ----------------------------------------------
struct JobSearchParams {
  std::optional<JobState> state;
  std::optional<std::string> queue;
  std::optional<std::string> kind;
  std::optional<std::string> error_contains;  // substring of the latest error, case-insensitive
  // payload field equality: path "account_id" or "customer.id" (segments
  // [A-Za-z0-9_]+), value compared as text: 42 matches "42" and 42.
  std::optional<std::string> payload_path;
  std::optional<std::string> payload_value;
  std::optional<int64_t> before_id;  // cursor: ids below this, newest first
  int limit = 50;                    // 1..500
  // At most this many rows are examined per call, so a filter that matches
  // rarely still answers quickly; the page then ends early with a cursor.
  int scan_limit = 50000;
};

struct JobSearchPage {
  std::vector<Job> jobs;  // newest first; errors not loaded; last_error filled below
  std::vector<std::string> last_errors;  // parallel to jobs ("" if none)
  // Where to continue (ids below this), or nullopt when nothing older can match.
  std::optional<int64_t> next_before_id;
};

class DashboardStore {
 public:
  virtual ~DashboardStore() = default;

  // Upserts the node row (by id).
  virtual Status NodeHeartbeat(const NodeInfo& node) = 0;
  // Marks a node stopped (graceful shutdown).
  virtual Status NodeStopped(const std::string& id, Timestamp now) = 0;
  // Every node, by id.
  virtual Result<std::vector<NodeInfo>> NodeList() = 0;
  // Retention: deletes nodes last seen before `before`; returns how many.
  virtual Result<int> NodeDeleteBefore(Timestamp before) = 0;

  // Adds each delta to its (bucket_start, queue) row, all in one transaction.
  virtual Status StatsMerge(std::span<const JobStatsRow> deltas) = 0;
  // Rows summed into buckets of q.bucket_width, oldest first, then by queue.
  // Buckets with no row are absent.
  virtual Result<std::vector<JobStatsRow>> StatsQuery(const JobStatsQuery& q) = 0;
  // Retention: deletes rows with bucket_start < before.
  virtual Result<int> StatsDeleteBefore(Timestamp before) = 0;

  // Appends an entry (id and at as given, id assigned); returns its id.
  virtual Result<int64_t> AuditAppend(const AuditEntry& e) = 0;
  virtual Result<std::vector<AuditEntry>> AuditList(const AuditListParams& p) = 0;
  virtual Result<int> AuditDeleteBefore(Timestamp before) = 0;

  // Discarded and retryable jobs whose latest failure is at or after
  // p.since, newest first, at most p.limit.
  virtual Result<std::vector<FailedJob>> FailedJobList(const FailedJobListParams& p) = 0;

  // Jobs discarded (finished_at) at or after `since`, counted per kind,
  // most first, at most `limit` kinds. Reads an index of recent discards,
  // never the completed history.
  virtual Result<std::vector<KindCount>> DiscardedCountByKind(Timestamp since, int limit) = 0;

  // The Jobs page's filtered, bounded, cursor-paginated list.
  virtual Result<JobSearchPage> JobSearch(const JobSearchParams& p) = 0;

  // A server-wide setting: returns the stored value, or stores and returns
  // `value_if_absent` when there is none (atomic across nodes: the first
  // writer wins). Used for the dashboard's session signing key.
  virtual Result<std::string> SettingGetOrCreate(const std::string& key,
                                                 const std::string& value_if_absent) = 0;
};

}  // namespace steward
