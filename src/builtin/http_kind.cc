#include "builtin/http_kind.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "builtin/exec_kind.h"  // builtin_internal::AppendTail, ToValidUtf8

namespace steward {
namespace {

constexpr int kTickMs = 50;  // how often cancellation is noticed
constexpr size_t kMaxTailBytes = 1 << 20;
constexpr auto kMaxRetryAfter = std::chrono::hours(24);

void CurlGlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

bool IsToken(std::string_view s) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
  });
}

// The final response's status line and Retry-After, and the body's tail.
struct Response {
  size_t tail_max = 0;
  std::string body_tail;
  std::string status_line;
  std::optional<std::string> retry_after;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  builtin_internal::AppendTail(&r->body_tail, std::string_view(data, size * n), r->tail_max);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line = Trim(std::string_view(data, size * n));
  if (line.starts_with("HTTP/")) {
    // A new response starts (after an interim 1xx): forget the old headers.
    r->status_line = std::string(line);
    r->retry_after.reset();
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    if (IEquals(Trim(line.substr(0, colon)), "Retry-After")) {
      r->retry_after = std::string(Trim(line.substr(colon + 1)));
    }
  }
  return size * n;
}

// "HTTP/1.1 404 Not Found" -> "Not Found"; HTTP/2 has no reason phrase.
std::string_view ReasonPhrase(std::string_view status_line) {
  size_t first = status_line.find(' ');
  if (first == std::string_view::npos) return {};
  size_t second = status_line.find(' ', first + 1);
  if (second == std::string_view::npos) return {};
  return Trim(status_line.substr(second + 1));
}

bool Retryable(long status) { return status == 408 || status == 429 || status >= 500; }

// Releases libcurl handles in the order libcurl requires.
struct Transfer {
  CURL* easy = curl_easy_init();
  CURLM* multi = curl_multi_init();
  curl_slist* headers = nullptr;
  bool added = false;
  ~Transfer() {
    if (added) curl_multi_remove_handle(multi, easy);
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
  }
};

Outcome Post(const HttpKindConfig& config, JobContext& ctx) {
  Status valid = ValidateHttpKindConfig(config);
  if (!valid.ok()) return Outcome::Failure("invalid http kind config: " + valid.message());
  CurlGlobalInitOnce();
  Transfer t;
  if (t.easy == nullptr || t.multi == nullptr) return Outcome::Failure("libcurl init failed");

  std::vector<std::string> lines;
  bool has_content_type = false;
  for (const auto& [name, value] : config.headers) {
    has_content_type |= IEquals(name, "Content-Type");
    lines.push_back(name + ": " + value);
  }
  if (!has_content_type) lines.push_back("Content-Type: application/json");
  lines.push_back("Idempotency-Key: " + ctx.idempotency_key());
  lines.push_back("X-Steward-Job-Id: " + std::to_string(ctx.id()));
  lines.push_back("X-Steward-Attempt: " + std::to_string(ctx.attempt()));
  lines.push_back("X-Steward-Kind: " + ctx.kind());
  // libcurl waits up to 1 s for "100 Continue" on large bodies; many servers
  // never send it.
  lines.push_back("Expect:");
  for (const std::string& line : lines) {
    curl_slist* next = curl_slist_append(t.headers, line.c_str());
    if (next == nullptr) return Outcome::Failure("libcurl: out of memory");
    t.headers = next;
  }

  const std::string body = ctx.payload().dump();
  Response response;
  response.tail_max = config.body_tail_bytes;
  char errbuf[CURL_ERROR_SIZE] = {};
  const long timeout_ms = std::max<long>(
      1, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout)
                               .count()));
  CURL* e = t.easy;
  curl_easy_setopt(e, CURLOPT_URL, config.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // signals are process-wide; we are a thread
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "steward/0.1");

  // The multi interface instead of curl_easy_perform, because easy_perform
  // only reports progress (our chance to abort) about once a second when the
  // server is silent; here cancellation is seen within one tick.
  if (curl_multi_add_handle(t.multi, e) != CURLM_OK) {
    return Outcome::Failure("libcurl: cannot add transfer");
  }
  t.added = true;
  int running = 1;
  while (true) {
    CURLMcode mc = curl_multi_perform(t.multi, &running);
    if (mc != CURLM_OK) {
      return Outcome::Retry(std::string("libcurl: ") + curl_multi_strerror(mc));
    }
    if (running == 0) break;
    if (ctx.cancelled()) return Outcome::Failure("cancelled/timed out: request aborted");
    curl_multi_poll(t.multi, nullptr, 0, kTickMs, nullptr);
  }
  CURLcode rc = CURLE_OK;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(t.multi, &left)) {
    if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Outcome::Retry("request timed out after " + std::to_string(timeout_ms) + " ms");
  }
  if (rc != CURLE_OK) {
    // errbuf names the host at most, never the path or query (which may
    // hold a webhook token).
    return Outcome::Retry(std::string("request failed: ") +
                          (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }

  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  std::string message = "HTTP " + std::to_string(status);
  if (std::string_view reason = ReasonPhrase(response.status_line); !reason.empty()) {
    message += " ";
    message += builtin_internal::ToValidUtf8(reason);
  }
  std::string detail = builtin_internal::ToValidUtf8(response.body_tail);
  if (status >= 200 && status < 300) return Outcome::Success();
  if (Retryable(status)) {
    std::optional<Micros> delay;
    if (response.retry_after) {
      delay = builtin_internal::ParseRetryAfter(*response.retry_after, SystemClock().Now());
    }
    return Outcome::Retry(std::move(message), delay, std::move(detail));
  }
  return Outcome::Discard(std::move(message), std::move(detail));
}

}  // namespace

Status ValidateHttpKindConfig(const HttpKindConfig& config) {
  const std::string& url = config.url;
  if (!IStartsWith(url, "http://") && !IStartsWith(url, "https://")) {
    return InvalidArgument("url: must start with http:// or https://");
  }
  if (std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
      })) {
    return InvalidArgument("url: contains whitespace or control characters");
  }
  std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view host = authority.substr(authority.rfind('@') + 1);  // npos + 1 == 0
  if (host.empty() || host.front() == ':') return InvalidArgument("url: no host");
  for (const auto& [name, value] : config.headers) {
    if (!IsToken(name)) return InvalidArgument("headers: invalid header name \"" + name + "\"");
    if (IEquals(name, "Idempotency-Key") || IStartsWith(name, "X-Steward-") ||
        IEquals(name, "Host") || IEquals(name, "Content-Length") ||
        IEquals(name, "Transfer-Encoding")) {
      return InvalidArgument("headers: " + name + " is set by Steward");
    }
    // The value is deliberately not echoed: it is often a secret.
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgument("headers: value of " + name + " contains CR, LF or NUL");
    }
  }
  if (config.timeout <= Micros::zero()) return InvalidArgument("timeout: must be positive");
  if (config.body_tail_bytes > kMaxTailBytes) {
    return InvalidArgument("body_tail_bytes: at most " + std::to_string(kMaxTailBytes));
  }
  return Status::Ok();
}

Handler MakeHttpHandler(HttpKindConfig config) {
  CurlGlobalInitOnce();
  return [config = std::move(config)](JobContext& ctx) { return Post(config, ctx); };
}

namespace builtin_internal {

std::optional<Micros> ParseRetryAfter(std::string_view value, Timestamp now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  const Micros cap = kMaxRetryAfter;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return cap;
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    if (seconds >= static_cast<uint64_t>(std::chrono::seconds(kMaxRetryAfter).count())) return cap;
    return std::chrono::seconds(seconds);
  }
  const std::string date(value);
  time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  Micros delta = std::chrono::seconds(when) - now.time_since_epoch();
  if (delta < Micros::zero()) return Micros::zero();
  return std::min(delta, cap);
}

}  // namespace builtin_internal
}  // namespace steward
