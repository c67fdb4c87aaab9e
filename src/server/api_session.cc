// /api/v1/session: the dashboard logs in with an API token once and then
// uses a signed cookie (session.h). See CONTRACT / docs/dashboard.md.
#include <httplib.h>

#include "core/log.h"
#include "server/api.h"
#include "server/api_json.h"
#include "server/login_limiter.h"
#include "server/session.h"

namespace steward::server {

namespace {

// The body of POST and GET: who the session is, and the CSRF token the
// page must send with every action.
void WriteSession(httplib::Response& res, const Caller& caller, SessionSigner* sessions,
                  std::optional<Timestamp> expires_at) {
  nlohmann::json body = {{"name", caller.name}, {"role", RoleName(caller.role)}};
  nlohmann::json csrf = nullptr;
  if (sessions && (caller.open || !caller.session.empty())) {
    auto token = sessions->CsrfToken(caller.open ? std::string_view("local") : caller.session);
    if (!token.ok()) return WriteError(res, 503, StatusCode::kUnavailable, token.status().message());
    csrf = *token;
  }
  body["csrf_token"] = csrf;
  body["expires_at"] = expires_at ? nlohmann::json(FormatTimestamp(*expires_at)) : nullptr;
  if (caller.open) body["open"] = true;
  WriteJson(res, 200, body);
}

void Login(const httplib::Request& req, httplib::Response& res,
           const RouteArgs& args) {
  const Authenticator* auth = args.auth;
  if (!auth || !auth->sessions()) {
    return WriteError(res, 404, StatusCode::kNotFound, "sessions are not enabled on this listener");
  }
  if (auth->open()) {
    // Nothing to log in to: the page is already the local admin.
    return WriteSession(res, Caller{"local", Role::kAdmin, true, ""}, auth->sessions(), std::nullopt);
  }
  Timestamp now = auth->sessions()->Now();
  if (auto wait = auth->login_limiter().Blocked(req.remote_addr, now)) {
    res.set_header("Retry-After", std::to_string(wait->count()));
    return WriteError(res, 429, std::string_view("resource_exhausted"),
                      "too many failed logins from this address; try again in " +
                          std::to_string(wait->count()) + " s");
  }
  auto body = ParseJsonBody(req.body);
  if (!body.ok()) return WriteError(res, body.status());
  auto it = body->find("token");
  if (it == body->end() || !it->is_string() || it->get<std::string>().empty()) {
    return WriteError(res, InvalidArgument("token: expected a non-empty string"));
  }
  const ApiToken* token = auth->Find(it->get<std::string>());
  if (!token) {
    auth->login_limiter().RecordFailure(req.remote_addr, now);
    log::Warn("dashboard login refused", {{"client", req.remote_addr}});
    return WriteError(res, 401, std::string_view("unauthenticated"), "invalid API token");
  }
  auto cookie = auth->sessions()->Issue(*token);
  if (!cookie.ok()) return WriteError(res, 503, StatusCode::kUnavailable, cookie.status().message());
  res.set_header("Set-Cookie", auth->sessions()->SetCookieHeader(*cookie));
  log::Info("dashboard login", {{"actor", token->name}, {"client", req.remote_addr}});
  WriteSession(res, Caller{token->name, token->role, false, *cookie}, auth->sessions(),
               now + auth->sessions()->ttl());
}

void Show(httplib::Response& res, const RouteArgs& args) {
  SessionSigner* sessions = args.auth ? args.auth->sessions() : nullptr;
  std::optional<Timestamp> expires_at;
  if (sessions && !args.caller.session.empty()) {
    auto info = sessions->Verify(args.caller.session, args.auth->tokens());
    if (info.ok() && *info) expires_at = (*info)->expires_at;
  }
  WriteSession(res, args.caller, sessions, expires_at);
}

}  // namespace

void RegisterSessionRoutes(RouteTable& routes) {
  // Public: logging in is how a browser gets credentials. Rate limited.
  routes.AddPublic("POST", "/api/v1/session",
                   [](const auto& req, auto& res, const RouteArgs& a) { Login(req, res, a); });
  // Behind the policy: 401 without a valid session, so the page knows to
  // show the login form.
  routes.Add("GET", "/api/v1/session",
             [](const auto&, auto& res, const RouteArgs& a) { Show(res, a); });
  // Public: logging out must work with an expired or revoked cookie too.
  routes.AddPublic("DELETE", "/api/v1/session", [](const auto&, auto& res, const RouteArgs& a) {
    SessionSigner* sessions = a.auth ? a.auth->sessions() : nullptr;
    if (sessions) res.set_header("Set-Cookie", sessions->ClearCookieHeader());
    res.status = 204;
  });
}

}  // namespace steward::server
