// Actions people take through the API (dashboard buttons, scripts) are
// recorded twice: an AuditEntry in the database, shown on the object's page
// (who did what, when, with what result), and one structured log line.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api.h"

namespace steward::server {

// Appends the entry and logs {"msg":"action","actor",..,"action",..,
// "object":"type/id","detail":..}. The action already happened, so a failed
// append is logged as a warning, never turned into a failed request.
void RecordAction(const ApiContext& ctx, const Caller& caller, std::string_view action,
                  std::string_view object_type, std::string_view object_id,
                  std::string_view detail);

nlohmann::json AuditEntryToJson(const AuditEntry& e);
// The newest entries about one object, for its page ([] if the store
// cannot list them: the page still shows the object).
nlohmann::json AuditFor(const ApiContext& ctx, std::string_view object_type,
                        std::string_view object_id, int limit = 50);

}  // namespace steward::server
