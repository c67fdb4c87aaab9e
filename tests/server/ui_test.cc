// The dashboard's files under /ui/: public, strict CSP, gzip when accepted
// (really gzip, compressed once), ETag revalidation, the single-page app's
// fallback to index.html, and the API's own security headers.
#include <zlib.h>

#include "server/dashboard_fixture.h"
#include "server/web_assets.h"

namespace steward {
namespace {

using testing::DashboardServerTest;

std::string Gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

class UiTest : public DashboardServerTest {
 protected:
  void SetUp() override {
    DashboardServerTest::SetUp();
    index_ = server::FindWebAsset("/ui/index.html");
    ASSERT_NE(index_, nullptr) << "web/src/index.html is embedded at build time";
    StartDashboard();  // tokens configured: /ui/ must still be public
    client_->set_decompress(false);
  }
  std::string Header(const testing::HttpResult& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? "" : it->second;
  }
  const server::WebAsset* index_ = nullptr;
};

TEST_F(UiTest, IndexIsPublicWithAStrictContentSecurityPolicy) {
  auto r = GetWith("/ui/", {{"Accept-Encoding", "identity"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, index_->body);
  EXPECT_EQ(Header(r, "Content-Type").rfind("text/html", 0), 0u);
  const std::string csp = Header(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(r, "Content-Encoding"), "");
  EXPECT_EQ(r.headers.count("Content-Security-Policy"), 1u);
}

TEST_F(UiTest, GzipWhenAccepted) {
  auto r = GetWith("/ui/index.html", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(Header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(Gunzip(r.body), index_->body);
  EXPECT_EQ(GetWith("/ui/index.html", {{"Accept-Encoding", "gzip;q=0"}}).body, index_->body);
}

TEST_F(UiTest, EtagRevalidationAnswers304) {
  auto first = GetWith("/ui/", {{"Accept-Encoding", "gzip"}});
  const std::string etag = Header(first, "ETag");
  ASSERT_FALSE(etag.empty());
  auto again = GetWith("/ui/", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(GetWith("/ui/", {{"If-None-Match", "W/\"0000\""}}).status, 200);
}

TEST_F(UiTest, AppRoutesGetIndexAndMissingFilesAre404) {
  for (const char* page : {"/ui/jobs/42", "/ui/failures/0123456789abcdef", "/ui/login"}) {
    auto r = GetWith(page, {{"Accept-Encoding", "identity"}});
    EXPECT_EQ(r.status, 200) << page;
    EXPECT_EQ(r.body, index_->body) << page;
  }
  auto missing = GetWith("/ui/nope.js", {});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  auto root = Get("/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(Header(root, "Location"), "/ui/");
}

TEST_F(UiTest, ApiResponsesCarryTheApiSecurityHeaders) {
  auto r = GetWith("/api/v1/queues", Bearer(testing::kAdminToken));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Content-Security-Policy"), "default-src 'none'; frame-ancestors 'none'");
  EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
  auto refused = Get("/api/v1/jobs");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(Header(refused, "X-Content-Type-Options"), "nosniff");
}

}  // namespace
}  // namespace steward
