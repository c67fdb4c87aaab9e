// /api/v1/schedules, /api/v1/checks and the Healthchecks-style ping URLs
// (/ping/{name}[/start|/fail|/{exit_status}]). Response shapes are in
// docs/openapi.json; the semantics in docs/schedules.md.
#pragma once

#include <nlohmann/json.hpp>

#include "server/api.h"

namespace steward::server {

// GET /api/v1/schedules, GET /api/v1/schedules/{name},
// POST /api/v1/schedules/{name}/trigger|pause|resume, GET /api/v1/checks,
// GET /api/v1/checks/{name}, GET|POST /ping/{name}, /ping/{name}/start,
// /ping/{name}/fail, /ping/{name}/{exit_status} (HEAD is answered as GET).
// Ping URLs are public routes (no token, like Healthchecks.io; see
// docs/operations.md); everything under /api/v1 follows the auth policy.
void RegisterScheduleRoutes(RouteTable& routes, ApiContext ctx);

nlohmann::json ScheduleToJson(const Schedule& s);
nlohmann::json CheckToJson(const Check& c);

}  // namespace steward::server
