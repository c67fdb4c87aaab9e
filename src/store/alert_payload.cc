// Shared by the SQLite and PostgreSQL alert stores: the outbox payload and
// parameter validation, so both backends write byte-identical snapshots.
#include <nlohmann/json.hpp>

#include "core/json_limits.h"
#include "store/alert_store.h"

namespace steward {

std::string AlertPayloadJson(const Alert& a, const std::string& event) {
  nlohmann::json labels = ParseJsonOrDiscarded(a.labels_json);
  if (!labels.is_object()) labels = nlohmann::json::object();
  nlohmann::json j = {
      {"event", event},
      {"alert_id", a.id},
      {"fingerprint", a.fingerprint},
      {"rule", a.rule},
      {"labels", labels},
      {"severity", a.severity},
      {"summary", a.summary},
      {"detail", a.detail},
      {"count", a.count},
      {"first_seen", ToMicros(a.first_seen)},
      {"last_seen", ToMicros(a.last_seen)},
  };
  if (a.job_id) j["job_id"] = *a.job_id;
  if (a.resolved_at) j["resolved_at"] = ToMicros(*a.resolved_at);
  // So a resolve notification can say a person had seen or silenced it.
  if (a.acked_at) {
    j["acked_at"] = ToMicros(*a.acked_at);
    j["acked_by"] = a.acked_by;
  }
  if (a.silenced_until) j["silenced_until"] = ToMicros(*a.silenced_until);
  // Senders may meet invalid UTF-8 in error messages; replace, never throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status ValidateAlertUpsert(const AlertUpsertParams& p) {
  if (p.fingerprint.empty()) return InvalidArgument("alert fingerprint is empty");
  if (p.action == AlertUpsertParams::Action::kFire) {
    if (p.rule.empty()) return InvalidArgument("alert rule is empty");
    if (p.count < 1) return InvalidArgument("alert count must be >= 1");
  }
  auto labels = ParseJsonOrDiscarded(p.labels_json);
  if (!labels.is_object()) return InvalidArgument("alert labels must be a JSON object");
  return Status::Ok();
}

Result<std::vector<std::string>> OutboxOncePayloads(const OutboxEnqueueOnceParams& p) {
  if (p.dedup_key.empty()) return InvalidArgument("outbox dedup key is empty");
  if (p.event.empty()) return InvalidArgument("outbox event is empty");
  std::vector<std::string> out;
  for (const auto& [channel, payload] : p.rows) {
    if (channel.empty()) return InvalidArgument("outbox channel is empty");
    auto j = ParseJsonOrDiscarded(payload);
    if (!j.is_object()) return InvalidArgument("outbox payload must be a JSON object");
    j["dedup_key"] = p.dedup_key;
    out.push_back(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return out;
}

}  // namespace steward
