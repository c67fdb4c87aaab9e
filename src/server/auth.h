// API authentication: bearer tokens with a read-only and an admin role.
//
// Tokens come from the [server] section of steward.toml (pre-hashed, so the
// file holds no secret) and from the environment (STEWARD_ADMIN_TOKEN,
// STEWARD_API_TOKENS, plaintext as delivered by a Kubernetes Secret). Only
// SHA-256 digests are kept in memory; a presented token is hashed and
// compared against every digest with CRYPTO_memcmp, so neither the
// comparison nor the position of the matching entry leaks through timing.
//
// Policy (Authenticator::Check), for routes not marked public:
//   - tokens configured: a bearer token, or the dashboard's session cookie
//     (session.h); neither or an unknown one -> 401 with WWW-Authenticate;
//     a cookie-authenticated mutation without the right X-CSRF-Token -> 403;
//     read-only token or session on a mutation (anything but GET/HEAD) -> 403.
//   - no tokens, loopback listener: open (local development), as the caller
//     "local" with the admin role. Two browser attacks are still refused:
//     a Host header that is not a loopback name (DNS rebinding: a page on
//     evil.example re-pointed at 127.0.0.1) -> 403 for every request, and a
//     cross-site browser mutation (Origin of another site, or Sec-Fetch-Site
//     other than same-origin) without the CSRF token of GET /api/v1/session
//     -> 403. curl and SDKs send neither header and need nothing.
//   - no tokens, non-loopback listener: every route refused, reads too (job
//     payloads may hold personal data): 403 with a message saying how to
//     configure a token. Only public routes (probes, check pings) answer.
// The decision follows the configured listen address, not the address a
// client connects to (a 0.0.0.0 listener is non-loopback even for a client
// on 127.0.0.1).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "steward/status.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace steward::server {

enum class Role { kReadOnly, kAdmin };

using TokenDigest = std::array<unsigned char, 32>;

struct ApiToken {
  std::string name;  // for logs ("ci"); never the secret
  Role role = Role::kReadOnly;
  TokenDigest sha256{};
};

// SHA-256 of `text` (OpenSSL).
TokenDigest Sha256(std::string_view text);
std::string DigestHex(const TokenDigest& d);
// 64 hex digits (either case) -> digest; kInvalidArgument otherwise.
Result<TokenDigest> ParseDigestHex(std::string_view hex);
// "admin" | "read-only" (also "readonly", "read_only", "read").
Result<Role> ParseRole(std::string_view text);
std::string_view RoleName(Role role);

// Constant-time digest equality (CRYPTO_memcmp): the one comparison every
// token check goes through.
bool DigestEquals(const TokenDigest& a, const TokenDigest& b);

// Tokens from the environment:
//   STEWARD_ADMIN_TOKEN=<secret>                   one admin token named "env-admin"
//   STEWARD_API_TOKENS=name:role:<secret>[,...]    role admin|read-only; a secret
//                                                  "sha256:<hex>" is a digest.
// `env` overrides getenv (tests). Errors name the variable, never the secret.
Result<std::vector<ApiToken>> TokensFromEnvironment(
    const std::map<std::string, std::string>* env = nullptr);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

// Who is calling: every route handler gets one (route_table.h).
struct Caller {
  // The token's name; "local" on an open loopback listener; "" when nobody
  // authenticated (public routes).
  std::string name;
  Role role = Role::kReadOnly;
  bool open = false;    // no tokens, loopback listener
  std::string session;  // the session cookie's value when authenticated by it
  bool authenticated() const { return !name.empty(); }
};

class SessionSigner;
class LoginLimiter;

class Authenticator {
 public:
  // `loopback`: whether the API listener is bound to a loopback address.
  // `sessions`: null disables session cookies (bearer tokens only).
  Authenticator(std::vector<ApiToken> tokens, bool loopback,
                std::shared_ptr<SessionSigner> sessions = nullptr);
  ~Authenticator();

  bool has_tokens() const { return !tokens_.empty(); }
  bool open() const { return tokens_.empty() && loopback_; }
  const std::vector<ApiToken>& tokens() const { return tokens_; }
  SessionSigner* sessions() const { return sessions_.get(); }
  LoginLimiter& login_limiter() const { return *limiter_; }

  // The configured token a presented secret is, or null. Compares against
  // every configured digest (no early exit).
  const ApiToken* Find(std::string_view token) const;
  std::optional<Role> RoleOf(std::string_view token) const;

  // Applies the policy to a request. Returns the caller to let it through;
  // nullopt after writing a 401/403/503 JSON error to `res`.
  std::optional<Caller> Check(const httplib::Request& req, httplib::Response& res) const;

 private:
  std::optional<Caller> CheckOpen(const httplib::Request& req, httplib::Response& res,
                                  bool mutation) const;
  std::optional<Caller> CheckSession(const httplib::Request& req, httplib::Response& res,
                                     const std::string& cookie, bool mutation) const;

  std::vector<ApiToken> tokens_;
  bool loopback_;
  std::shared_ptr<SessionSigner> sessions_;
  std::unique_ptr<LoginLimiter> limiter_;
};

// True when a request comes from a browser page of another site: its
// Sec-Fetch-Site is not same-origin, or (older browsers) its Origin's host
// differs from Host. Requests with neither header (curl, SDKs) are not.
bool IsCrossSiteBrowserRequest(const httplib::Request& req);

}  // namespace steward::server
