// Maintenance: rescues jobs of workers that stopped heartbeating, deletes
// finished jobs past their retention, and prunes the dashboard's records
// (nodes, activity rollups, audit log).
#include <algorithm>

#include "core/log.h"
#include "runtime/store_outage.h"
#include "runtime/worker_core.h"

namespace steward {

namespace {
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// The loop ticks every min(rescue_interval, kMaxTick): retention and health
// need a tick even when rescues are rare.
constexpr Micros kMaxTick = 5s;
// Rescue batches per rescue pass (each JobRescueParams::limit jobs).
constexpr int kMaxRescueRounds = 10;
// Retention deletes in batches of kRetentionBatch, so no long lock is held
// and the loop keeps ticking, up to kMaxRetentionRounds per tick: 50,000
// jobs per tick keeps up with ~10,000 jobs/s per node; a faster node catches
// up over later ticks.
constexpr int kRetentionBatch = 1000;
constexpr int kMaxRetentionRounds = 50;
// The dashboard's records are kept for days, so pruning them once a minute
// (and at start) is plenty; each is one indexed DELETE.
constexpr Micros kPruneInterval = 1min;

void Rescue(WorkerCore& core, Timestamp now) {
  const JobRescueParams params{.now = now};
  for (int round = 0; round < kMaxRescueRounds; ++round) {
    auto rescued = core.store->JobRescueExpired(params);
    if (!rescued.ok()) {
      core.StoreFailed("maintenance", "rescue failed", rescued.status());
      return;
    }
    if (rescued->empty()) return;
    for (const auto& r : rescued.value()) {
      log::Warn("rescued job of lost worker", {{"kind", r.kind},
                                               {"job_id", r.id},
                                               {"queue", r.queue},
                                               {"lost_worker", r.lost_worker},
                                               {"state", JobStateName(r.new_state)}});
    }
    core.observer->OnJobsRescued(rescued.value());
    core.WakeAll();
    // A short batch: nothing more has expired.
    if (static_cast<int>(rescued->size()) < params.limit) return;
  }
}

void DeleteExpired(WorkerCore& core, Timestamp now) {
  const WorkerOptions& o = core.opts;
  if (o.keep_completed <= Micros(0) && o.keep_failed <= Micros(0)) return;
  JobDeleteFinishedParams p;
  p.completed_before = o.keep_completed > Micros(0) ? now - o.keep_completed : Timestamp{};
  p.failed_before = o.keep_failed > Micros(0) ? now - o.keep_failed : Timestamp{};
  p.limit = kRetentionBatch;
  for (int round = 0; round < kMaxRetentionRounds; ++round) {
    auto deleted = core.store->JobDeleteFinished(p);
    if (!deleted.ok()) {
      core.observer->OnStoreError("maintenance", deleted.status());
      return;
    }
    if (deleted.value() < p.limit) return;
  }
}

// One DELETE per kind of record; a failure is reported and retried next time.
void PruneDashboard(WorkerCore& core, Timestamp now) {
  const WorkerOptions& o = core.opts;
  Store& store = *core.store;
  struct Prune {
    const char* what;
    Micros keep;
    Result<int> (Store::*delete_before)(Timestamp);
  };
  const Prune prunes[] = {{"nodes", o.keep_nodes, &Store::NodeDeleteBefore},
                          {"activity rollups", o.keep_stats, &Store::StatsDeleteBefore},
                          {"audit entries", o.keep_audit, &Store::AuditDeleteBefore}};
  for (const Prune& p : prunes) {
    if (p.keep <= Micros(0)) continue;
    auto deleted = (store.*p.delete_before)(now - p.keep);
    if (!deleted.ok()) {
      core.observer->OnStoreError("maintenance", deleted.status());
      (StoreOutageLog::Failed("maintenance", deleted.status()) ? log::Warn : log::Debug)(
          "pruning failed", {{"what", p.what}, {"error", deleted.status().ToString()}});
      continue;
    }
    if (deleted.value() > 0) log::Debug("pruned", {{"what", p.what}, {"rows", deleted.value()}});
  }
}

}  // namespace

void RunMaintenance(WorkerCore& core) {
  const Micros tick = std::min<Micros>(core.opts.rescue_interval, kMaxTick);
  // The first pass runs at start: catch up on anything a crash left behind.
  auto next_rescue = Steady::now();
  auto next_prune = Steady::now();
  do {
    core.observer->OnLoopTick("maintenance");
    Timestamp now = core.clock->Now();
    if (Steady::now() >= next_rescue) {
      next_rescue = Steady::now() + core.opts.rescue_interval;
      Rescue(core, now);
    }
    DeleteExpired(core, now);
    if (Steady::now() >= next_prune) {
      next_prune = Steady::now() + kPruneInterval;
      PruneDashboard(core, now);
    }
  } while (core.loops_stop.SleepFor(tick));
  core.observer->OnLoopStopped("maintenance");
}

}  // namespace steward
