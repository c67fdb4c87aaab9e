// Structured logging: one event with key/value fields.
//
// On a terminal the line is human-readable ("16:15:07.123 WARN job failed
// job_id=42 kind=email"); otherwise it is one JSON object per line on stdout
// (ts, level, msg, fields), which Loki ingests with `| json`. Fields with
// unbounded values (job ids) belong in the line, never in Loki labels.
//
// Identical warnings/errors repeated within a window are sampled: the first
// is written, the rest are counted and reported once ("repeated": N), so a
// failure storm cannot flood the log.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace steward::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };
enum class Format { kAuto, kJson, kText };

struct Field {
  std::string_view key;
  nlohmann::json value;
};

// Configure once at start. Defaults: kInfo, kAuto (JSON unless stdout is a tty).
void Configure(Level min_level, Format format);
std::optional<Level> ParseLevel(std::string_view name);
bool Enabled(Level level);

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kError, msg, f); }

// Redirects output (tests); nullptr restores stdout. Not thread-safe with Write.
void SetSinkForTesting(std::string* sink);
// Replaces the clock repeated-message sampling is measured in (tests move
// it past the sampling window instead of sleeping); empty restores
// std::chrono::steady_clock. Not thread-safe with Write.
void SetSteadyNowForTesting(std::function<std::chrono::steady_clock::time_point()> now);

// A URL safe to log: the userinfo password and the values of query
// parameters named password, token, secret or key (any case, also as a
// suffix such as api_key or access_token) become "***".
//   "postgres://app:hunter2@db/steward?sslpassword=x&sslmode=require"
//   -> "postgres://app:***@db/steward?sslpassword=***&sslmode=require"
// Text that is not a URL is returned unchanged, so it is always safe to call.
std::string RedactUrl(std::string_view url);

}  // namespace steward::log
