#include "store/alert_ops.h"

#include <algorithm>

namespace steward::alert_ops {

namespace {

// The notification rows of one alert change: one per channel, each carrying
// the alert as it is after the change.
Result<std::vector<int64_t>> Notify(AlertTxn& txn, const Alert& a, const std::string& event,
                                    const AlertUpsertParams& p) {
  if (p.channels.empty()) return std::vector<int64_t>{};
  const std::string payload = AlertPayloadJson(a, event);
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(p.channels.size());
  for (const std::string& ch : p.channels) rows.emplace_back(ch, payload);
  return txn.InsertOutbox(a.id, event, rows, p.now);
}

Alert NewAlert(const AlertUpsertParams& p) {
  Alert a;
  a.fingerprint = p.fingerprint;
  a.rule = p.rule;
  a.labels_json = p.labels_json;
  a.severity = p.severity;
  a.summary = p.summary;
  a.detail = p.detail;
  a.job_id = p.job_id;
  a.count = p.count;
  a.last_seen = a.last_notified_at = p.now;
  // Writes are batched and wait out outages: the alert opened when the
  // failure happened, never later than now.
  a.first_seen = std::min(p.occurred_at.value_or(p.now), p.now);
  return a;
}

}  // namespace

Result<AlertUpsertResult> Upsert(AlertTxn& txn, const AlertUpsertParams& p) {
  const bool fire = p.action == AlertUpsertParams::Action::kFire;
  AlertUpsertResult out;
  STEWARD_ASSIGN_OR_RETURN(std::optional<Alert> open, txn.SelectOpenAlert(p.fingerprint));
  if (!open && !fire) return out;  // nothing to resolve; the transaction rolls back

  Alert a;
  std::string event;
  if (!open) {
    a = NewAlert(p);
    STEWARD_ASSIGN_OR_RETURN(a.id, txn.InsertAlert(a));
    event = "open";
    out.change = AlertUpsertResult::Change::kOpened;
  } else if (fire) {
    a = *open;
    a.count += p.count;
    a.last_seen = p.now;
    if (!p.summary.empty()) a.summary = p.summary;
    if (!p.detail.empty()) a.detail = p.detail;
    if (p.job_id) a.job_id = p.job_id;
    // A storm that keeps firing is told again once per repeat_interval,
    // counted from the last notification (open or reminder); not while a
    // person silenced it (the first firing after the silence ends reminds).
    const bool remind = p.now - a.last_notified_at >= p.repeat_interval && !Silenced(a, p.now);
    if (remind) {
      a.last_notified_at = p.now;
      event = "repeat";
    }
    STEWARD_RETURN_IF_ERROR(txn.UpdateAlert(a));
    out.change =
        remind ? AlertUpsertResult::Change::kReminded : AlertUpsertResult::Change::kRepeated;
  } else {
    a = *open;
    a.open = false;
    a.resolved_at = p.now;
    if (!p.detail.empty()) a.detail = p.detail;
    STEWARD_RETURN_IF_ERROR(txn.UpdateAlert(a));
    event = "resolve";
    out.change = AlertUpsertResult::Change::kResolved;
  }
  if (!event.empty()) {
    STEWARD_ASSIGN_OR_RETURN(out.enqueued, Notify(txn, a, event, p));
  }
  out.alert_id = a.id;
  out.count = a.count;
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<int64_t> Enqueue(AlertTxn& txn, const std::string& channel, const std::string& event,
                        const std::string& payload_json, Timestamp now) {
  const std::pair<std::string, std::string> row{channel, payload_json};
  STEWARD_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                           txn.InsertOutbox(std::nullopt, event, std::span(&row, 1), now));
  if (ids.size() != 1) return Internal("outbox insert returned no id");
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return ids.front();
}

Result<std::vector<int64_t>> EnqueueOnce(AlertTxn& txn, const OutboxEnqueueOnceParams& p) {
  STEWARD_ASSIGN_OR_RETURN(std::vector<std::string> payloads, OutboxOncePayloads(p));
  // Callers with the same key queue up here, so the check below sees the
  // rows of whichever committed first.
  STEWARD_RETURN_IF_ERROR(txn.LockDedupKey(p.dedup_key));
  STEWARD_ASSIGN_OR_RETURN(bool written, txn.OutboxKeyWritten(p.event, p.dedup_key));
  if (written) return std::vector<int64_t>{};  // the transaction rolls back
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) rows.emplace_back(p.rows[i].first, payloads[i]);
  STEWARD_ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                           txn.InsertOutbox(std::nullopt, p.event, rows, p.now));
  STEWARD_RETURN_IF_ERROR(txn.Commit());
  return ids;
}

bool Silenced(const Alert& a, Timestamp now) {
  return a.silenced_until && *a.silenced_until > now;
}

Status Acknowledge(AlertTxn& txn, int64_t id, const std::string& actor,
                   std::optional<Timestamp> silence_until, Timestamp now) {
  if (actor.empty()) return InvalidArgument("an acknowledgement needs an actor");
  STEWARD_ASSIGN_OR_RETURN(std::optional<Alert> found, txn.SelectAlert(id));
  if (!found) return NotFound("alert " + std::to_string(id) + " does not exist");
  Alert a = std::move(*found);
  if (!a.open) {
    return FailedPrecondition("alert " + std::to_string(id) +
                              " is resolved; only open alerts can be acknowledged");
  }
  a.acked_at = now;
  a.acked_by = actor;
  if (silence_until) a.silenced_until = *silence_until;
  STEWARD_RETURN_IF_ERROR(txn.UpdateAlert(a));
  return txn.Commit();
}

}  // namespace steward::alert_ops
