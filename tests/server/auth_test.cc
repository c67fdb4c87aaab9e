// API tokens over real HTTP: 401 without or with a wrong token, 403 for a
// read-only token on a mutation, admin can do everything, probes stay
// public, and without tokens a non-loopback listener refuses everything but
// the probes and check pings. (That token comparison is constant-time is
// not observable reliably on shared machines; auth.cc documents it.)
#include "server/auth.h"
#include "server/server_fixture.h"

namespace steward {
namespace {

using testing::HttpResult;
using testing::ServerTest;

constexpr char kAdmin[] = "admin-secret-0123456789";
constexpr char kReader[] = "reader-secret-9876543210";

class AuthTest : public ServerTest {
 protected:
  // Like ServerTest::StartServer, with the auth policy installed.
  void StartWithTokens(std::vector<server::ApiToken> tokens, std::string listen = "127.0.0.1:0") {
    health_ = std::make_unique<HealthRegistry>(store_, health_options_);
    MetricsOptions mo;
    mo.version = "test";
    mo.backend = "sqlite";
    metrics_ = std::make_unique<MetricsObserver>(mo);
    server::ApiContext ctx;
    ctx.store = store_;
    ctx.metrics = metrics_.get();
    server::HttpServerOptions o;
    o.listen = std::move(listen);
    o.tokens = std::move(tokens);
    auto routes = server::BuildRoutes(ctx, health_.get(), metrics_.get());
    server_ = std::make_unique<server::HttpServer>(o, std::move(routes));
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  void StartDefault() {
    StartWithTokens({server::ApiToken{"ci", server::Role::kAdmin, server::Sha256(kAdmin)},
                     server::ApiToken{"grafana", server::Role::kReadOnly, server::Sha256(kReader)}});
  }
  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  HttpResult GetAuth(const std::string& path, const std::string& token) {
    return Convert(client_->Get(path, Bearer(token)));
  }
  int64_t SeedJob() {
    NewJob j;
    j.kind = "email";
    auto r = real_->JobInsertMany(std::span<const NewJob>(&j, 1), SystemClock().Now());
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)[0].id : 0;
  }
};

TEST_F(AuthTest, MissingOrWrongTokenIs401WithWwwAuthenticate) {
  StartDefault();
  for (const auto& headers : std::vector<httplib::Headers>{
           {}, Bearer("wrong"), {{"Authorization", "Basic YWRtaW46eA=="}}, Bearer("")}) {
    auto r = Convert(client_->Get("/api/v1/jobs", headers));
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(ErrorCode(r), "unauthenticated");
    ASSERT_TRUE(r.headers.count("WWW-Authenticate"));
    EXPECT_EQ(r.headers.find("WWW-Authenticate")->second.rfind("Bearer", 0), 0u);
    auto p = Post("/api/v1/jobs", nlohmann::json{{"kind", "x"}}, headers);
    EXPECT_EQ(p.status, 401) << p.body;
  }
  // The refused enqueue inserted nothing.
  auto list = GetAuth("/api/v1/jobs", kAdmin);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(list.json["jobs"].empty());
}

TEST_F(AuthTest, ReadOnlyCanReadButCannotRetryCancelEnqueueOrPause) {
  StartDefault();
  int64_t id = SeedJob();
  std::string job = "/api/v1/jobs/" + std::to_string(id);
  EXPECT_EQ(GetAuth("/api/v1/jobs", kReader).status, 200);
  EXPECT_EQ(GetAuth(job, kReader).status, 200);
  EXPECT_EQ(GetAuth("/api/v1/queues", kReader).status, 200);
  EXPECT_EQ(GetAuth("/metrics", kReader).status, 200);
  for (const std::string& path : {job + "/retry", job + "/cancel", std::string("/api/v1/jobs"),
                                  std::string("/api/v1/queues/default/pause")}) {
    auto r = Post(path, nlohmann::json{{"kind", "email"}}, Bearer(kReader));
    EXPECT_EQ(r.status, 403) << path << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "permission_denied") << path;
  }
  // Nothing changed: the job is still available.
  EXPECT_EQ(GetAuth(job, kReader).json["state"], "available");
}

TEST_F(AuthTest, AdminCanCancelRetryAndEnqueue) {
  StartDefault();
  int64_t id = SeedJob();
  std::string job = "/api/v1/jobs/" + std::to_string(id);
  auto c = Post(job + "/cancel", std::string(), Bearer(kAdmin));
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.json["state"], "cancelled");
  auto r = Post(job + "/retry", std::string(), Bearer(kAdmin));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["state"], "available");
  auto e = Post("/api/v1/jobs", nlohmann::json{{"kind", "email"}}, Bearer(kAdmin));
  EXPECT_EQ(e.status, 201) << e.body;
  auto p = Post("/api/v1/queues/default/pause", std::string(), Bearer(kAdmin));
  EXPECT_EQ(p.status, 200) << p.body;
}

TEST_F(AuthTest, ProbesAndPublicRoutesNeedNoToken) {
  StartDefault();
  EXPECT_NE(Get("/livez").status, 401);
  EXPECT_NE(Get("/readyz").status, 401);
  EXPECT_NE(Get("/startupz").status, 401);
  // Check pings are public like Healthchecks.io: no token needed. The check
  // does not exist, so the answer is 404, never 401.
  EXPECT_EQ(Post("/ping/0b4c1f6a", std::string()).status, 404);
  EXPECT_EQ(Get("/ping/0b4c1f6a/start").status, 404);
  // /metrics is not public on the API listener (health_listen serves it openly).
  EXPECT_EQ(Get("/metrics").status, 401);
  // Unknown routes stay 404 (auth does not reveal which paths exist).
  EXPECT_EQ(Get("/api/v1/nope").status, 404);
}

TEST_F(AuthTest, NoTokensLoopbackIsOpen) {
  StartWithTokens({});
  EXPECT_EQ(Post("/api/v1/jobs", nlohmann::json{{"kind", "email"}}).status, 201);
  EXPECT_EQ(Get("/api/v1/jobs").status, 200);
  EXPECT_EQ(Get("/metrics").status, 200);
}

// Found by outside testing: without tokens on 0.0.0.0 the payloads (maybe
// personal data) could be read by anyone. The rule follows the configured
// address: bound to 0.0.0.0, reached here through 127.0.0.1, still closed.
TEST_F(AuthTest, NoTokensNonLoopbackRefusesEveryRouteButProbesAndPings) {
  int64_t id = SeedJob();
  StartWithTokens({}, "0.0.0.0:0");
  for (const std::string& path : {std::string("/api/v1/jobs"), "/api/v1/jobs/" + std::to_string(id),
                                  std::string("/api/v1/queues"), std::string("/api/v1/schedules"),
                                  std::string("/api/v1/checks"), std::string("/metrics")}) {
    auto r = Get(path);
    EXPECT_EQ(r.status, 403) << path << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "permission_denied") << path;
    // The answer says how to open it.
    EXPECT_NE(r.body.find("STEWARD_ADMIN_TOKEN"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("\"kind\""), std::string::npos) << "a job leaked: " << r.body;
  }
  auto post = Post("/api/v1/jobs", nlohmann::json{{"kind", "email"}});
  EXPECT_EQ(post.status, 403) << post.body;
  auto cancel = Post("/api/v1/jobs/" + std::to_string(id) + "/cancel", std::string());
  EXPECT_EQ(cancel.status, 403) << cancel.body;
  // Nothing changed behind the refusals.
  auto job = real_->JobGet(id);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(job->state, JobState::kAvailable);
  // Probes and check pings stay open (an unknown check is 404, not 403).
  EXPECT_EQ(Get("/livez").status, 200);
  EXPECT_NE(Get("/readyz").status, 403);
  EXPECT_NE(Get("/startupz").status, 403);
  EXPECT_EQ(Get("/ping/0b4c1f6a").status, 404);
  EXPECT_EQ(Post("/ping/0b4c1f6a/fail", std::string()).status, 404);
}

// Tokens configured on a non-loopback address: the ordinary token rules.
TEST_F(AuthTest, TokensOnNonLoopbackOpenTheApi) {
  StartWithTokens({server::ApiToken{"ci", server::Role::kAdmin, server::Sha256(kAdmin)}},
                  "0.0.0.0:0");
  EXPECT_EQ(Get("/api/v1/jobs").status, 401);
  EXPECT_EQ(GetAuth("/api/v1/jobs", kAdmin).status, 200);
}

TEST(AuthUnitTest, HashedTokensAndRoles) {
  // What `printf %s TOKEN | sha256sum` prints for "abc".
  auto d = server::ParseDigestHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(server::DigestEquals(*d, server::Sha256("abc")));
  EXPECT_FALSE(server::DigestEquals(*d, server::Sha256("abd")));
  EXPECT_FALSE(server::ParseDigestHex("abc").ok());
  EXPECT_FALSE(server::ParseDigestHex(std::string(64, 'g')).ok());
  server::Authenticator a({{"ci", server::Role::kReadOnly, *d}}, true);
  EXPECT_EQ(a.RoleOf("abc"), server::Role::kReadOnly);
  EXPECT_FALSE(a.RoleOf("abcd").has_value());
  EXPECT_FALSE(a.RoleOf("").has_value());
}

TEST(AuthUnitTest, TokensFromEnvironment) {
  std::map<std::string, std::string> env = {
      {"STEWARD_ADMIN_TOKEN", "s3cret\n"},
      {"STEWARD_API_TOKENS",
       "ci:admin:tok1, grafana:read-only:sha256:"
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}};
  auto t = server::TokensFromEnvironment(&env);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 3u);
  server::Authenticator a(*t, false);
  EXPECT_EQ(a.RoleOf("s3cret"), server::Role::kAdmin);
  EXPECT_EQ(a.RoleOf("tok1"), server::Role::kAdmin);
  EXPECT_EQ(a.RoleOf("abc"), server::Role::kReadOnly);
  env["STEWARD_API_TOKENS"] = "ci:superuser:topsecretvalue";
  auto bad = server::TokensFromEnvironment(&env);
  ASSERT_FALSE(bad.ok());
  // The error names the entry but never echoes the secret.
  EXPECT_EQ(bad.status().message().find("topsecretvalue"), std::string::npos);
}

}  // namespace
}  // namespace steward
