// The "http" job kind: POSTs each job's payload to a configured URL, so a
// handler can be any web service.
//
//   HttpKindConfig cfg;
//   cfg.url = "https://billing.internal/hooks/invoice";
//   cfg.headers = {{"Authorization", "Bearer " + token}};
//   STEWARD_RETURN_IF_ERROR(ValidateHttpKindConfig(cfg));
//   worker->Handle("invoice", MakeHttpHandler(cfg));
//
// The request (the URL comes only from config, never from the payload, so a
// job cannot aim the daemon at an arbitrary host):
//   POST <url>
//   Content-Type: application/json          (a configured Content-Type wins)
//   Idempotency-Key: steward-<job id>       (stable across attempts)
//   X-Steward-Job-Id, X-Steward-Attempt, X-Steward-Kind
//   <configured headers>
//   <payload JSON>
// Redirects are not followed (a redirected POST changes meaning).
//
// How the response maps to the attempt's outcome:
//   2xx                      success
//   408, 429, 5xx            retry; the delay is Retry-After (delta-seconds or
//                            HTTP-date, capped at 24 h) or, without it, the
//                            kind's retry policy
//   other status             discard: the request itself is wrong, repeating
//                            it cannot help ("HTTP 404 Not Found")
//   connect error, timeout   retry with the kind's retry policy
//   job cancelled            failed attempt; the transfer is aborted within
//                            about 50 ms
// The attempt's error detail holds the last `body_tail_bytes` of the
// response body. Messages name the host at most, never the URL's path or
// query nor header values, which often carry secrets (webhook tokens).
//
// Thread safety: the returned Handler may be called concurrently; each call
// uses its own libcurl handles.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "steward/clock.h"
#include "steward/status.h"
#include "steward/worker.h"

namespace steward {

struct HttpKindConfig {
  std::string url{};                            // http:// or https://, required
  std::map<std::string, std::string> headers{}; // e.g. Authorization
  Micros timeout = std::chrono::seconds(30);    // whole request, > 0
  size_t body_tail_bytes = 2048;                // kept in the error detail
};

// kInvalidArgument naming the field: a URL that is not http(s) or has no
// host, a header name that is not an HTTP token or is set by Steward
// (Idempotency-Key, X-Steward-*, Host, Content-Length, Transfer-Encoding),
// a header value with CR, LF or NUL, a non-positive timeout, a tail size
// over 1 MiB.
Status ValidateHttpKindConfig(const HttpKindConfig& config);

// The config is copied into the handler. Call ValidateHttpKindConfig first;
// an invalid config makes every attempt fail with the validation message.
Handler MakeHttpHandler(HttpKindConfig config);

namespace builtin_internal {

// Parses a Retry-After value: delta-seconds or an HTTP-date (relative to
// `now`; a date in the past gives 0). Capped at 24 h. nullopt if malformed.
std::optional<Micros> ParseRetryAfter(std::string_view value, Timestamp now);

}  // namespace builtin_internal
}  // namespace steward
