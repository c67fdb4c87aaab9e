#include "server/route_table.h"

#include <stdexcept>

namespace steward::server {

void RouteTable::Add(std::string method, std::string path, RouteHandler handler,
                     RouteOptions options) {
  for (const auto& r : routes_) {
    if (r.info.method == method && r.info.path == path) {
      throw std::logic_error("route registered twice: " + method + " " + path);
    }
  }
  Route r;
  std::string re = "^";
  size_t pos = 0;
  while (pos < path.size()) {
    size_t open = path.find('{', pos);
    if (open == std::string::npos) open = path.size();
    // Literal text: escape regex metacharacters (paths hold '.' and '-').
    for (size_t i = pos; i < open; ++i) {
      char c = path[i];
      if (std::string_view(".^$|()[]*+?\\").find(c) != std::string_view::npos) re += '\\';
      re += c;
    }
    if (open == path.size()) break;
    size_t close = path.find('}', open);
    if (close == std::string::npos) throw std::logic_error("unbalanced '{' in route " + path);
    r.param_names.push_back(path.substr(open + 1, close - open - 1));
    re += options.rest && close + 1 == path.size() ? "(.*)" : "([^/]+)";
    pos = close + 1;
  }
  re += "$";
  r.info.method = std::move(method);
  r.info.path = std::move(path);
  r.info.is_public = options.is_public;
  r.pattern = std::regex(re);
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

std::vector<RouteInfo> RouteTable::List() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back(r.info);
  return out;
}

void RouteTable::Dispatch(const httplib::Request& req, httplib::Response& res) const {
  DispatchRoute(req, res);
  // JSON is never to be sniffed into HTML, framed, or cached by a shared
  // browser; the dashboard's own files set their (looser) CSP themselves.
  if (!res.has_header("Content-Security-Policy")) {
    res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
  if (!res.has_header("X-Content-Type-Options")) res.set_header("X-Content-Type-Options", "nosniff");
  if (!res.has_header("Referrer-Policy")) res.set_header("Referrer-Policy", "no-referrer");
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
}

void RouteTable::DispatchRoute(const httplib::Request& req, httplib::Response& res) const {
  // HEAD is answered like GET (httplib drops the body).
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  std::string allow;
  for (const auto& r : routes_) {
    std::smatch m;
    if (!std::regex_match(req.path, m, r.pattern)) continue;
    if (r.info.method != method) {
      if (allow.find(r.info.method) == std::string::npos) {
        allow += (allow.empty() ? "" : ", ") + r.info.method;
      }
      continue;
    }
    // Authentication comes after matching, so an unknown path is still a
    // 404 and a wrong method still a 405 (neither reveals anything).
    RouteArgs args;
    args.auth = auth_.get();
    if (!r.info.is_public) {
      if (auth_) {
        auto caller = auth_->Check(req, res);
        if (!caller) return;
        args.caller = std::move(*caller);
      } else {
        args.caller = Caller{"local", Role::kAdmin, true, ""};
      }
    }
    for (size_t i = 0; i < r.param_names.size(); ++i) {
      args.params[r.param_names[i]] = m[i + 1].str();
    }
    r.handler(req, res, args);
    return;
  }
  if (!allow.empty()) {
    res.set_header("Allow", allow);
    WriteError(res, 405, StatusCode::kInvalidArgument,
               "method " + req.method + " not allowed on " + req.path + " (allowed: " + allow + ")");
    return;
  }
  WriteError(res, 404, StatusCode::kNotFound, "no route for " + req.method + " " + req.path);
}

RouteTable RouteTable::Subset(const std::vector<std::string>& paths) const {
  RouteTable out;
  for (const auto& r : routes_) {
    for (const auto& p : paths) {
      if (r.info.path == p) out.routes_.push_back(r);
    }
  }
  return out;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted: return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled: return 503;
    case StatusCode::kResourceExhausted:
      // A full disk (SQLITE_FULL, PostgreSQL 53100): 507 tells an operator
      // that waiting will not help.
      return status.disk_full() ? 507 : 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

void WriteJson(httplib::Response& res, int http_status, const nlohmann::json& body) {
  res.status = http_status;
  // replace: invalid UTF-8 in stored text (an error message from a
  // subprocess) must not turn a response into an exception.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void WriteError(httplib::Response& res, int http_status, std::string_view code,
                std::string_view message) {
  WriteJson(res, http_status, {{"error", {{"code", code}, {"message", std::string(message)}}}});
}

void WriteError(httplib::Response& res, int http_status, StatusCode code, std::string_view message) {
  WriteError(res, http_status, StatusCodeName(code), message);
}

void WriteError(httplib::Response& res, const Status& status) {
  WriteError(res, HttpStatusFor(status), status.code(), status.message());
}

}  // namespace steward::server
