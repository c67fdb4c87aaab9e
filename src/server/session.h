// Dashboard sessions: a signed cookie instead of a token in every request.
//
// The cookie holds no secret and no server-side state:
//   steward_session = "v1." <expires, Unix seconds> "." <token name, hex> "." <MAC, hex>
//   MAC = HMAC-SHA256(key, "v1|" expires "|" name "|" sha256(token) in hex)
// The key is 32 random bytes kept in the database (setting
// "dashboard.session_key", created by the first node that needs it), so
// every node and a restarted node accept the same cookie. Because the MAC
// covers the token's digest, removing or changing the token revokes every
// session made with it at once; an expired cookie is refused whatever the
// browser does with Max-Age.
//
// CSRF: a cookie is sent by the browser on its own, so every non-GET request
// authenticated by one must also carry X-CSRF-Token = HMAC(key, "csrf" +
// cookie value), which only a page that could read GET /api/v1/session
// (same origin) knows.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/thread_annotations.h"
#include "server/auth.h"
#include "steward/clock.h"
#include "store/store.h"

namespace steward::server {

inline constexpr std::string_view kSessionCookieName = "steward_session";
inline constexpr std::string_view kSessionKeySetting = "dashboard.session_key";

struct SessionOptions {
  Micros ttl = std::chrono::hours(24 * 30);
  // Adds "; Secure" (the dashboard is served over https: TLS in front, or
  // [dashboard] url starts with https).
  bool secure = false;
  Clock* clock = nullptr;  // default SystemClock()
};

struct SessionInfo {
  const ApiToken* token = nullptr;  // the token the session was made with
  Timestamp expires_at{};
};

class SessionSigner {
 public:
  SessionSigner(std::shared_ptr<Store> store, SessionOptions options);

  // A fresh cookie value for `token`, valid for the TTL from now.
  Result<std::string> Issue(const ApiToken& token);
  // The session of a cookie value: nullopt when it is malformed, tampered
  // with, expired, or its token is gone or changed. An error only when the
  // key cannot be read (database down).
  Result<std::optional<SessionInfo>> Verify(std::string_view value,
                                            std::span<const ApiToken> tokens);
  // HMAC(key, "csrf" + basis), hex: basis is the cookie value, or "local"
  // on an open loopback listener.
  Result<std::string> CsrfToken(std::string_view basis);

  // Set-Cookie values that store / clear the cookie.
  std::string SetCookieHeader(std::string_view value) const;
  std::string ClearCookieHeader() const;
  Micros ttl() const { return options_.ttl; }
  Timestamp Now() const { return options_.clock->Now(); }

 private:
  // The signing key, from the database on first use, then cached.
  Result<std::string> Key();
  std::string Mac(const std::string& key, std::string_view data) const;

  std::shared_ptr<Store> store_;
  SessionOptions options_;
  Mutex mu_;
  std::string key_ GUARDED_BY(mu_);
};

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(std::string_view header, std::string_view name);

}  // namespace steward::server
