// The AlertStore rules, written once over a small transaction interface
// that each backend implements (sqlite_alerts.cc, postgres_alerts.cc), as
// store/schedule_ops.h does for schedules. Backends only move rows; when an
// alert opens, counts, reminds or resolves, and which outbox rows that
// writes, is decided here, so the two backends cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/alert_store.h"

namespace steward {

// One open write transaction. Destroying it without Commit rolls back.
class AlertTxn {
 public:
  virtual ~AlertTxn() = default;

  // The open alert with this fingerprint, locked until the transaction ends
  // (PostgreSQL: FOR UPDATE; SQLite: the transaction excludes other writers).
  virtual Result<std::optional<Alert>> SelectOpenAlert(const std::string& fingerprint) = 0;
  // The alert with this id (open or resolved), locked the same way.
  virtual Result<std::optional<Alert>> SelectAlert(int64_t id) = 0;
  // Inserts `a` as an open alert and returns its id. kAlreadyExists when
  // another transaction opened the same fingerprint first (the transaction
  // is then unusable; the caller starts a new one).
  virtual Result<int64_t> InsertAlert(const Alert& a) = 0;
  // Writes every mutable column of row a.id (counts, texts, times, state,
  // acknowledgement and silence).
  virtual Status UpdateAlert(const Alert& a) = 0;
  // Inserts one outbox row per (channel, payload JSON) in order, due at
  // `now`; returns their ids in the same order.
  virtual Result<std::vector<int64_t>> InsertOutbox(
      std::optional<int64_t> alert_id, const std::string& event,
      std::span<const std::pair<std::string, std::string>> rows, Timestamp now) = 0;
  // Makes every other transaction that locks the same key wait until this
  // one ends (PostgreSQL: an advisory transaction lock; SQLite: nothing,
  // the write transaction already excludes other writers).
  virtual Status LockDedupKey(const std::string& dedup_key) = 0;
  // Whether an outbox row with this event and payload.dedup_key exists.
  virtual Result<bool> OutboxKeyWritten(const std::string& event, const std::string& dedup_key) = 0;

  virtual Status Commit() = 0;
};

namespace alert_ops {

// Each function runs its rule in `txn` and commits it. p is validated.
// Upsert returns kAlreadyExists when it lost a race to open the alert: the
// caller retries once in a new transaction, which then finds the alert open.
Result<AlertUpsertResult> Upsert(AlertTxn& txn, const AlertUpsertParams& p);
Result<int64_t> Enqueue(AlertTxn& txn, const std::string& channel, const std::string& event,
                        const std::string& payload_json, Timestamp now);
Result<std::vector<int64_t>> EnqueueOnce(AlertTxn& txn, const OutboxEnqueueOnceParams& p);
// AlertStore::AlertAcknowledge.
Status Acknowledge(AlertTxn& txn, int64_t id, const std::string& actor,
                   std::optional<Timestamp> silence_until, Timestamp now);
// Whether an open alert sends no reminders at `now`.
bool Silenced(const Alert& a, Timestamp now);

}  // namespace alert_ops
}  // namespace steward
