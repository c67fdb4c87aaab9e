// A real HttpServer with the auth policy, dashboard sessions and the
// dashboard options, over a real SQLite store (not the FaultStore: these
// tests need every DashboardStore method), on a clock the test moves.
#pragma once

#include "server/http_server.h"
#include "server/server_fixture.h"
#include "server/session.h"

namespace steward::testing {

inline constexpr char kAdminToken[] = "admin-secret-0123456789";
inline constexpr char kReaderToken[] = "reader-secret-9876543210";

class DashboardServerTest : public ServerTest {
 protected:
  static std::vector<server::ApiToken> DefaultTokens() {
    return {server::ApiToken{"ops", server::Role::kAdmin, server::Sha256(kAdminToken)},
            server::ApiToken{"viewer", server::Role::kReadOnly, server::Sha256(kReaderToken)}};
  }

  // Starts (or restarts, keeping the database) the server. `tokens`
  // nullopt: no policy at all; an empty vector: open loopback listener.
  void StartDashboard(std::optional<std::vector<server::ApiToken>> tokens = DefaultTokens()) {
    if (server_) server_->Stop();
    server::ApiContext ctx;
    ctx.store = real_;
    ctx.clock = &clock_;
    ctx.dashboard = dashboard_;
    server::HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    o.tokens = std::move(tokens);
    server::SessionOptions so = session_options_;
    so.clock = &clock_;
    o.sessions = std::make_shared<server::SessionSigner>(real_, so);
    server_ = std::make_unique<server::HttpServer>(o, server::BuildRoutes(ctx, nullptr, nullptr));
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  // POST /api/v1/session; on success remembers the cookie and CSRF token.
  HttpResult Login(const std::string& token) {
    auto r = Post("/api/v1/session", nlohmann::json{{"token", token}});
    if (r.status == 200) {
      auto it = r.headers.find("Set-Cookie");
      if (it != r.headers.end()) {
        std::string v = it->second;
        cookie_ = v.substr(0, v.find(';'));  // "steward_session=..."
      }
      csrf_ = r.json.value("csrf_token", "");
    }
    return r;
  }
  httplib::Headers CookieHeaders(bool with_csrf) const {
    httplib::Headers h{{"Cookie", cookie_}};
    if (with_csrf) h.emplace("X-CSRF-Token", csrf_);
    return h;
  }
  HttpResult GetWith(const std::string& path, const httplib::Headers& h) {
    return Convert(client_->Get(path, h));
  }
  HttpResult PostWith(const std::string& path, const httplib::Headers& h, const std::string& body = "") {
    return Convert(client_->Post(path, h, body, "application/json"));
  }
  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  ManualClock clock_{SystemClock().Now()};
  server::DashboardOptions dashboard_;
  server::SessionOptions session_options_;
  std::string cookie_;
  std::string csrf_;
};

}  // namespace steward::testing
