#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdlib>

#include <httplib.h>

#include "server/login_limiter.h"
#include "server/route_table.h"
#include "server/session.h"

namespace steward::server {

namespace {

std::optional<std::string> EnvValue(const std::map<std::string, std::string>* env,
                                    const std::string& key) {
  if (env) {
    auto it = env->find(key);
    if (it == env->end()) return std::nullopt;
    return it->second;
  }
  const char* v = std::getenv(key.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

constexpr std::string_view kClosedWithoutTokens =
    "the API is closed: the server listens on a non-loopback address and no API token is "
    "configured. Configure one with [server] tokens in steward.toml or STEWARD_ADMIN_TOKEN / "
    "STEWARD_API_TOKENS (docs/operations.md). Probes and check pings stay open; /metrics is "
    "served without a token on [server] health_listen.";

}  // namespace

TokenDigest Sha256(std::string_view text) {
  TokenDigest d{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d.data());
  return d;
}

std::string DigestHex(const TokenDigest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : d) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

Result<TokenDigest> ParseDigestHex(std::string_view hex) {
  if (hex.size() != 64) {
    return InvalidArgument("sha256 must be 64 hex digits, got " + std::to_string(hex.size()) +
                           " characters");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  TokenDigest d{};
  for (size_t i = 0; i < 32; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("sha256 must be hex digits only");
    d[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return d;
}

Result<Role> ParseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "read-only" || text == "readonly" || text == "read_only" || text == "read") {
    return Role::kReadOnly;
  }
  return InvalidArgument("role \"" + std::string(text) + "\": expected admin or read-only");
}

std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "read-only"; }

bool DigestEquals(const TokenDigest& a, const TokenDigest& b) {
  // A plain memcmp returns at the first differing byte, which lets an
  // attacker learn a digest prefix by timing; CRYPTO_memcmp always reads all.
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::vector<ApiToken>> TokensFromEnvironment(const std::map<std::string, std::string>* env) {
  std::vector<ApiToken> out;
  if (auto admin = EnvValue(env, "STEWARD_ADMIN_TOKEN")) {
    std::string_view secret = Trim(*admin);
    if (!secret.empty()) out.push_back(ApiToken{"env-admin", Role::kAdmin, Sha256(secret)});
  }
  if (auto list = EnvValue(env, "STEWARD_API_TOKENS")) {
    std::string_view rest = *list;
    int index = 0;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view entry = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      ++index;
      if (entry.empty()) continue;
      // Errors say which entry, never echo it: it holds the secret.
      std::string where = "STEWARD_API_TOKENS entry " + std::to_string(index);
      size_t c1 = entry.find(':');
      size_t c2 = c1 == std::string_view::npos ? c1 : entry.find(':', c1 + 1);
      if (c2 == std::string_view::npos) {
        return InvalidArgument(where + ": expected name:role:token");
      }
      ApiToken t;
      t.name = std::string(Trim(entry.substr(0, c1)));
      if (t.name.empty()) return InvalidArgument(where + ": empty name");
      auto role = ParseRole(Trim(entry.substr(c1 + 1, c2 - c1 - 1)));
      if (!role.ok()) return InvalidArgument(where + " (" + t.name + "): " + role.status().message());
      t.role = *role;
      std::string_view secret = Trim(entry.substr(c2 + 1));
      if (secret.empty()) return InvalidArgument(where + " (" + t.name + "): empty token");
      if (secret.rfind("sha256:", 0) == 0) {
        auto d = ParseDigestHex(secret.substr(7));
        if (!d.ok()) return InvalidArgument(where + " (" + t.name + "): " + d.status().message());
        t.sha256 = *d;
      } else {
        t.sha256 = Sha256(secret);
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Authenticator::Authenticator(std::vector<ApiToken> tokens, bool loopback,
                             std::shared_ptr<SessionSigner> sessions)
    : tokens_(std::move(tokens)),
      loopback_(loopback),
      sessions_(std::move(sessions)),
      limiter_(std::make_unique<LoginLimiter>()) {}

Authenticator::~Authenticator() = default;

const ApiToken* Authenticator::Find(std::string_view token) const {
  const TokenDigest presented = Sha256(token);
  const ApiToken* found = nullptr;
  // No early exit: the time taken does not depend on which entry matched.
  for (const auto& t : tokens_) {
    if (DigestEquals(presented, t.sha256) && !found) found = &t;
  }
  return found;
}

std::optional<Role> Authenticator::RoleOf(std::string_view token) const {
  const ApiToken* t = Find(token);
  return t ? std::optional<Role>(t->role) : std::nullopt;
}

bool IsCrossSiteBrowserRequest(const httplib::Request& req) {
  if (req.has_header("Sec-Fetch-Site")) return req.get_header_value("Sec-Fetch-Site") != "same-origin";
  if (!req.has_header("Origin")) return false;
  std::string origin = req.get_header_value("Origin");
  size_t scheme = origin.find("://");
  std::string_view authority =
      scheme == std::string::npos ? std::string_view() : std::string_view(origin).substr(scheme + 3);
  return authority.empty() || authority != req.get_header_value("Host");
}

namespace {

bool IsMutation(const httplib::Request& req) {
  return !(req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS");
}

// "127.0.0.1:8080" -> "127.0.0.1", "[::1]:8080" -> "[::1]".
std::string_view HostName(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

void WriteCsrfRefusal(httplib::Response& res) {
  WriteError(res, 403, StatusCode::kPermissionDenied, "missing or wrong CSRF token");
}

bool CsrfMatches(SessionSigner& sessions, const httplib::Request& req, std::string_view basis) {
  auto expected = sessions.CsrfToken(basis);
  const std::string presented = req.get_header_value("X-CSRF-Token");
  return expected.ok() && presented.size() == expected->size() &&
         CRYPTO_memcmp(presented.data(), expected->data(), presented.size()) == 0;
}

}  // namespace

std::optional<Caller> Authenticator::CheckOpen(const httplib::Request& req,
                                               httplib::Response& res, bool mutation) const {
  // DNS rebinding: a page served from evil.example, whose name then
  // resolves to 127.0.0.1, is same-origin with "us" as far as the browser
  // knows, but its requests still say Host: evil.example.
  const std::string host_header = req.get_header_value("Host");  // HostName views into it
  std::string_view host = HostName(host_header);
  if (!host.empty() && !IsLoopbackHost(host)) {
    WriteError(res, 403, std::string_view("permission_denied"),
               "this listener has no API token and only answers loopback host names "
               "(localhost, 127.0.0.1, [::1]); configure a token to serve other names");
    return std::nullopt;
  }
  if (mutation && IsCrossSiteBrowserRequest(req) &&
      !(sessions_ && CsrfMatches(*sessions_, req, "local"))) {
    WriteCsrfRefusal(res);
    return std::nullopt;
  }
  return Caller{"local", Role::kAdmin, true, ""};
}

std::optional<Caller> Authenticator::CheckSession(const httplib::Request& req,
                                                  httplib::Response& res,
                                                  const std::string& cookie, bool mutation) const {
  auto session = sessions_->Verify(cookie, tokens_);
  if (!session.ok()) {
    // The key lives in the database; without it no cookie can be checked.
    WriteError(res, 503, StatusCode::kUnavailable,
               "cannot check the session: " + session.status().message());
    return std::nullopt;
  }
  if (!*session) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"steward\"");
    WriteError(res, 401, std::string_view("unauthenticated"),
               "session expired or revoked: log in again");
    return std::nullopt;
  }
  // A cookie rides along on any request the browser makes, including one a
  // hostile page triggers: only our own page knows the CSRF token.
  if (mutation && !CsrfMatches(*sessions_, req, cookie)) {
    WriteCsrfRefusal(res);
    return std::nullopt;
  }
  const ApiToken& t = *(*session)->token;
  return Caller{t.name, t.role, false, cookie};
}

std::optional<Caller> Authenticator::Check(const httplib::Request& req,
                                           httplib::Response& res) const {
  const bool mutation = IsMutation(req);
  if (tokens_.empty()) {
    if (loopback_) return CheckOpen(req, res, mutation);
    // Reads too: job payloads may hold personal data.
    WriteError(res, 403, std::string_view("permission_denied"), kClosedWithoutTokens);
    return std::nullopt;
  }
  std::string header = req.get_header_value("Authorization");
  std::string cookie =
      sessions_ ? CookieValue(req.get_header_value("Cookie"), kSessionCookieName) : std::string();
  std::optional<Caller> caller;
  if (header.empty() && !cookie.empty()) {
    caller = CheckSession(req, res, cookie, mutation);
    if (!caller) return std::nullopt;
  } else {
    std::string_view value = Trim(header);
    constexpr std::string_view kBearer = "Bearer ";
    const ApiToken* token = nullptr;
    if (value.size() > kBearer.size() && (value.substr(0, kBearer.size()) == kBearer ||
                                          value.substr(0, kBearer.size()) == "bearer ")) {
      token = Find(Trim(value.substr(kBearer.size())));
    }
    if (!token) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"steward\"");
      WriteError(
          res, 401, std::string_view("unauthenticated"),
          header.empty() ? "missing Authorization: Bearer <token> header" : "invalid API token");
      return std::nullopt;
    }
    caller = Caller{token->name, token->role, false, ""};
  }
  if (mutation && caller->role != Role::kAdmin) {
    WriteError(res, 403, std::string_view("permission_denied"),
               std::string(caller->session.empty() ? "this token" : "this session") +
                   " is read-only; " + req.method + " " + req.path + " needs an admin token");
    return std::nullopt;
  }
  return caller;
}

}  // namespace steward::server
