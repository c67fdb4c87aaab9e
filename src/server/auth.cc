#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdlib>

#include <httplib.h>

#include "server/route_table.h"

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

Authenticator::Authenticator(std::vector<ApiToken> tokens, bool loopback)
    : tokens_(std::move(tokens)), loopback_(loopback) {}

std::optional<Role> Authenticator::RoleOf(std::string_view token) const {
  const TokenDigest presented = Sha256(token);
  std::optional<Role> role;
  // No early exit: the time taken does not depend on which entry matched.
  for (const auto& t : tokens_) {
    if (DigestEquals(presented, t.sha256) && !role) role = t.role;
  }
  return role;
}

bool Authenticator::Check(const httplib::Request& req, httplib::Response& res) const {
  const bool mutation = !(req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS");
  if (tokens_.empty()) {
    if (loopback_) return true;
    // Reads too: job payloads may hold personal data.
    WriteError(res, 403, std::string_view("permission_denied"), kClosedWithoutTokens);
    return false;
  }
  std::string header = req.get_header_value("Authorization");
  std::string_view value = Trim(header);
  constexpr std::string_view kBearer = "Bearer ";
  std::optional<Role> role;
  if (value.size() > kBearer.size() &&
      (value.substr(0, kBearer.size()) == kBearer || value.substr(0, kBearer.size()) == "bearer ")) {
    role = RoleOf(Trim(value.substr(kBearer.size())));
  }
  if (!role) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"steward\"");
    WriteError(
        res, 401, std::string_view("unauthenticated"),
        header.empty() ? "missing Authorization: Bearer <token> header" : "invalid API token");
    return false;
  }
  if (mutation && *role != Role::kAdmin) {
    WriteError(res, 403, std::string_view("permission_denied"),
               "this token is read-only; " + req.method + " " + req.path + " needs an admin token");
    return false;
  }
  return true;
}

}  // namespace steward::server
