// The [server] section of steward.toml (HTTP server settings beyond
// `listen`), parsed from Config::toml_text so config.cc stays unaware of it:
//
//   [server]
//   health_listen = "0.0.0.0:9090"   # optional: /livez /readyz /startupz /metrics, no auth
//   threads = 16                     # request threads of the API listener
//   tokens = [
//     { name = "ci", role = "admin", sha256 = "<64 hex digits>" },
//     { name = "grafana", role = "read-only", sha256 = "..." },
//   ]
//
// Tokens from STEWARD_ADMIN_TOKEN / STEWARD_API_TOKENS are added to these.
//
// And the [dashboard] section (docs/configuration.md, docs/dashboard.md):
//
//   [dashboard]
//   url = "https://steward.example.com"   # public URL: links in notifications,
//                                         # Secure cookies when https, ping URLs
//   session_ttl = "30d"                   # how long a login lasts (5m..365d)
//   hide_payloads_from_read_only = false  # read-only role sees no job payloads
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"
#include "steward/clock.h"
#include "steward/status.h"

namespace steward::cli {

struct DashboardConfig {
  std::string url;  // no trailing slash; "" if not set
  Micros session_ttl = std::chrono::hours(24 * 30);
  bool hide_payloads_from_read_only = false;
};

struct ServerConfig {
  std::string health_listen;  // "" = no separate listener
  int threads = 16;
  std::vector<server::ApiToken> tokens;
  DashboardConfig dashboard;
};

// Parses [server] from the whole config text and merges the environment's
// tokens (`env` overrides getenv, for tests). Errors name the key.
Result<ServerConfig> ParseServerConfig(std::string_view toml_text,
                                       const std::map<std::string, std::string>* env = nullptr);

}  // namespace steward::cli
