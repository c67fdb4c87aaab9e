// AlertStore: the part of the Store that keeps alerts and the notification
// outbox. Store inherits it, so every backend implements it and the
// conformance suite (tests/store/alert_store_test.cc) covers it.
//
// The guarantee it exists for: an alert change and the notifications it
// causes are written in ONE transaction (the transactional outbox), so a
// crash can never leave an alert opened without its message queued, or a
// message queued for a change that was rolled back. Delivery is then
// at-least-once: rows are claimed with a lease, and a notifier that dies
// mid-delivery leaves its rows to be claimed again when the lease expires.
//
// All calls are thread-safe and take `now` explicitly (tests drive time).
// Errors as for Store: kUnavailable (retry), kInvalidArgument (bad params).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "steward/clock.h"
#include "steward/status.h"

namespace steward {

// One alert: identity is its fingerprint ("job_discarded:kind=email"); at
// most one alert per fingerprint is open at a time. A resolved alert stays
// as history; the next firing of the same fingerprint opens a new row.
struct Alert {
  int64_t id = 0;
  std::string fingerprint;
  std::string rule;         // "job_discarded", "queue_lag", ...
  std::string labels_json;  // bounded labels as a JSON object: {"kind":"email"}
  std::string severity;     // "error" | "warning"
  std::string summary;      // one line a person reads first
  std::string detail;       // the last error message or measurement
  std::optional<int64_t> job_id;  // the last job involved (dashboard link)
  bool open = true;
  int64_t count = 0;        // occurrences while open
  Timestamp first_seen{};
  Timestamp last_seen{};
  Timestamp last_notified_at{};  // last open or reminder notification
  std::optional<Timestamp> resolved_at;
  // A person said "seen" (dashboard): who and when.
  std::optional<Timestamp> acked_at;
  std::string acked_by;
  // Until then the alert sends no reminders; it still counts occurrences,
  // and still resolves (the resolve notification says it was silenced).
  std::optional<Timestamp> silenced_until;
};

struct AlertUpsertParams {
  enum class Action {
    kFire,     // opens the alert, or adds `count` occurrences to the open one
    kResolve,  // resolves the open alert (no-op when none is open)
  };
  Action action = Action::kFire;
  std::string fingerprint;  // required
  std::string rule;         // required for kFire
  std::string labels_json = "{}";
  std::string severity = "error";
  std::string summary;
  std::string detail;
  std::optional<int64_t> job_id;
  int64_t count = 1;  // occurrences to add (>= 1); a batch of a storm in one call
  Timestamp now{};
  // kFire: when the first of these occurrences happened, if before `now`
  // (writes are batched and wait out outages). A newly opened alert's
  // first_seen; unset = now.
  std::optional<Timestamp> occurred_at;
  // An open alert that keeps firing is notified again (a reminder) once
  // this long has passed since its last notification.
  Micros repeat_interval = std::chrono::hours(4);
  // One outbox row per channel is written for each notifying change.
  std::vector<std::string> channels;
};

struct AlertUpsertResult {
  enum class Change {
    kNone,      // resolve without an open alert
    kOpened,    // new alert: "open" rows enqueued
    kRepeated,  // count/last_seen updated; nothing enqueued (within repeat_interval)
    kReminded,  // count updated and "repeat" rows enqueued
    kResolved,  // "resolve" rows enqueued
  };
  Change change = Change::kNone;
  int64_t alert_id = 0;
  int64_t count = 0;                 // the alert's count after the change
  std::vector<int64_t> enqueued;     // outbox row ids written in the same transaction
};

// One notification waiting for (or past) delivery to one channel.
struct OutboxRow {
  int64_t id = 0;
  std::optional<int64_t> alert_id;  // null for test messages and digests
  std::string channel;              // "slack", "sentry", "webhook", "email"
  std::string event;                // "open" | "repeat" | "resolve" | "test" | "digest"
  std::string payload_json;         // snapshot of the alert at enqueue time
  Timestamp created_at{};
  int attempts = 0;                 // claims so far (incremented by each claim)
  Timestamp next_attempt_at{};
  std::optional<std::string> lease_owner;
  std::optional<Timestamp> lease_until;
  std::optional<Timestamp> delivered_at;
  std::optional<Timestamp> failed_at;  // given up: permanent error
  std::optional<std::string> last_error;
  // The alert's live numbers when the row was claimed (a storm that went on
  // after the row was written is reported with its full count).
  int64_t alert_count = 0;
  std::optional<Timestamp> alert_last_seen;
};

struct OutboxClaimParams {
  std::string owner;        // becomes lease_owner
  Timestamp now{};
  Timestamp lease_until{};  // when another claimer may take the row again
  int limit = 50;
};

struct OutboxListParams {
  std::optional<std::string> channel;
  bool undelivered_only = false;  // neither delivered nor failed
  int limit = 1000;
};

// --- daily digest (watch/digest.h) ------------------------------------------
// Jobs of one queue that finished within a window.
struct QueueActivity {
  std::string queue;
  int64_t completed = 0;
  int64_t discarded = 0;        // failed for good
  int64_t cancelled = 0;
  int64_t failed_attempts = 0;  // attempt errors recorded in the window (retries included)
};

struct ActivitySummary {
  std::vector<QueueActivity> queues;  // by name; only queues with activity in the window
  int64_t alerts_opened = 0;          // first_seen in the window
  int64_t alerts_resolved = 0;        // resolved_at in the window
  std::vector<Alert> alerts;          // opened or resolved in the window, newest first, <= alert_limit
};

struct ActivitySummarizeParams {
  Timestamp since{};  // inclusive
  Timestamp until{};  // exclusive
  int alert_limit = 20;
};

// Rows that must be written once, whichever node (or how many) tries.
struct OutboxEnqueueOnceParams {
  std::string dedup_key;  // required; e.g. "digest:2026-11-27"; stored as payload.dedup_key
  std::string event = "digest";
  std::vector<std::pair<std::string, std::string>> rows;  // (channel, payload JSON object)
  Timestamp now{};
};
// --- end daily digest --------------------------------------------------------

// The outbox payload both backends write: a JSON snapshot of the alert for
// one event (store/alert_payload.cc), so senders never need the alerts table.
std::string AlertPayloadJson(const Alert& alert, const std::string& event);

// Validates params shared by every backend (kInvalidArgument).
Status ValidateAlertUpsert(const AlertUpsertParams& p);
// Validates p and returns its payloads with "dedup_key" set, in row order.
Result<std::vector<std::string>> OutboxOncePayloads(const OutboxEnqueueOnceParams& p);

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // Opens, counts, reminds or resolves an alert and writes its outbox rows,
  // all in one transaction. kInvalidArgument for an empty fingerprint or a
  // fire without rule or with count < 1.
  virtual Result<AlertUpsertResult> AlertUpsert(const AlertUpsertParams& p) = 0;
  // The open alert with this fingerprint; kNotFound if none is open.
  virtual Result<Alert> AlertGetOpen(const std::string& fingerprint) = 0;
  // Newest first; open ones only when `open_only`.
  virtual Result<std::vector<Alert>> AlertList(bool open_only, int limit) = 0;
  // One alert by id (open or resolved); kNotFound if missing.
  virtual Result<Alert> AlertGet(int64_t id) = 0;
  // Records an acknowledgement by `actor` at `now`; with `silence_until`,
  // also silences reminders until then (nullopt leaves silencing as is).
  // kFailedPrecondition for a resolved alert; kNotFound if missing.
  virtual Status AlertAcknowledge(int64_t id, const std::string& actor,
                                  std::optional<Timestamp> silence_until, Timestamp now) = 0;

  // A notification that belongs to no alert (doctor --send-test, digest).
  virtual Result<int64_t> OutboxEnqueue(const std::string& channel, const std::string& event,
                                        const std::string& payload_json, Timestamp now) = 0;
  // Leases up to `limit` rows that are due (next_attempt_at <= now), neither
  // delivered nor failed, not leased (or the lease expired), and have no
  // earlier pending row of the same alert and channel (so a resolve is never
  // delivered before its open). Oldest first; attempts += 1. Two concurrent
  // claimers never receive the same row.
  virtual Result<std::vector<OutboxRow>> OutboxClaim(const OutboxClaimParams& p) = 0;
  // Marks a leased row delivered. Returns false if `owner` lost the lease.
  virtual Result<bool> OutboxMarkDelivered(int64_t id, const std::string& owner, Timestamp now) = 0;
  // Gives the row back: due again at next_attempt_at, with last_error; or,
  // when `permanent`, failed for good (failed_at = now). Returns false if
  // `owner` lost the lease.
  virtual Result<bool> OutboxMarkFailed(int64_t id, const std::string& owner, Timestamp now,
                                        Timestamp next_attempt_at, const std::string& error,
                                        bool permanent) = 0;
  // Gives back leased rows that were never attempted (the notifier is
  // stopping): unleased and claimable at once, the claim's attempt undone,
  // last_error untouched. Rows `owner` does not lease are left alone.
  // Returns how many were released.
  virtual Result<int> OutboxRelease(std::span<const int64_t> ids, const std::string& owner) = 0;
  // Oldest first.
  virtual Result<std::vector<OutboxRow>> OutboxList(const OutboxListParams& p) = 0;
  // Retention: deletes delivered or failed rows older than `before`.
  virtual Result<int> OutboxDeleteFinished(Timestamp before, int limit) = 0;

  // --- daily digest (watch/digest.h) ----------------------------------------
  // What happened in [since, until): finished jobs and failed attempts per
  // queue, alerts opened and resolved. Counted from the rows that exist:
  // finished jobs (and their errors) already deleted by retention are not
  // counted. Read-only.
  virtual Result<ActivitySummary> ActivitySummarize(const ActivitySummarizeParams& p) = 0;
  // Writes p.rows (event p.event, payload.dedup_key = p.dedup_key) in one
  // transaction unless an outbox row with this event and dedup key exists;
  // serialised across nodes, so concurrent callers write one set. Returns
  // the new ids, empty when the key was already written. kInvalidArgument
  // for an empty key or a payload that is not a JSON object.
  virtual Result<std::vector<int64_t>> OutboxEnqueueOnce(const OutboxEnqueueOnceParams& p) = 0;
  // --- end daily digest ------------------------------------------------------
};

}  // namespace steward
