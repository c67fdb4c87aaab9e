// Process-level: a real `steward serve` serves the dashboard at /ui/ (the
// embedded files, with the strict CSP) and a browser-like login round trip
// works: token -> cookie -> reads with the cookie -> an action with the CSRF
// token -> logout. [dashboard] settings come from steward.toml.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "server/auth.h"
#include "support/eventually.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::Subprocess;

// The API port from the JSON "http listening" line; 0 until it is logged.
int LoggedPort(const std::string& log) {
  std::istringstream in(ReadFile(log));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == "http listening") {
      std::string addr = j.value("address", "");
      return std::stoi(addr.substr(addr.rfind(':') + 1));
    }
  }
  return 0;
}

TEST(ServeDashboardProcessTest, ServesTheUiAndALoginRoundTrip) {
  const std::string admin = "dash-Admin-Token-5c1e77";
  testing::TempDir dir;
  std::string config = dir.File("steward.toml");
  std::ofstream(config) << "[server]\ntokens = [\n"
                        << "  { name = \"phone\", role = \"admin\", sha256 = \""
                        << server::DigestHex(server::Sha256(admin)) << "\" },\n]\n"
                        << "[dashboard]\nurl = \"https://steward.example.com/\"\n"
                        << "session_ttl = \"12h\"\n";
  std::string log = dir.File("serve.log");
  Subprocess serve({testing::StewardBinary(), "--config", config, "--db",
                    "sqlite://" + dir.File("s.db"), "serve", "--listen", "127.0.0.1:0"},
                   log);
  int port = 0;
  ASSERT_TRUE(testing::Eventually([&] { return (port = LoggedPort(log)) > 0 || !serve.running(); },
                                  30s));
  ASSERT_GT(port, 0) << ReadFile(log);
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(10, 0);

  // The dashboard needs no token to load; its data does.
  auto ui = api.Get("/ui/");
  ASSERT_TRUE(ui) << ReadFile(log);
  EXPECT_EQ(ui->status, 200);
  EXPECT_NE(ui->body.find("<html"), std::string::npos) << ui->body;
  EXPECT_NE(ui->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  auto deep = api.Get("/ui/jobs/42");
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->body, ui->body);
  auto root = api.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  auto anonymous = api.Get("/api/v1/session");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);

  // Log in: the cookie is Secure (the configured URL is https) and lasts 12 h.
  auto login = api.Post("/api/v1/session", nlohmann::json{{"token", admin}}.dump(), "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200) << login->body;
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Max-Age=43200"), std::string::npos) << set_cookie;
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string csrf = nlohmann::json::parse(login->body).at("csrf_token");

  auto me = api.Get("/api/v1/session", {{"Cookie", cookie}});
  ASSERT_TRUE(me);
  ASSERT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(nlohmann::json::parse(me->body).at("name"), "phone");
  auto overview = api.Get("/api/v1/overview", {{"Cookie", cookie}});
  ASSERT_TRUE(overview);
  EXPECT_EQ(overview->status, 200) << overview->body;

  // An action: refused without the CSRF token, done with it, and audited.
  auto refused = api.Post("/api/v1/queues/default/pause", {{"Cookie", cookie}}, "", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  auto paused = api.Post("/api/v1/queues/default/pause", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}},
                         "", "application/json");
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, 200) << paused->body;
  auto audit = api.Get("/api/v1/queues/default", {{"Cookie", cookie}});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->status, 200) << audit->body;
  auto entries = nlohmann::json::parse(audit->body).at("audit");
  ASSERT_EQ(entries.size(), 1u) << audit->body;
  EXPECT_EQ(entries[0].at("actor"), "phone");

  auto logout = api.Delete("/api/v1/session", {{"Cookie", cookie}});
  ASSERT_TRUE(logout);
  EXPECT_EQ(logout->status, 204);
  EXPECT_NE(logout->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);

  serve.Signal(SIGTERM);
  auto status = serve.Wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadFile(log);
  // The action is in the log too, with who did it; the token never is.
  std::string out = ReadFile(log);
  EXPECT_NE(out.find("\"action\":\"queue.pause\""), std::string::npos) << out;
  EXPECT_EQ(out.find(admin), std::string::npos);
}

}  // namespace
}  // namespace steward
