// The daily digest: once a day, one message per channel summarising the
// last 24 hours (jobs run and failed per queue, alerts opened and resolved,
// checks down), so the owner knows everything is fine without logging in.
//
// Durable and once across nodes: the digest is written into the
// notification outbox like any alert message, through
// AlertStore::OutboxEnqueueOnce with the key "digest:<YYYY-MM-DD>" (the
// local date of the digest time). Every node's alerter tries when the time
// has come; the store serialises them and writes one set of rows; the
// notifier delivers them with the usual retries. Sentry gets no digest (it
// is for errors).
//
// Timing: due at `at` (local time in `time_zone`, DST-aware through the
// cron engine) each day. A digest more than `max_late` late (every node was
// down at the time) is skipped, so starting a node does not send
// yesterday's digest.
//
// Counts come from the rows that exist: finished jobs deleted by retention
// (keep_completed, 24 h by default) are not counted, so with a retention
// shorter than a day the job numbers are a lower bound.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cron_zone.h"
#include "steward/clock.h"
#include "steward/cron.h"
#include "store/store.h"

namespace steward {

struct DigestConfig {
  bool enabled = false;
  std::string at = "09:00";  // HH:MM, local time in time_zone
  std::string time_zone = "UTC";
  Micros max_late = std::chrono::hours(12);
};

class Digest {
 public:
  // kInvalidArgument for a bad `at` ("expected HH:MM") or an unknown zone.
  static Result<Digest> Make(const DigestConfig& config);

  struct Slot {
    Timestamp at{};   // the digest time
    std::string day;  // its local date, YYYY-MM-DD
  };
  // The latest digest time <= now, unless it is more than max_late ago.
  std::optional<Slot> Latest(Timestamp now) const;

  // Writes the digest of the slot due at `now` for `channels` (sentry is
  // skipped) unless some node already did. Returns the rows written (0 when
  // nothing was due or it was written before). Cheap when nothing is due:
  // no database work until the next day's slot.
  Result<int> Tick(Store& store, const std::vector<std::string>& channels, Timestamp now);

  // The outbox payload for a slot: a JSON object with "digest" (the
  // structured numbers), "summary" (one line) and "detail" (plain text).
  Result<std::string> BuildPayload(Store& store, const Slot& slot) const;

 private:
  Digest(DigestConfig c, CronSchedule cron, CronZone zone)
      : c_(std::move(c)), cron_(std::move(cron)), zone_(std::move(zone)) {}

  DigestConfig c_;
  CronSchedule cron_;
  CronZone zone_;
  std::string done_;  // the day known to be written
};

// The plain-text digest (e-mail body, Slack fallback) from payload.digest.
std::string DigestText(const nlohmann::json& digest);

}  // namespace steward
