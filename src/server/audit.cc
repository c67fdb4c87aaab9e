#include "server/audit.h"

#include "core/log.h"

namespace steward::server {

void RecordAction(const ApiContext& ctx, const Caller& caller, std::string_view action,
                  std::string_view object_type, std::string_view object_id,
                  std::string_view detail) {
  AuditEntry e;
  e.at = ctx.clock ? ctx.clock->Now() : SystemClock().Now();
  e.actor = caller.name.empty() ? "unknown" : caller.name;
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.object_id = std::string(object_id);
  e.detail = std::string(detail);
  log::Info("action", {{"actor", e.actor},
                       {"action", e.action},
                       {"object", e.object_type + "/" + e.object_id},
                       {"detail", e.detail}});
  if (auto id = ctx.store->AuditAppend(e); !id.ok()) {
    log::Warn("audit entry not recorded",
              {{"action", e.action}, {"error", id.status().message()}});
  }
}

nlohmann::json AuditEntryToJson(const AuditEntry& e) {
  return {{"id", e.id},
          {"at", FormatTimestamp(e.at)},
          {"actor", e.actor},
          {"action", e.action},
          {"object_type", e.object_type},
          {"object_id", e.object_id},
          {"detail", e.detail}};
}

nlohmann::json AuditFor(const ApiContext& ctx, std::string_view object_type,
                        std::string_view object_id, int limit) {
  AuditListParams p;
  p.object_type = std::string(object_type);
  p.object_id = std::string(object_id);
  p.limit = limit;
  nlohmann::json out = nlohmann::json::array();
  auto entries = ctx.store->AuditList(p);
  if (!entries.ok()) return out;
  for (const auto& e : *entries) out.push_back(AuditEntryToJson(e));
  return out;
}

}  // namespace steward::server
