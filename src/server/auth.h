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
//   - tokens configured: no/unknown token -> 401 with WWW-Authenticate;
//     read-only token on a mutation (anything but GET/HEAD) -> 403.
//   - no tokens, loopback listener: open (local development).
//   - no tokens, non-loopback listener: every route refused, reads too (job
//     payloads may hold personal data): 403 with a message saying how to
//     configure a token. Only public routes (probes, check pings) answer.
// The decision follows the configured listen address, not the address a
// client connects to (a 0.0.0.0 listener is non-loopback even for a client
// on 127.0.0.1).
#pragma once

#include <array>
#include <map>
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

class Authenticator {
 public:
  // `loopback`: whether the API listener is bound to a loopback address.
  Authenticator(std::vector<ApiToken> tokens, bool loopback);

  bool has_tokens() const { return !tokens_.empty(); }

  // The role of a presented token, nullopt if unknown. Compares against
  // every configured digest (no early exit).
  std::optional<Role> RoleOf(std::string_view token) const;

  // Applies the policy to a request. Returns true to let it through; false
  // after writing a 401/403 JSON error to `res`.
  bool Check(const httplib::Request& req, httplib::Response& res) const;

 private:
  std::vector<ApiToken> tokens_;
  bool loopback_;
};

}  // namespace steward::server
