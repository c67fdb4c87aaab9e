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
// JSON: {"error":{"code":"not_found","message":"..."}}. Every response gets
// the API's security headers (nosniff, no referrer, a CSP that allows
// nothing) unless its handler set its own (the dashboard's files).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/auth.h"
#include "steward/status.h"

namespace steward::server {

// What a handler knows about its request beyond httplib's Request: the
// path's captured segments and who is calling (auth.h).
struct RouteArgs {
  std::map<std::string, std::string> params;
  // Public routes: nobody (name ""), even if credentials were sent. Routes
  // behind the policy: the token or session; "local" (admin) when the
  // listener is open or the table has no policy (in-process tests).
  Caller caller;
  // The table's authenticator (sessions, login): null without a policy.
  const Authenticator* auth = nullptr;

  const std::string& at(const std::string& name) const { return params.at(name); }
};
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const RouteArgs&)>;

struct RouteInfo {
  std::string method;  // "GET", "POST", ...
  std::string path;    // OpenAPI form: "/api/v1/jobs/{id}"
  // Public routes skip the auth policy: probes (the kubelet sends no token)
  // and check pings (/ping/...: crontab curl lines, like Healthchecks.io).
  bool is_public = false;
};

struct RouteOptions {
  bool is_public = false;
  // The last {param} captures the rest of the path, slashes included and
  // possibly empty ("/ui/{path}" matches /ui/ and /ui/jobs/42).
  bool rest = false;
};

class RouteTable {
 public:
  // `path` segments in braces capture one path segment each. Registering the
  // same method and path twice is a programming error (throws
  // std::logic_error at startup, never at request time).
  void Add(std::string method, std::string path, RouteHandler handler,
           RouteOptions options = {});
  // Same as Add with is_public = true: no authentication, ever.
  void AddPublic(std::string method, std::string path, RouteHandler handler) {
    Add(std::move(method), std::move(path), std::move(handler), RouteOptions{.is_public = true});
  }
  std::vector<RouteInfo> List() const;
  // Installs the policy for non-public routes (HttpServer does this when
  // given tokens, even none). Unset: open, every caller is "local".
  void SetAuthenticator(std::shared_ptr<const Authenticator> auth) { auth_ = std::move(auth); }
  // A table with only the routes whose path is in `paths` (the separate
  // health/metrics listener), sharing the handlers; no auth policy.
  RouteTable Subset(const std::vector<std::string>& paths) const;
  // Finds and runs the handler; writes 404/405 JSON when none matches.
  void Dispatch(const httplib::Request& req, httplib::Response& res) const;

 private:
  void DispatchRoute(const httplib::Request& req, httplib::Response& res) const;

  struct Route {
    RouteInfo info;
    std::regex pattern;
    std::vector<std::string> param_names;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
  std::shared_ptr<const Authenticator> auth_;
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
// Same body with a code that is not a StatusCode name: "payload_too_large"
// (413), "unauthenticated" (401).
void WriteError(httplib::Response& res, int http_status, std::string_view code,
                std::string_view message);

}  // namespace steward::server
