#include "core/log.h"

#include <date/date.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace steward::log {

namespace {

struct State {
  std::mutex mu;
  Level min_level = Level::kInfo;
  bool json = !isatty(STDOUT_FILENO);
  std::string* sink = nullptr;
  std::function<std::chrono::steady_clock::time_point()> steady_now;  // tests; empty = steady_clock
  // Sampling of repeated warnings/errors: key = level + msg + first field.
  struct Seen {
    std::chrono::steady_clock::time_point window_start;
    int suppressed = 0;
  };
  std::unordered_map<std::string, Seen> seen;
};

State& S() {
  static State* s = new State();  // never destroyed: usable from exiting threads
  return *s;
}

constexpr auto kSampleWindow = std::chrono::seconds(10);

std::string_view LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void Configure(Level min_level, Format format) {
  auto& s = S();
  std::lock_guard lock(s.mu);
  s.min_level = min_level;
  if (format == Format::kJson) s.json = true;
  if (format == Format::kText) s.json = false;
  if (format == Format::kAuto) s.json = !isatty(STDOUT_FILENO);
}

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

bool Enabled(Level level) {
  auto& s = S();
  std::lock_guard lock(s.mu);
  return level >= s.min_level;
}

void SetSinkForTesting(std::string* sink) {
  auto& s = S();
  std::lock_guard lock(s.mu);
  s.sink = sink;
  s.seen.clear();
}

void SetSteadyNowForTesting(std::function<std::chrono::steady_clock::time_point()> now) {
  auto& s = S();
  std::lock_guard lock(s.mu);
  s.steady_now = std::move(now);
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  auto& s = S();
  std::lock_guard lock(s.mu);
  if (level < s.min_level) return;
  int repeated = 0;
  if (level >= Level::kWarn) {
    std::string key = std::string(LevelName(level)) + '\x1f' + std::string(msg);
    // The first field (e.g. kind or loop) distinguishes groups; ids do not.
    if (fields.size() > 0) key += '\x1f' + fields.begin()->value.dump();
    auto now = s.steady_now ? s.steady_now() : std::chrono::steady_clock::now();
    auto [it, inserted] = s.seen.try_emplace(key, State::Seen{now, 0});
    if (!inserted) {
      if (now - it->second.window_start < kSampleWindow) {
        ++it->second.suppressed;
        return;
      }
      repeated = it->second.suppressed;
      it->second = State::Seen{now, 0};
    }
    if (s.seen.size() > 10000) s.seen.clear();  // bound memory under unbounded keys
  }
  auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::string line;
  if (s.json) {
    nlohmann::json j;
    j["ts"] = date::format("%FT%TZ", now);
    j["level"] = LevelName(level);
    j["msg"] = msg;
    for (const auto& f : fields) j[std::string(f.key)] = f.value;
    if (repeated > 0) j["repeated"] = repeated;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = date::format("%T", now);
    line += ' ';
    std::string lv(LevelName(level));
    for (auto& c : lv) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    line += lv;
    line += ' ';
    line += msg;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.value.is_string() ? f.value.get<std::string>() : f.value.dump();
    }
    if (repeated > 0) line += " (repeated " + std::to_string(repeated) + " times)";
  }
  line += '\n';
  if (s.sink) {
    *s.sink += line;
  } else {
    fwrite(line.data(), 1, line.size(), stdout);
    fflush(stdout);
  }
}

}  // namespace steward::log

namespace steward::log {

namespace {

bool IsSecretParam(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view secret : {"password", "passwd", "token", "secret", "key"}) {
    // Suffix match also catches sslpassword, api_key, access_token.
    if (lower.size() >= secret.size() &&
        lower.compare(lower.size() - secret.size(), secret.size(), secret) == 0) {
      return true;
    }
  }
  return false;
}

// Redacts secret values in "a=1&password=x" (also ';'-separated).
std::string RedactQuery(std::string_view query) {
  std::string out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find_first_of("&;", pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && IsSecretParam(part.substr(0, eq))) {
      out.append(part.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(part);
    }
    if (end < query.size()) out += query[end];
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out;
  size_t scheme_end = url.find("://");
  size_t authority_start = 0;
  if (scheme_end != std::string_view::npos) {
    authority_start = scheme_end + 3;
    out.append(url.substr(0, authority_start));
    // The authority ends at the first '/', '?' or '#'. The password may hold
    // '/' in sloppy URLs, so the userinfo ends at the LAST '@' before '?'.
    size_t query_start = url.find_first_of("?#", authority_start);
    std::string_view head = url.substr(authority_start, query_start == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : query_start - authority_start);
    size_t at = head.rfind('@');
    if (at != std::string_view::npos) {
      std::string_view userinfo = head.substr(0, at);
      size_t colon = userinfo.find(':');
      if (colon != std::string_view::npos) {
        out.append(userinfo.substr(0, colon));
        out += ":***";
      } else {
        out.append(userinfo);
      }
      out.append(head.substr(at));
    } else {
      out.append(head);
    }
    authority_start += head.size();
  }
  std::string_view rest = url.substr(authority_start);
  size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    // libpq key/value strings ("host=x password=y") have no '?': redact
    // space-separated secret pairs too.
    if (scheme_end == std::string_view::npos && rest.find('=') != std::string_view::npos) {
      std::string kv;
      size_t pos = 0;
      while (pos < rest.size()) {
        size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos) end = rest.size();
        std::string_view part = rest.substr(pos, end - pos);
        size_t eq = part.find('=');
        if (eq != std::string_view::npos && IsSecretParam(part.substr(0, eq))) {
          kv.append(part.substr(0, eq + 1));
          kv += "***";
        } else {
          kv.append(part);
        }
        if (end < rest.size()) kv += ' ';
        pos = end + 1;
      }
      out += kv;
      return out;
    }
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, q + 1));
  std::string_view query = rest.substr(q + 1);
  size_t hash = query.find('#');
  out += RedactQuery(query.substr(0, hash));
  if (hash != std::string_view::npos) out.append(query.substr(hash));
  return out;
}

}  // namespace steward::log
