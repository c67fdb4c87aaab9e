// Helpers shared by the notification senders: decoding outbox rows, safe
// target names for logs, Retry-After parsing, HMAC, and one libcurl POST.
#include "watch/notify.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>
#include <random>

#include "core/json_limits.h"
#include "core/time_parse.h"

namespace steward::notify {

namespace {

void EnsureCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t WriteBody(char* ptr, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  // A receiver's answer is only read for error messages; keep it bounded.
  if (out->size() < 64 * 1024) out->append(ptr, std::min(size * n, 64 * 1024 - out->size()));
  return size * n;
}

size_t WriteHeader(char* ptr, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(ptr, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    out->emplace_back(Lower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

int AbortProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;  // non-zero aborts
}

// An optional time in an outbox payload: Unix microseconds like the other
// times there, or an RFC 3339 string.
std::optional<Timestamp> PayloadTime(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return std::nullopt;
  const auto& v = j[key];
  if (v.is_number_integer()) return FromMicros(v.get<int64_t>());
  if (v.is_string()) {
    if (auto t = ParseTimestamp(v.get<std::string>()); t.ok()) return *t;
  }
  return std::nullopt;
}

}  // namespace

void AbortWhenSet(void* curl_handle, const std::atomic<bool>* abort) {
  if (abort == nullptr) return;
  CURL* curl = static_cast<CURL*>(curl_handle);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort));
}

Notification Notification::FromRow(const OutboxRow& row) {
  Notification n;
  n.outbox_id = row.id;
  n.alert_id = row.alert_id;
  n.channel = row.channel;
  n.event = row.event;
  n.attempt = row.attempts;
  auto j = ParseJsonOrDiscarded(row.payload_json);
  if (j.is_object()) {
    n.fingerprint = j.value("fingerprint", "");
    n.rule = j.value("rule", "");
    if (j.contains("labels") && j["labels"].is_object()) n.labels = j["labels"];
    n.severity = j.value("severity", "error");
    n.summary = j.value("summary", "");
    n.detail = j.value("detail", "");
    n.count = j.value("count", int64_t{0});
    n.first_seen = FromMicros(j.value("first_seen", int64_t{0}));
    n.last_seen = FromMicros(j.value("last_seen", int64_t{0}));
    if (j.contains("resolved_at")) n.resolved_at = FromMicros(j["resolved_at"].get<int64_t>());
    if (j.contains("job_id")) n.job_id = j["job_id"].get<int64_t>();
    if (j.contains("digest") && j["digest"].is_object()) n.digest = j["digest"];
    if (j.contains("acked_by") && j["acked_by"].is_string()) n.acked_by = j["acked_by"];
    n.acked_at = PayloadTime(j, "acked_at");
    n.silenced_until = PayloadTime(j, "silenced_until");
  }
  if (n.event == "open" || n.event == "repeat") {
    n.count = std::max(n.count, row.alert_count);
    if (row.alert_last_seen && *row.alert_last_seen > n.last_seen) n.last_seen = *row.alert_last_seen;
  }
  return n;
}

std::string SafeTarget(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "***";
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  return std::string(url.substr(0, scheme_end)) + "://" + std::string(authority) + "/***";
}

namespace {

// "2026-12-01T10:00:00Z": seconds are precise enough for a person.
std::string ShortTime(Timestamp t) { return FormatTimestamp(t).substr(0, 19) + "Z"; }

std::string Occurrences(const Notification& n) {
  return std::to_string(n.count) + (n.count == 1 ? " time" : " times") + " since " +
         ShortTime(n.first_seen);
}

}  // namespace

std::string ResolvedNow(const Notification& n) {
  std::string now = !n.detail.empty() ? n.detail
                    : (n.rule.empty() ? std::string("the alert") : n.rule) + " is no longer firing";
  if (std::string note = AckNote(n); !note.empty()) now += " \xE2\x80\x94 " + note;  // " — "
  return now;
}

std::string Headline(const Notification& n) {
  std::string labels;
  for (const auto& [k, v] : n.labels.items()) {
    labels += (labels.empty() ? "" : " ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  std::string state = n.event == "resolve" ? "RESOLVED"
                      : n.event == "test"  ? "TEST"
                      : n.event == "digest" ? "DIGEST"
                                           : "FIRING";
  std::string out = state + " " + (n.rule.empty() ? std::string("steward") : n.rule);
  if (!labels.empty()) out += " " + labels;
  if (n.resolved()) {
    // The summary says what was wrong ("Check x is late or down"); after
    // RESOLVED it would read as still wrong. Say what is true now, then
    // what it was.
    out += ": " + ResolvedNow(n);
    std::string was = n.summary;
    if (n.count > 0) was += std::string(was.empty() ? "" : ", ") + Occurrences(n);
    if (!was.empty()) out += " (was: " + was + ")";
    return out;
  }
  if (!n.summary.empty()) out += ": " + n.summary;
  if (n.event != "test" && n.event != "digest" && n.count > 0) out += " (" + Occurrences(n) + ")";
  return out;
}

std::optional<Micros> ParseRetryAfter(std::string_view value, Timestamp now) {
  std::string v = Trim(value);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (v.size() > 9) return std::chrono::hours(24);  // absurd values are capped below anyway
    return std::chrono::seconds(std::stoll(v));
  }
  // HTTP-date: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  const Timestamp at = FromMicros(static_cast<int64_t>(timegm(&tm)) * 1'000'000);
  return at > now ? std::chrono::duration_cast<Micros>(at - now) : Micros(0);
}

std::optional<Micros> ParseSentryRateLimits(std::string_view value) {
  std::optional<Micros> longest;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string_view item =
        value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? value.size() + 1 : comma + 1;
    std::string entry = Trim(item);
    if (entry.empty()) continue;
    auto c1 = entry.find(':');
    std::string secs = entry.substr(0, c1);
    std::string cats = c1 == std::string::npos ? "" : entry.substr(c1 + 1, entry.find(':', c1 + 1) - c1 - 1);
    if (secs.empty() || !std::all_of(secs.begin(), secs.end(), ::isdigit)) continue;
    // Empty categories mean "everything"; events are category "error".
    bool applies = cats.empty();
    size_t p = 0;
    while (!applies && p <= cats.size()) {
      size_t semi = cats.find(';', p);
      std::string cat = cats.substr(p, semi == std::string::npos ? std::string::npos : semi - p);
      applies = cat == "error" || cat == "default";
      p = semi == std::string::npos ? cats.size() + 1 : semi + 1;
    }
    if (!applies) continue;
    Micros d = std::chrono::seconds(std::stoll(secs.substr(0, 9)));
    if (!longest || d > *longest) longest = d;
  }
  return longest;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

std::string RandomHex32() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i, v >>= 4) out += kHex[v & 0xf];
  }
  return out;
}

std::string Truncate(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  const std::string_view ellipsis = "\xE2\x80\xA6";  // "…"
  size_t cut = max >= ellipsis.size() ? max - ellipsis.size() : 0;
  // Back up to the start of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + std::string(ellipsis);
}

std::optional<std::string> HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

std::string CurlErrorText(int code, const char* errbuf, const std::string& url) {
  std::string text = curl_easy_strerror(static_cast<CURLcode>(code));
  // The error buffer says what went wrong ("SSL certificate problem:
  // self-signed certificate", "Operation timed out after 300 ms...") but may
  // quote the URL, whose path can be a secret (Slack): use it only when it
  // does not.
  const std::string detail = errbuf == nullptr ? "" : errbuf;
  const size_t scheme = url.find("://");
  const size_t path_start = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string path = path_start == std::string::npos ? "" : url.substr(path_start);
  if (!detail.empty() && detail.find(url) == std::string::npos &&
      (path.size() <= 1 || detail.find(path) == std::string::npos)) {
    text += ": " + detail;
  }
  return text;
}

HttpResponse HttpPost(const std::string& url, const std::vector<std::string>& headers,
                      const std::string& body, Micros timeout, const std::atomic<bool>* abort) {
  EnsureCurl();
  HttpResponse r;
  if (abort != nullptr && abort->load()) {
    r.error = "delivery interrupted: stopping";
    return r;
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  // "Expect: 100-continue" costs a round trip and confuses some receivers.
  list = curl_slist_append(list, "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count() / 1000));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "steward-notifier");
  AbortWhenSet(curl, abort);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<int>(status);
  } else {
    r.error = CurlErrorText(rc, errbuf, url);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

DeliveryResult ClassifyHttp(const HttpResponse& r, const std::string& target,
                            std::optional<int> only_ok) {
  DeliveryResult d;
  if (r.status == 0) {
    d.message = target + ": " + r.error;
    return d;
  }
  const bool success = only_ok ? r.status == *only_ok : (r.status >= 200 && r.status < 300);
  if (success) {
    d.ok = true;
    d.message = target + ": HTTP " + std::to_string(r.status);
    return d;
  }
  d.message = target + ": HTTP " + std::to_string(r.status) + " " + Truncate(r.body, 200);
  if (r.status == 429) {
    auto ra = r.Header("retry-after");
    d.retry_after = ra ? ParseRetryAfter(*ra, SystemClock().Now()) : std::nullopt;
    if (!d.retry_after) d.retry_after = std::chrono::seconds(60);
  } else if (r.status >= 400 && r.status < 500 && r.status != 408) {
    d.permanent_error = true;
  }
  return d;
}

}  // namespace steward::notify
