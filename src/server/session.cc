#include "server/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>

namespace steward::server {

namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SignedPart(std::string_view expires, std::string_view name, const ApiToken& token) {
  return "v1|" + std::string(expires) + "|" + std::string(name) + "|" + DigestHex(token.sha256);
}

}  // namespace

SessionSigner::SessionSigner(std::shared_ptr<Store> store, SessionOptions options)
    : store_(std::move(store)), options_(options) {
  if (!options_.clock) options_.clock = &SystemClock();
}

Result<std::string> SessionSigner::Key() {
  MutexLock lock(mu_);
  if (!key_.empty()) return key_;
  unsigned char fresh[32];
  if (RAND_bytes(fresh, sizeof fresh) != 1) return Internal("no randomness for the session key");
  // The first node to ask stores its key; every other node (and this one
  // after a restart) reads that one, so cookies work everywhere.
  STEWARD_ASSIGN_OR_RETURN(std::string stored,
                           store_->SettingGetOrCreate(std::string(kSessionKeySetting),
                                                      Hex(fresh, sizeof fresh)));
  auto raw = Unhex(stored);
  if (!raw || raw->size() < 32) {
    return Internal("setting " + std::string(kSessionKeySetting) + " is not 64 hex digits");
  }
  key_ = std::move(*raw);
  return key_;
}

std::string SessionSigner::Mac(const std::string& key, std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return Hex(out, len);
}

Result<std::string> SessionSigner::Issue(const ApiToken& token) {
  STEWARD_ASSIGN_OR_RETURN(std::string key, Key());
  auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                     (Now() + options_.ttl).time_since_epoch())
                     .count();
  std::string exp = std::to_string(expires);
  std::string name_hex = Hex(reinterpret_cast<const unsigned char*>(token.name.data()),
                             token.name.size());
  return "v1." + exp + "." + name_hex + "." + Mac(key, SignedPart(exp, token.name, token));
}

Result<std::optional<SessionInfo>> SessionSigner::Verify(std::string_view value,
                                                         std::span<const ApiToken> tokens) {
  // v1.<expires>.<name hex>.<mac hex>
  std::string_view parts[4];
  std::string_view rest = value;
  for (int i = 0; i < 4; ++i) {
    size_t dot = i == 3 ? std::string_view::npos : rest.find('.');
    if (i < 3 && dot == std::string_view::npos) return std::optional<SessionInfo>();
    parts[i] = rest.substr(0, dot);
    if (i < 3) rest.remove_prefix(dot + 1);
  }
  if (parts[0] != "v1" || parts[3].size() != 64) return std::optional<SessionInfo>();
  int64_t expires = 0;
  auto [ptr, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), expires);
  if (ec != std::errc() || ptr != parts[1].data() + parts[1].size()) {
    return std::optional<SessionInfo>();
  }
  Timestamp expires_at{std::chrono::seconds(expires)};
  if (expires_at <= Now()) return std::optional<SessionInfo>();
  auto name = Unhex(parts[2]);
  if (!name) return std::optional<SessionInfo>();
  STEWARD_ASSIGN_OR_RETURN(std::string key, Key());
  std::optional<SessionInfo> found;
  // Every token of that name is tried (names need not be unique); the MAC
  // names exactly one digest, so a changed token matches none.
  for (const auto& t : tokens) {
    if (t.name != *name) continue;
    if (ConstantTimeEquals(Mac(key, SignedPart(parts[1], *name, t)), parts[3]) && !found) {
      found = SessionInfo{&t, expires_at};
    }
  }
  return found;
}

Result<std::string> SessionSigner::CsrfToken(std::string_view basis) {
  STEWARD_ASSIGN_OR_RETURN(std::string key, Key());
  return Mac(key, "csrf" + std::string(basis));
}

std::string SessionSigner::SetCookieHeader(std::string_view value) const {
  auto max_age = std::chrono::duration_cast<std::chrono::seconds>(options_.ttl).count();
  return std::string(kSessionCookieName) + "=" + std::string(value) +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (options_.secure ? "; Secure" : "");
}

std::string SessionSigner::ClearCookieHeader() const {
  return std::string(kSessionCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
         (options_.secure ? "; Secure" : "");
}

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return "";
}

}  // namespace steward::server
