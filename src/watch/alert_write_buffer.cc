#include "watch/alert_write_buffer.h"

#include <algorithm>

#include "core/log.h"

namespace steward {

AlertWriteBuffer::AlertWriteBuffer(std::shared_ptr<Store> store, AlertWriteBufferOptions options)
    : store_(std::move(store)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()) {}

void AlertWriteBuffer::Add(const std::string& fingerprint, AlertChange change) {
  std::lock_guard lock(mu_);
  auto& changes = pending_[fingerprint];
  // Consecutive occurrences merge into one write with a count: this is what
  // bounds a storm to one database write (and one message) per flush.
  if (!change.resolve && !changes.empty() && !changes.back().resolve) {
    AlertChange& last = changes.back();
    last.count += change.count;
    // Events may be reported slightly out of order across threads.
    last.occurred_at = std::min(last.occurred_at, change.occurred_at);
    if (!change.detail.empty()) last.detail = std::move(change.detail);
    if (!change.summary.empty()) last.summary = std::move(change.summary);
    if (change.job_id) last.job_id = change.job_id;
    return;
  }
  if (change.resolve && !changes.empty() && changes.back().resolve) return;
  if (changes.size() >= kMaxPendingPerFingerprint) changes.pop_front();
  changes.push_back(std::move(change));
}

bool AlertWriteBuffer::Pending(const std::string& fingerprint) const {
  std::lock_guard lock(mu_);
  return pending_.count(fingerprint) > 0;
}

Status AlertWriteBuffer::Write(bool force) {
  std::lock_guard writer(write_mu_);
  // Take what is ready; leave the rest (still gathering) in place.
  std::vector<std::pair<std::string, AlertChange>> ready;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto& changes = it->second;
      while (!changes.empty() && (force || changes.front().resolve ||
                                  now - changes.front().recorded >= options_.group_wait)) {
        ready.emplace_back(it->first, std::move(changes.front()));
        changes.pop_front();
      }
      it = changes.empty() ? pending_.erase(it) : std::next(it);
    }
  }
  Status result = Status::Ok();
  bool enqueued = false;
  for (size_t i = 0; i < ready.size(); ++i) {
    const auto& [fp, change] = ready[i];
    AlertUpsertParams p;
    p.action =
        change.resolve ? AlertUpsertParams::Action::kResolve : AlertUpsertParams::Action::kFire;
    p.fingerprint = fp;
    p.rule = change.rule;
    if (!change.resolve) p.labels_json = change.labels_json;
    p.severity = change.severity.empty() ? "error" : change.severity;
    p.summary = change.summary;
    p.detail = change.detail;
    p.job_id = change.job_id;
    if (!change.resolve && change.occurred_at != Timestamp{}) p.occurred_at = change.occurred_at;
    p.count = std::max<int64_t>(change.count, 1);
    p.now = clock_->Now();
    p.repeat_interval = options_.repeat_interval;
    p.channels = options_.channels;
    auto r = store_->AlertUpsert(p);
    if (r.ok()) {
      enqueued = enqueued || !r->enqueued.empty();
      if (r->change == AlertUpsertResult::Change::kOpened) {
        log::Warn("alert opened", {{"fingerprint", fp}, {"count", r->count}});
      } else if (r->change == AlertUpsertResult::Change::kResolved) {
        log::Info("alert resolved", {{"fingerprint", fp}});
      }
      continue;
    }
    if (r.status().code() == StatusCode::kInvalidArgument) {
      // Retrying cannot make it valid; keeping it would block the rest.
      log::Error("alert dropped: invalid", {{"fingerprint", fp}, {"error", r.status().ToString()}});
      continue;
    }
    // The database is away: put this and the rest back, in order.
    result = r.status();
    {
      std::lock_guard lock(mu_);
      for (size_t k = ready.size(); k-- > i;)
        pending_[ready[k].first].push_front(std::move(ready[k].second));
    }
    if (options_.on_store_error) options_.on_store_error(result);
    break;
  }
  if (enqueued && options_.on_enqueued) options_.on_enqueued();
  return result;
}

}  // namespace steward
