// RouteTable: Steward's HTTP routes, in one list that can be enumerated.
//
// Each area registers its routes with a function (RegisterJobRoutes in
// api_jobs.cc, RegisterQueueRoutes in api_queues.cc, RegisterProbeRoutes in
// probes.cc); a new area (schedules, checks) adds its own file and one
// registration call. Paths are written as in OpenAPI ("/api/v1/jobs/{id}"),
// so the table doubles as the list the OpenAPI document is checked against.
//
// Dispatch: exact method + path match; a known path with another method
// answers 405 with an Allow header; anything else 404. Every error body is
// JSON: {"error":{"code":"not_found","message":"..."}}.
#pragma once

#include <functional>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "steward/status.h"

namespace steward::server {

using PathParams = std::map<std::string, std::string>;
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const PathParams&)>;

struct RouteInfo {
  std::string method;  // "GET", "POST", ...
  std::string path;    // OpenAPI form: "/api/v1/jobs/{id}"
};

class RouteTable {
 public:
  // `path` segments in braces capture one path segment each. Registering the
  // same method and path twice is a programming error (throws
  // std::logic_error at startup, never at request time).
  void Add(std::string method, std::string path, RouteHandler handler);
  std::vector<RouteInfo> List() const;
  // Finds and runs the handler; writes 404/405 JSON when none matches.
  void Dispatch(const httplib::Request& req, httplib::Response& res) const;

 private:
  struct Route {
    RouteInfo info;
    std::regex pattern;
    std::vector<std::string> param_names;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// --- response helpers shared by every area ----------------------------------

// The HTTP status for a Status code: invalid_argument 400, not_found 404,
// already_exists/failed_precondition 409, unavailable 503,
// resource_exhausted 503 (507 when the message says the disk is full),
// deadline_exceeded 504, permission_denied 403, cancelled 503, others 500.
int HttpStatusFor(const Status& status);
void WriteJson(httplib::Response& res, int http_status, const nlohmann::json& body);
// {"error":{"code":StatusCodeName(code),"message":...}} with HttpStatusFor.
void WriteError(httplib::Response& res, const Status& status);
// Same body with an explicit HTTP status (405, 413, ...).
void WriteError(httplib::Response& res, int http_status, StatusCode code, std::string_view message);

}  // namespace steward::server
