// Dashboard sessions over real HTTP: the cookie's attributes, wrong tokens,
// the login rate limit, CSRF, the read-only role, and every way a cookie
// stops working (token removed or changed, tampered with, expired).
#include "server/dashboard_fixture.h"

namespace steward {
namespace {

using testing::DashboardServerTest;
using testing::HttpResult;
using testing::kAdminToken;
using testing::kReaderToken;

class SessionTest : public DashboardServerTest {};

TEST_F(SessionTest, LoginSetsAnHttpOnlyStrictCookieAndReturnsTheCsrfToken) {
  StartDashboard();
  auto r = Login(kAdminToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["name"], "ops");
  EXPECT_EQ(r.json["role"], "admin");
  EXPECT_FALSE(r.json["csrf_token"].get<std::string>().empty());
  EXPECT_TRUE(r.json["expires_at"].is_string());
  ASSERT_TRUE(r.headers.count("Set-Cookie"));
  const std::string set_cookie = r.headers.find("Set-Cookie")->second;
  EXPECT_EQ(set_cookie.rfind("steward_session=v1.", 0), 0u) << set_cookie;
  for (const char* attr : {"; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=2592000"}) {
    EXPECT_NE(set_cookie.find(attr), std::string::npos) << attr << " in " << set_cookie;
  }
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain http, no https url";
  // The cookie alone authenticates reads, and GET /session repeats who it is.
  auto me = GetWith("/api/v1/session", CookieHeaders(false));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json["name"], "ops");
  EXPECT_EQ(me.json["csrf_token"], csrf_);
  EXPECT_EQ(GetWith("/api/v1/jobs", CookieHeaders(false)).status, 200);
  // Bearer tokens work exactly as before.
  EXPECT_EQ(GetWith("/api/v1/jobs", Bearer(kAdminToken)).status, 200);
  EXPECT_EQ(Get("/api/v1/jobs").status, 401);
}

TEST_F(SessionTest, SecureCookieWithConfiguredTtl) {
  session_options_.secure = true;
  session_options_.ttl = std::chrono::hours(2);
  StartDashboard();
  auto r = Login(kAdminToken);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string set_cookie = r.headers.find("Set-Cookie")->second;
  EXPECT_NE(set_cookie.find("; Max-Age=7200"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Secure"), std::string::npos) << set_cookie;
}

TEST_F(SessionTest, WrongTokenIs401AndTheEleventhFailureIs429) {
  StartDashboard();
  for (int i = 0; i < 10; ++i) {
    auto r = Login("guess-" + std::to_string(i));
    ASSERT_EQ(r.status, 401) << i << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "unauthenticated");
  }
  auto blocked = Login("guess-10");
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  ASSERT_TRUE(blocked.headers.count("Retry-After"));
  int retry_after = std::stoi(blocked.headers.find("Retry-After")->second);
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 15 * 60);
  // Even the right token waits: otherwise guessing would go on.
  EXPECT_EQ(Login(kAdminToken).status, 429);
  // Once the window has passed, the address may try again.
  clock_.Advance(std::chrono::minutes(15) + std::chrono::seconds(1));
  EXPECT_EQ(Login(kAdminToken).status, 200);
}

TEST_F(SessionTest, CookieMutationsNeedTheCsrfHeader) {
  StartDashboard();
  ASSERT_EQ(Login(kAdminToken).status, 200);
  auto without = PostWith("/api/v1/queues/default/pause", CookieHeaders(false));
  EXPECT_EQ(without.status, 403) << without.body;
  EXPECT_EQ(without.json["error"]["message"], "missing or wrong CSRF token");
  httplib::Headers wrong = CookieHeaders(false);
  wrong.emplace("X-CSRF-Token", std::string(64, 'a'));
  EXPECT_EQ(PostWith("/api/v1/queues/default/pause", wrong).status, 403);
  // Nothing happened.
  EXPECT_EQ(GetWith("/api/v1/queues", CookieHeaders(false)).json["queues"].size(), 0u);
  auto with = PostWith("/api/v1/queues/default/pause", CookieHeaders(true));
  EXPECT_EQ(with.status, 200) << with.body;
  EXPECT_EQ(with.json["paused"], true);
}

TEST_F(SessionTest, ReadOnlySessionCannotMutate) {
  StartDashboard();
  auto r = Login(kReaderToken);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["role"], "read-only");
  EXPECT_EQ(GetWith("/api/v1/queues", CookieHeaders(false)).status, 200);
  auto p = PostWith("/api/v1/queues/default/pause", CookieHeaders(true));
  EXPECT_EQ(p.status, 403) << p.body;
  EXPECT_EQ(ErrorCode(p), "permission_denied");
}

TEST_F(SessionTest, RemovedOrChangedTokenRevokesItsSessionsButARestartDoesNot) {
  StartDashboard();
  ASSERT_EQ(Login(kAdminToken).status, 200);
  // Another node (or this one restarted) reads the same key from the database.
  StartDashboard();
  EXPECT_EQ(GetWith("/api/v1/jobs", CookieHeaders(false)).status, 200);
  // The token was removed.
  StartDashboard(std::vector<server::ApiToken>{
      server::ApiToken{"viewer", server::Role::kReadOnly, server::Sha256(kReaderToken)}});
  auto gone = GetWith("/api/v1/jobs", CookieHeaders(false));
  EXPECT_EQ(gone.status, 401) << gone.body;
  // The token of that name was changed (rotated).
  StartDashboard(std::vector<server::ApiToken>{
      server::ApiToken{"ops", server::Role::kAdmin, server::Sha256("rotated-secret-000000")}});
  EXPECT_EQ(GetWith("/api/v1/jobs", CookieHeaders(false)).status, 401);
}

TEST_F(SessionTest, TamperedCookiesAreRefused) {
  StartDashboard();
  ASSERT_EQ(Login(kReaderToken).status, 200);
  const std::string value = cookie_.substr(cookie_.find('=') + 1);
  // v1.<expires>.<name hex>.<mac>
  size_t d1 = value.find('.'), d2 = value.find('.', d1 + 1), d3 = value.find('.', d2 + 1);
  std::string later = value.substr(0, d1 + 1) + "9999999999" + value.substr(d2);
  std::string as_admin = value.substr(0, d2 + 1) + "6f7073" /* "ops" */ + value.substr(d3);
  std::string flipped = value;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  for (const std::string& bad : {later, as_admin, flipped, std::string("v1.garbage"), std::string()}) {
    auto r = GetWith("/api/v1/jobs", {{"Cookie", "steward_session=" + bad}});
    EXPECT_EQ(r.status, 401) << bad << ": " << r.body;
  }
  EXPECT_EQ(GetWith("/api/v1/jobs", CookieHeaders(false)).status, 200);
}

TEST_F(SessionTest, ExpiredCookieIsRefused) {
  session_options_.ttl = std::chrono::hours(1);
  StartDashboard();
  ASSERT_EQ(Login(kAdminToken).status, 200);
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(GetWith("/api/v1/jobs", CookieHeaders(false)).status, 200);
  clock_.Advance(std::chrono::minutes(2));
  auto r = GetWith("/api/v1/jobs", CookieHeaders(false));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST_F(SessionTest, LogoutClearsTheCookie) {
  StartDashboard();
  ASSERT_EQ(Login(kAdminToken).status, 200);
  auto r = Convert(client_->Delete("/api/v1/session", CookieHeaders(false)));
  EXPECT_EQ(r.status, 204);
  ASSERT_TRUE(r.headers.count("Set-Cookie"));
  EXPECT_NE(r.headers.find("Set-Cookie")->second.find("Max-Age=0"), std::string::npos);
}

TEST_F(SessionTest, OpenLoopbackListenerIsLocalAdminAndRefusesCrossSiteBrowserMutations) {
  StartDashboard(std::vector<server::ApiToken>{});
  auto me = Get("/api/v1/session");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json["name"], "local");
  EXPECT_EQ(me.json["role"], "admin");
  EXPECT_EQ(me.json["open"], true);
  const std::string csrf = me.json["csrf_token"].get<std::string>();
  ASSERT_FALSE(csrf.empty());
  // curl and SDKs send no Origin / Sec-Fetch-Site: nothing needed.
  EXPECT_EQ(Post("/api/v1/queues/a/pause", std::string()).status, 200);
  // The dashboard itself (same origin) is fine too.
  EXPECT_EQ(PostWith("/api/v1/queues/a/pause", {{"Sec-Fetch-Site", "same-origin"}}).status, 200);
  // A page of another site cannot make the browser act...
  auto cross = PostWith("/api/v1/queues/a/resume", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(cross.status, 403) << cross.body;
  EXPECT_EQ(PostWith("/api/v1/queues/a/resume", {{"Sec-Fetch-Site", "cross-site"}}).status, 403);
  // ...unless it carries the token only a same-origin page can read.
  EXPECT_EQ(PostWith("/api/v1/queues/a/resume", {{"Sec-Fetch-Site", "cross-site"}, {"X-CSRF-Token", csrf}}).status,
            200);
  // DNS rebinding: a foreign host name is refused, reads too.
  EXPECT_EQ(GetWith("/api/v1/jobs", {{"Host", "evil.example:8080"}}).status, 403);
  EXPECT_EQ(GetWith("/api/v1/jobs", {{"Host", "localhost:8080"}}).status, 200);
}

TEST_F(SessionTest, ActionsRecordTheCallerInTheAuditLog) {
  StartDashboard();
  ASSERT_EQ(Login(kAdminToken).status, 200);
  ASSERT_EQ(PostWith("/api/v1/queues/emails/pause", CookieHeaders(true)).status, 200);
  ASSERT_EQ(PostWith("/api/v1/queues/emails/resume", Bearer(kAdminToken)).status, 200);
  auto audit = GetWith("/api/v1/audit?object_type=queue&object_id=emails", Bearer(kReaderToken));
  ASSERT_EQ(audit.status, 200) << audit.body;
  ASSERT_EQ(audit.json["entries"].size(), 2u) << audit.body;
  EXPECT_EQ(audit.json["entries"][0]["action"], "queue.resume");
  EXPECT_EQ(audit.json["entries"][1]["action"], "queue.pause");
  EXPECT_EQ(audit.json["entries"][1]["actor"], "ops");
  EXPECT_EQ(audit.json["entries"][1]["detail"], "paused queue emails");
}

}  // namespace
}  // namespace steward
