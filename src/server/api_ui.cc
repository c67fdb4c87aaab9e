// The dashboard's static files (web_assets.h) under /ui/, public: the login
// page must load without a session, and the files hold no data (the data
// comes from /api/v1 behind the auth policy).
//
// Every GET /ui/<path> that is not a file and has no extension is a page of
// the single-page app (/ui/jobs/42): it gets index.html, whose script reads
// the URL. Files are gzipped once, at first use, and kept; the ETag is the
// content's hash, so a reload costs a 304.
#include <zlib.h>

#include <map>
#include <memory>

#include <httplib.h>

#include "core/thread_annotations.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/web_assets.h"

namespace steward::server {

namespace {

// No inline script or style, no eval, nothing from elsewhere: a payload
// that smuggles markup into the page still cannot run.
constexpr char kUiCsp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

struct PreparedAsset {
  std::string etag;  // W/"<16 hex of SHA-256>": the same for both encodings
  std::string gzip;  // "" when compressing does not pay (images)
};

bool Compressible(std::string_view content_type) {
  return content_type.starts_with("text/") || content_type.find("javascript") != std::string_view::npos ||
         content_type.find("json") != std::string_view::npos ||
         content_type.find("svg") != std::string_view::npos;
}

std::string Gzip(std::string_view in) {
  z_stream z{};
  // 15 + 16: a gzip wrapper rather than raw zlib (what Content-Encoding: gzip means).
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

class AssetCache {
 public:
  std::shared_ptr<const PreparedAsset> Get(const WebAsset& a) EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      auto it = prepared_.find(a.path);
      if (it != prepared_.end()) return it->second;
    }
    // Outside the lock: two first requests may both compress; same result.
    auto p = std::make_shared<PreparedAsset>();
    p->etag = "W/\"" + DigestHex(Sha256(a.body)).substr(0, 16) + "\"";
    if (Compressible(a.content_type)) {
      std::string z = Gzip(a.body);
      if (!z.empty() && z.size() < a.body.size()) p->gzip = std::move(z);
    }
    MutexLock lock(mu_);
    return prepared_.emplace(a.path, std::move(p)).first->second;
  }

 private:
  Mutex mu_;
  std::map<std::string_view, std::shared_ptr<const PreparedAsset>> prepared_ GUARDED_BY(mu_);
};

bool AcceptsGzip(std::string_view header) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding != "gzip" && coding != "*") continue;
    std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
    // "gzip;q=0" means "never gzip".
    size_t q = params.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view value = params.substr(q + 2);
    if (!(value.starts_with("0") && value.find_first_not_of("0. ") == std::string_view::npos)) return true;
  }
  return false;
}

bool ETagMatches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.find('*') != std::string_view::npos) return true;
  // Weak comparison (RFC 9110 13.1.2): W/ prefixes do not count.
  std::string_view opaque = etag.substr(etag.find('"'));
  return if_none_match.find(opaque) != std::string_view::npos;
}

// The last path segment has an extension: a file was asked for.
bool LooksLikeFile(std::string_view path) {
  std::string_view last = path.substr(path.rfind('/') + 1);
  return last.find('.') != std::string_view::npos;
}

void ServeUi(AssetCache& cache, const httplib::Request& req, httplib::Response& res,
             const std::string& rest) {
  const std::string path = "/ui/" + rest;
  const WebAsset* asset = FindWebAsset(path);
  if (!asset && !LooksLikeFile(path)) asset = FindWebAsset("/ui/index.html");
  if (!asset) return WriteError(res, 404, StatusCode::kNotFound, "no dashboard file " + path);
  auto prepared = cache.Get(*asset);
  res.set_header("Content-Security-Policy", kUiCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  // Revalidate every time (cheap: a 304); file names are not hashed.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", prepared->etag);
  res.set_header("Vary", "Accept-Encoding");
  if (req.has_header("If-None-Match") &&
      ETagMatches(req.get_header_value("If-None-Match"), prepared->etag)) {
    res.status = 304;
    return;
  }
  const bool gzip = !prepared->gzip.empty() && AcceptsGzip(req.get_header_value("Accept-Encoding"));
  if (gzip) res.set_header("Content-Encoding", "gzip");
  std::string_view body = gzip ? std::string_view(prepared->gzip) : asset->body;
  res.status = 200;
  // A sized content provider: httplib then sends the bytes as they are
  // instead of compressing the body again per request.
  res.set_content_provider(
      body.size(), std::string(asset->content_type),
      [prepared, body](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(body.data() + offset, std::min(length, body.size() - offset));
        return true;
      });
}

}  // namespace

void RegisterUiRoutes(RouteTable& routes) {
  routes.AddPublic("GET", "/", [](const auto&, auto& res, const RouteArgs&) {
    res.set_redirect("/ui/", 302);
  });
  auto cache = std::make_shared<AssetCache>();
  routes.Add("GET", "/ui/{path}",
             [cache](const auto& req, auto& res, const RouteArgs& a) {
               ServeUi(*cache, req, res, a.at("path"));
             },
             RouteOptions{.is_public = true, .rest = true});
}

}  // namespace steward::server
