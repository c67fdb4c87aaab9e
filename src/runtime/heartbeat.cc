// The heartbeat: extends the leases of this worker's jobs (running and held
// ahead), delivers cancellation requests, fails attempts past their timeout,
// hands back held jobs that waited past prefetch_hold or whose queue was
// paused, and keeps this node's row on the dashboard's Nodes page fresh.
#include <algorithm>

#include "runtime/completion.h"
#include "runtime/node_info.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
// A lease is extended this many times before it would expire, so one missed
// beat (a slow store call) does not lose it...
constexpr int kBeatsPerLease = 3;
// ...and at least this often, which bounds how late a handler sees a cancel.
constexpr Micros kMaxBeat = 1s;
// The node row is written less often than leases are extended: the Nodes
// page calls a node stale after 30 s, and one write per node every 5 s
// costs the database nothing.
constexpr Micros kNodeBeat = 5s;

void FailTimedOut(WorkerCore& core, std::vector<int64_t>* running_ids) {
  auto timed_out = core.running.TakeTimedOut(Steady::now(), running_ids);
  for (auto& rj : timed_out) {
    Outcome timeout = Outcome::Failure("timeout: handler exceeded its time limit");
    JobCompletion c = CompletionFor(
        AttemptEnd{.job = rj->job,
                   .outcome = timeout,
                   .policy = core.handlers.RetryFor(rj->job.kind, core.opts.default_retry),
                   .cancel_requested = false,
                   .worker_id = core.opts.worker_id,
                   .now = core.clock->Now(),
                   .duration = std::nullopt});  // about its timeout; not measured here
    core.completions.Put(FinishedAttempt{std::move(c), std::move(rj), Micros(0)});
  }
}

void ExtendLeases(WorkerCore& core, const std::vector<int64_t>& ids) {
  if (ids.empty()) return;
  const auto sent = Steady::now();
  auto cancels =
      core.store->JobExtendLeases(core.opts.worker_id, ids, core.clock->Now() + core.opts.lease);
  if (!cancels.ok()) {
    core.StoreFailed("heartbeat", "lease extension failed", cancels.status());
    return;
  }
  StoreOutageLog::Succeeded();
  core.running.LeasesExtended(ids, sent + core.opts.lease);
  core.running.RequestCancel(cancels.value());
}

// Held (prefetched) jobs go back to the store when they waited past the
// hold (this node is slower than its claim-ahead: another node may run them
// sooner) or when their queue was paused (a pause stops starts, not only
// claims). If the store refuses, their leases expire and the rescuer returns
// them (a retry here could release a job this worker claimed again since).
void HandBackHeld(WorkerCore& core) {
  // Capped so a held job goes back while its lease surely holds.
  const auto cutoff = Steady::now() - std::min<Micros>(core.opts.prefetch_hold, core.opts.lease / 2);
  std::vector<std::string> paused;
  if (std::any_of(core.queues.begin(), core.queues.end(),
                  [](const auto& q) { return q->HoldsJobs(); })) {
    auto r = core.store->QueuesPaused();
    if (r.ok()) paused = std::move(r).value();  // else: next beat
  }
  std::vector<int64_t> ids;
  for (auto& q : core.queues) {
    bool is_paused = std::find(paused.begin(), paused.end(), q->options().name) != paused.end();
    auto taken = core.running.Release(is_paused ? q->DrainReady() : q->TakeHeldSince(cutoff));
    ids.insert(ids.end(), taken.begin(), taken.end());
  }
  core.HandBack(ids);
}

// Writes the node row. A failure only costs the Nodes page its freshness,
// so it is reported (loop "node") and never holds up the leases.
class NodeBeat {
 public:
  NodeBeat(WorkerCore& core, Timestamp started_at) : core_(core), started_at_(started_at) {}

  void BeatIfDue() {
    if (Steady::now() < next_) return;
    next_ = Steady::now() + kNodeBeat;
    const Timestamp now = core_.clock->Now();
    Status st = core_.store->NodeHeartbeat(
        DescribeNode(core_.opts, core_.running.CountStarted(), started_at_, now));
    if (!st.ok()) {
      failing_ = true;
      core_.StoreFailed("node", "node heartbeat failed", st);
      return;
    }
    StoreOutageLog::Succeeded();
    if (failing_) {
      failing_ = false;
      core_.observer->OnStoreRecovered("node");
    }
  }

 private:
  WorkerCore& core_;
  const Timestamp started_at_;
  Steady::time_point next_ = Steady::now();  // the first beat at once
  bool failing_ = false;
};

}  // namespace

Micros HeartbeatTick(const WorkerOptions& opts) {
  return std::min<Micros>(opts.lease / kBeatsPerLease, kMaxBeat);
}

void RunHeartbeat(WorkerCore& core) {
  const Micros tick = HeartbeatTick(core.opts);
  NodeBeat node(core, core.clock->Now());
  node.BeatIfDue();
  while (core.loops_stop.SleepFor(tick)) {
    core.observer->OnLoopTick("heartbeat");
    HandBackHeld(core);
    std::vector<int64_t> ids;
    FailTimedOut(core, &ids);
    ExtendLeases(core, ids);
    node.BeatIfDue();
  }
  core.observer->OnLoopStopped("heartbeat");
}

}  // namespace steward
