#include "watch/notifier.h"

#include <random>

#include "core/log.h"

namespace steward {

using Steady = std::chrono::steady_clock;

Notifier::Notifier(std::shared_ptr<Store> store,
                   std::map<std::string, std::unique_ptr<notify::Sender>> senders,
                   NotifierOptions options)
    : store_(std::move(store)),
      senders_(std::move(senders)),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()) {}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Notifier::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  // A receiver that hangs must not hold up the shutdown for its timeout:
  // the delivery in flight gives up and its row is due again at once.
  for (auto& [channel, sender] : senders_) sender->SetAborting(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [channel, sender] : senders_) sender->SetAborting(false);
  if (options_.observer) options_.observer->OnLoopStopped(kLoopName);
}

void Notifier::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

bool Notifier::SleepUntil(Steady::time_point until) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, until, [&] { return stop_; });
  return !stop_;
}

Micros Notifier::Backoff(int attempt) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const int shift = std::clamp(attempt - 1, 0, 30);
  double base = static_cast<double>(options_.backoff_base.count()) * static_cast<double>(1LL << shift);
  base = std::min(base, static_cast<double>(options_.backoff_max.count()));
  std::uniform_real_distribution<double> spread(1.0 - options_.jitter, 1.0 + options_.jitter);
  return Micros(static_cast<int64_t>(base * spread(rng)));
}

Result<std::vector<OutboxRow>> Notifier::Claim() {
  const Timestamp now = clock_->Now();
  OutboxClaimParams p;
  p.owner = options_.owner;
  p.now = now;
  p.lease_until = now + options_.lease;
  p.limit = options_.batch;
  return store_->OutboxClaim(p);
}

int Notifier::RunOnce() {
  const Timestamp now = clock_->Now();
  auto claimed = Claim();
  if (!claimed.ok()) {
    if (options_.observer) options_.observer->OnStoreError(kLoopName, claimed.status());
    return 0;
  }
  if (options_.observer) options_.observer->OnStoreRecovered(kLoopName);
  std::vector<OutboxRow> rows = std::move(claimed).value();
  std::vector<bool> done(rows.size(), false);
  int delivered = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (done[i]) continue;
    {
      std::lock_guard lock(mu_);
      if (stop_) break;  // the untried rows are given back below
    }
    done[i] = true;
    // `rows` may grow below (top-up claim): `row` is not used past that point.
    const OutboxRow& row = rows[i];
    auto sender = senders_.find(row.channel);
    if (sender == senders_.end()) {
      // A channel removed from the config: nobody here can deliver it. Try
      // again in an hour (another node may have it configured).
      (void)store_->OutboxMarkFailed(row.id, options_.owner, clock_->Now(),
                                     clock_->Now() + std::chrono::hours(1),
                                     "channel " + row.channel + " is not configured on " + options_.owner,
                                     false);
      continue;
    }
    ChannelState& ch = channels_[row.channel];
    if (Steady::now() < ch.blocked_until) {
      // Rate limited: give the row back for when the channel opens again.
      auto wait = std::chrono::duration_cast<Micros>(ch.blocked_until - Steady::now());
      (void)store_->OutboxMarkFailed(row.id, options_.owner, clock_->Now(), clock_->Now() + wait,
                                     row.last_error.value_or("rate limited"), false);
      continue;
    }
    const Micros gap = sender->second->min_interval();
    if (gap > Micros(0) && Steady::now() < ch.last_sent + gap) {
      if (!SleepUntil(ch.last_sent + gap)) break;
      // What became due while we waited for the spacing may join this
      // message (coalescing); rows of other channels are handled below.
      if (auto more = Claim(); more.ok()) {
        for (auto& r : *more) rows.push_back(std::move(r));
        done.resize(rows.size(), false);
      }
    }
    // This row and the later claimed rows of its channel, in outbox order:
    // a coalescing sender (Slack) sends as many as fit as ONE message.
    std::vector<size_t> group = {i};
    std::vector<notify::Notification> ns = {notify::Notification::FromRow(rows[i])};
    for (size_t j = i + 1; j < rows.size(); ++j) {
      if (done[j] || rows[j].channel != rows[i].channel) continue;
      group.push_back(j);
      ns.push_back(notify::Notification::FromRow(rows[j]));
    }
    const size_t take = std::clamp<size_t>(sender->second->Coalescable(ns), 1, ns.size());
    group.resize(take);
    ns.resize(take);
    for (size_t g : group) done[g] = true;
    notify::DeliveryResult r =
        take == 1 ? sender->second->Deliver(ns.front()) : sender->second->DeliverMany(ns);
    // A round of slow receivers (timeouts) must not look like a hung loop
    // to /livez: tick per delivery, not only per round.
    if (options_.observer) options_.observer->OnLoopTick(kLoopName);
    ch.last_sent = Steady::now();
    if (r.retry_after) ch.blocked_until = Steady::now() + *r.retry_after;
    bool stopping = false;
    {
      std::lock_guard lock(mu_);
      stopping = stop_;
    }
    if (!r.ok && stopping) {
      // Interrupted by Stop(), not the receiver's fault: due again at once,
      // for whichever node runs next; not a channel failure.
      log::Info("notification delivery interrupted by shutdown; it will be retried",
                {{"channel", rows[i].channel}, {"rows", group.size()}});
      for (size_t g : group) {
        (void)store_->OutboxMarkFailed(rows[g].id, options_.owner, clock_->Now(), clock_->Now(),
                                       "delivery interrupted: notifier stopping", false);
      }
      break;
    }
    // Each row of the message is recorded once, with the message's outcome.
    for (size_t g : group) delivered += Record(ch, rows[g], r) ? 1 : 0;
  }
  // Stopping: rows claimed but never tried go back at once, so another node
  // (or this one after a restart) need not wait for their lease to expire.
  std::vector<int64_t> untried;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!done[i]) untried.push_back(rows[i].id);
  }
  if (!untried.empty()) (void)store_->OutboxRelease(untried, options_.owner);
  if (Steady::now() - last_cleanup_ > std::chrono::hours(1)) {
    last_cleanup_ = Steady::now();
    (void)store_->OutboxDeleteFinished(now - options_.retention, 1000);
  }
  return delivered;
}

bool Notifier::Record(ChannelState& ch, const OutboxRow& row, const notify::DeliveryResult& r) {
  const Timestamp done = clock_->Now();
  if (r.ok) {
    LogOutcome(ch, row, r, Micros(0));
    auto st = store_->OutboxMarkDelivered(row.id, options_.owner, done);
    if (!st.ok()) {
      // Delivered but not recorded: it will be sent again when the lease
      // expires (at-least-once). Say so, once per occurrence.
      log::Warn("notification delivered but not recorded; it may be sent twice",
                {{"outbox_id", row.id}, {"channel", row.channel}, {"error", st.status().ToString()}});
    }
    log::Debug("notification delivered", {{"outbox_id", row.id}, {"channel", row.channel},
                                           {"event", row.event}, {"result", r.message}});
    return true;
  }
  Micros delay = Backoff(row.attempts);
  if (r.retry_after && *r.retry_after > delay) delay = *r.retry_after;
  if (r.permanent_error) {
    // Each is a message nobody will receive: always worth a line.
    log::Error("notification failed permanently",
               {{"outbox_id", row.id}, {"channel", row.channel}, {"error", r.message}});
  } else {
    LogOutcome(ch, row, r, delay);
  }
  (void)store_->OutboxMarkFailed(row.id, options_.owner, done, done + delay, r.message, r.permanent_error);
  return false;
}

void Notifier::LogOutcome(ChannelState& ch, const OutboxRow& row, const notify::DeliveryResult& r,
                          Micros retry_in) {
  const Timestamp now = clock_->Now();
  if (r.ok) {
    if (ch.failures > 0) {
      log::Info("notification channel delivering again",
                {{"channel", row.channel},
                 {"failed_attempts", ch.failures},
                 {"failing_for_s", std::chrono::duration_cast<std::chrono::seconds>(now - ch.failing_since).count()}});
    }
    ch.failures = 0;
    return;
  }
  // A receiver that is down, slow, answering garbage or failing TLS fails
  // every attempt; a line per attempt would bury everything else.
  if (ch.failures++ == 0) {
    ch.failing_since = now;
    ch.last_logged = now;
    log::Warn("notification channel failing; will keep retrying",
              {{"channel", row.channel}, {"error", r.message}, {"retry_in_ms", retry_in.count() / 1000}});
  } else if (now - ch.last_logged >= options_.failure_log_interval) {
    ch.last_logged = now;
    log::Warn("notification channel still failing; will keep retrying",
              {{"channel", row.channel},
               {"failed_attempts", ch.failures},
               {"failing_for_s", std::chrono::duration_cast<std::chrono::seconds>(now - ch.failing_since).count()},
               {"error", r.message}});
  } else {
    log::Debug("notification delivery failed; will retry",
               {{"channel", row.channel}, {"outbox_id", row.id}, {"attempt", row.attempts},
                {"error", r.message}, {"retry_in_ms", retry_in.count() / 1000}});
  }
}

void Notifier::Run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      wake_ = false;
    }
    const int delivered = RunOnce();
    if (options_.observer) options_.observer->OnLoopTick(kLoopName);
    if (delivered > 0) continue;  // there may be more right away (next in order)
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [&] { return stop_ || wake_; });
  }
}

}  // namespace steward
