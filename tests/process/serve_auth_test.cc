// Process-level: `steward serve` with API tokens stored hashed in
// steward.toml. The file holds only SHA-256 digests; clients present the
// plain tokens; the plain tokens never reach the log, even at debug level.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "server/auth.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::Subprocess;

// The API port, from the JSON "http listening" line in the log.
int ApiPort(const std::string& log, Subprocess& serve) {
  auto deadline = std::chrono::steady_clock::now() + 30s;
  do {
    std::istringstream in(ReadFile(log));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "http listening") {
        std::string addr = j.value("address", "");
        return std::stoi(addr.substr(addr.rfind(':') + 1));
      }
    }
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline && serve.running());
  ADD_FAILURE() << "no \"http listening\" line:\n" << ReadFile(log);
  return 0;
}

TEST(ServeAuthProcessTest, HashedTokensFromTheConfigFileGuardTheApi) {
  const std::string admin = "adm1n-Plain-Token-7f3c9e";
  const std::string reader = "r3ad-Plain-Token-a81d44";
  testing::TempDir dir;
  std::string config = dir.File("steward.toml");
  std::ofstream(config) << "log_level = \"debug\"\n"
                        << "[server]\ntokens = [\n"
                        << "  { name = \"ci\", role = \"admin\", sha256 = \""
                        << server::DigestHex(server::Sha256(admin)) << "\" },\n"
                        << "  { name = \"grafana\", role = \"read-only\", sha256 = \""
                        << server::DigestHex(server::Sha256(reader)) << "\" },\n"
                        << "]\n";
  std::string text = ReadFile(config);
  ASSERT_EQ(text.find(admin), std::string::npos) << "the config must hold digests only";
  ASSERT_EQ(text.find(reader), std::string::npos);

  std::string log = dir.File("serve.log");
  Subprocess serve({testing::StewardBinary(), "--config", config, "--db",
                    "sqlite://" + dir.File("s.db"), "serve", "--listen", "127.0.0.1:0"},
                   log);
  int port = ApiPort(log, serve);
  ASSERT_GT(port, 0);
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(10, 0);
  auto bearer = [](const std::string& t) { return httplib::Headers{{"Authorization", "Bearer " + t}}; };
  // Due in an hour: it stays pending (no worker here handles the kind), so
  // the admin can cancel it below.
  const std::string job = nlohmann::json{{"kind", "auth.test"}, {"run_in", "1h"}}.dump();

  // No token, or a wrong one: 401 with a challenge, on reads and mutations.
  auto r = api.Get("/api/v1/jobs");
  ASSERT_TRUE(r) << ReadFile(log);
  EXPECT_EQ(r->status, 401) << r->body;
  EXPECT_TRUE(r->has_header("WWW-Authenticate"));
  r = api.Post("/api/v1/jobs", job, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = api.Get("/api/v1/jobs", bearer(admin + "x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  // The digest itself is not a token.
  r = api.Get("/api/v1/jobs", bearer(server::DigestHex(server::Sha256(admin))));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;

  // Read-only: reads yes, mutations 403.
  r = api.Get("/api/v1/jobs", bearer(reader));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  r = api.Post("/api/v1/jobs", bearer(reader), job, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;

  // Admin: the mutation goes through; read-only still cannot cancel it.
  r = api.Post("/api/v1/jobs", bearer(admin), job, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  int64_t id = nlohmann::json::parse(r->body).at("id");
  const std::string cancel = "/api/v1/jobs/" + std::to_string(id) + "/cancel";
  r = api.Post(cancel, bearer(reader), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  r = api.Post(cancel, bearer(admin), "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status / 100, 2) << r->body;
  r = api.Get("/api/v1/jobs/" + std::to_string(id), bearer(reader));
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body).value("state", ""), "cancelled") << r->body;

  serve.Signal(SIGTERM);
  auto status = serve.Wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadFile(log);

  // The log saw every request (debug level) but never a plain token.
  std::string out = ReadFile(log);
  EXPECT_NE(out.find("\"http request\""), std::string::npos) << out;
  EXPECT_EQ(out.find(admin), std::string::npos) << out;
  EXPECT_EQ(out.find(reader), std::string::npos) << out;
}

}  // namespace
}  // namespace steward
