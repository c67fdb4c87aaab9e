// TxnStore: the part of a Store that both backends share. The schedule,
// check and alert rules (store/schedule_ops.h, store/alert_ops.h) run here
// over one transaction that the backend opens; a backend only implements
// how to open that transaction and how its rows move (ScheduleTxn,
// AlertTxn), so each forwarder below is written once.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "store/alert_ops.h"
#include "store/schedule_ops.h"
#include "store/store.h"

namespace steward {

class TxnStore : public Store {
 public:
  // --- ScheduleStore (schedule_store.h) over schedule_ops ---
  Result<Schedule> ScheduleUpsert(const ScheduleSpec& spec, Timestamp now) final;
  Result<std::vector<std::string>> ScheduleDisableMissing(std::string_view source,
                                                          std::span<const std::string> keep,
                                                          Timestamp now) final;
  Result<Schedule> ScheduleGet(std::string_view name) final;
  Result<std::vector<Schedule>> ScheduleList() final;
  Status ScheduleSetPaused(std::string_view name, bool paused, Timestamp now) final;
  Status ScheduleDelete(std::string_view name) final;
  Result<int64_t> ScheduleTrigger(std::string_view name, Timestamp now) final;
  Result<std::vector<ScheduleFireResult>> ScheduleFireDue(Timestamp now, int limit) final;
  Result<std::optional<Timestamp>> ScheduleNextFireAt() final;
  Status ScheduleRecordRun(std::string_view name, bool success, Timestamp at) final;
  Result<Check> CheckUpsert(const CheckSpec& spec, Timestamp now) final;
  Result<std::vector<std::string>> CheckDisableMissing(std::string_view source,
                                                       std::span<const std::string> keep,
                                                       Timestamp now) final;
  Result<Check> CheckGet(std::string_view name) final;
  Result<std::vector<Check>> CheckList() final;
  Result<Check> CheckPing(const CheckPingParams& p) final;
  Result<std::vector<CheckTransition>> CheckEvaluate(Timestamp now) final;
  Status CheckSetPaused(std::string_view name, bool paused, Timestamp now) final;

  // --- AlertStore writes (alert_store.h) over alert_ops ---
  Result<AlertUpsertResult> AlertUpsert(const AlertUpsertParams& p) final;
  Result<int64_t> OutboxEnqueue(const std::string& channel, const std::string& event,
                                const std::string& payload_json, Timestamp now) final;
  Result<std::vector<int64_t>> OutboxEnqueueOnce(const OutboxEnqueueOnceParams& p) final;
  Status AlertAcknowledge(int64_t id, const std::string& actor,
                          std::optional<Timestamp> silence_until, Timestamp now) final;

 protected:
  // Opens one write transaction, runs fn on it (fn commits) and returns
  // fn's status, or the error that kept the transaction from opening.
  // `label` names the caller (PostgreSQL's pool reports it for a leak). The
  // transaction must be closed and every lock released before returning:
  // the caller then wakes fetchers, which may use the same connection.
  virtual Status RunScheduleTxn(std::string_view label,
                                const std::function<Status(ScheduleTxn&)>& fn) = 0;
  virtual Status RunAlertTxn(std::string_view label,
                             const std::function<Status(AlertTxn&)>& fn) = 0;

 private:
  // Runs fn(txn, queues) through RunScheduleTxn; after it committed, wakes
  // the fetchers of the queues that got jobs.
  template <typename F>
  auto InScheduleTxn(std::string_view label, F fn)
      -> decltype(fn(std::declval<ScheduleTxn&>(), std::declval<std::set<std::string>&>()));
  template <typename F>
  auto InAlertTxn(std::string_view label, F fn) -> decltype(fn(std::declval<AlertTxn&>()));
};

}  // namespace steward
