#include "store/txn_store.h"

#include <optional>

#include "store/conflict_retry.h"

namespace steward {

namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

}  // namespace

template <typename F>
auto TxnStore::InScheduleTxn(std::string_view label, F fn)
    -> decltype(fn(std::declval<ScheduleTxn&>(), std::declval<std::set<std::string>&>())) {
  std::set<std::string> queues;
  std::optional<decltype(fn(std::declval<ScheduleTxn&>(), queues))> r;
  for (int attempt = 1;; ++attempt) {
    queues.clear();
    r.reset();
    Status opened = RunScheduleTxn(label, [&](ScheduleTxn& t) {
      r.emplace(fn(t, queues));
      return StatusOf(*r);
    });
    if (!r) return opened;
    if (!RetryConflict(StatusOf(*r), attempt)) break;
  }
  if (r->ok()) {
    for (const auto& q : queues) NotifyJobsAdded(q);
  }
  return std::move(*r);
}

template <typename F>
auto TxnStore::InAlertTxn(std::string_view label, F fn) -> decltype(fn(std::declval<AlertTxn&>())) {
  std::optional<decltype(fn(std::declval<AlertTxn&>()))> r;
  for (int attempt = 1;; ++attempt) {
    r.reset();
    Status opened = RunAlertTxn(label, [&](AlertTxn& t) {
      r.emplace(fn(t));
      return StatusOf(*r);
    });
    if (!r) return opened;
    if (!RetryConflict(StatusOf(*r), attempt)) break;
  }
  return std::move(*r);
}

Result<Schedule> TxnStore::ScheduleUpsert(const ScheduleSpec& spec, Timestamp now) {
  return InScheduleTxn("ScheduleUpsert",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::Upsert(t, spec, now); });
}
Result<std::vector<std::string>> TxnStore::ScheduleDisableMissing(std::string_view source,
                                                                  std::span<const std::string> keep,
                                                                  Timestamp now) {
  return InScheduleTxn("ScheduleDisableMissing", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::DisableMissing(t, source, keep, now);
  });
}
Result<Schedule> TxnStore::ScheduleGet(std::string_view name) {
  return InScheduleTxn("ScheduleGet",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::Get(t, name); });
}
Result<std::vector<Schedule>> TxnStore::ScheduleList() {
  return InScheduleTxn("ScheduleList",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::List(t); });
}
Status TxnStore::ScheduleSetPaused(std::string_view name, bool paused, Timestamp now) {
  return InScheduleTxn("ScheduleSetPaused", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::SetPaused(t, name, paused, now);
  });
}
Status TxnStore::ScheduleDelete(std::string_view name) {
  return InScheduleTxn("ScheduleDelete",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::Delete(t, name); });
}
Result<int64_t> TxnStore::ScheduleTrigger(std::string_view name, Timestamp now) {
  return InScheduleTxn("ScheduleTrigger", [&](ScheduleTxn& t, auto& q) {
    return schedule_ops::Trigger(t, name, now, q);
  });
}
Result<std::vector<ScheduleFireResult>> TxnStore::ScheduleFireDue(Timestamp now, int limit) {
  return InScheduleTxn("ScheduleFireDue", [&](ScheduleTxn& t, auto& q) {
    return schedule_ops::FireDue(t, now, limit, q);
  });
}
Result<std::optional<Timestamp>> TxnStore::ScheduleNextFireAt() {
  return InScheduleTxn("ScheduleNextFireAt",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::NextFireAt(t); });
}
Status TxnStore::ScheduleRecordRun(std::string_view name, bool success, Timestamp at) {
  return InScheduleTxn("ScheduleRecordRun", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::RecordRun(t, name, success, at);
  });
}
Result<Check> TxnStore::CheckUpsert(const CheckSpec& spec, Timestamp now) {
  return InScheduleTxn("CheckUpsert", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::CheckUpsert(t, spec, now);
  });
}
Result<std::vector<std::string>> TxnStore::CheckDisableMissing(std::string_view source,
                                                               std::span<const std::string> keep,
                                                               Timestamp now) {
  return InScheduleTxn("CheckDisableMissing", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::CheckDisableMissing(t, source, keep, now);
  });
}
Result<Check> TxnStore::CheckGet(std::string_view name) {
  return InScheduleTxn("CheckGet",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::CheckGet(t, name); });
}
Result<std::vector<Check>> TxnStore::CheckList() {
  return InScheduleTxn("CheckList",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::CheckList(t); });
}
Result<Check> TxnStore::CheckPing(const CheckPingParams& p) {
  return InScheduleTxn("CheckPing",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::CheckPing(t, p); });
}
Result<std::vector<CheckTransition>> TxnStore::CheckEvaluate(Timestamp now) {
  return InScheduleTxn("CheckEvaluate",
                       [&](ScheduleTxn& t, auto&) { return schedule_ops::CheckEvaluate(t, now); });
}

Status TxnStore::CheckSetPaused(std::string_view name, bool paused, Timestamp now) {
  return InScheduleTxn("CheckSetPaused", [&](ScheduleTxn& t, auto&) {
    return schedule_ops::CheckSetPaused(t, name, paused, now);
  });
}

Result<AlertUpsertResult> TxnStore::AlertUpsert(const AlertUpsertParams& p) {
  STEWARD_RETURN_IF_ERROR(ValidateAlertUpsert(p));
  auto upsert = [&](AlertTxn& t) { return alert_ops::Upsert(t, p); };
  auto r = InAlertTxn("AlertUpsert", upsert);
  // Two nodes opening one fingerprint at once collide on the unique index
  // of open alerts; the loser's second round finds the winner's alert open.
  if (!r.ok() && r.status().code() == StatusCode::kAlreadyExists) {
    r = InAlertTxn("AlertUpsert", upsert);
  }
  return r;
}

Result<int64_t> TxnStore::OutboxEnqueue(const std::string& channel, const std::string& event,
                                        const std::string& payload_json, Timestamp now) {
  return InAlertTxn("OutboxEnqueue", [&](AlertTxn& t) {
    return alert_ops::Enqueue(t, channel, event, payload_json, now);
  });
}

Result<std::vector<int64_t>> TxnStore::OutboxEnqueueOnce(const OutboxEnqueueOnceParams& p) {
  return InAlertTxn("OutboxEnqueueOnce", [&](AlertTxn& t) { return alert_ops::EnqueueOnce(t, p); });
}

Status TxnStore::AlertAcknowledge(int64_t id, const std::string& actor,
                                  std::optional<Timestamp> silence_until, Timestamp now) {
  return InAlertTxn("AlertAcknowledge", [&](AlertTxn& t) {
    return alert_ops::Acknowledge(t, id, actor, silence_until, now);
  });
}

}  // namespace steward
