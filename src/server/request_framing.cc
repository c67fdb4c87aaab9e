#include "server/request_framing.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace steward::server {
namespace {

bool EqualsCaseless(std::string_view a, std::string_view lower) {
  return a.size() == lower.size() &&
         std::equal(a.begin(), a.end(), lower.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The head's lines without their line terminators, the blank line excluded.
std::vector<std::string_view> SplitLines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    size_t lf = head.find('\n');
    std::string_view line = head.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    lines.push_back(line);
    if (lf == std::string_view::npos) break;
    head.remove_prefix(lf + 1);
  }
  return lines;
}

Status Refuse(std::string message) { return InvalidArgument("bad request framing: " + message); }

}  // namespace

size_t RequestHeadEnd(std::string_view data) {
  size_t crlf = data.find("\r\n\r\n");
  size_t lf = data.find("\n\n");
  if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf)) {
    return lf + 2;
  }
  return crlf == std::string_view::npos ? crlf : crlf + 4;
}

Result<std::string> NormalizeRequestHead(std::string_view head) {
  std::vector<std::string_view> lines = SplitLines(head);
  if (lines.empty()) return Refuse("empty request line");
  const std::string_view method = lines[0].substr(0, lines[0].find(' '));
  std::optional<uint64_t> content_length;
  bool chunked = false;
  std::string out;
  out.reserve(head.size() + 32);
  out.append(lines[0]).append("\r\n");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') {
      return Refuse("folded header line (obsolete line folding is not accepted)");
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Refuse("header line without a colon: \"" + std::string(line.substr(0, 64)) + "\"");
    }
    std::string_view name = line.substr(0, colon);
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) {
      return Refuse("malformed header name \"" + std::string(name.substr(0, 64)) + "\"");
    }
    std::string_view value = TrimOws(line.substr(colon + 1));
    if (EqualsCaseless(name, "content-length")) {
      uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
        return Refuse("Content-Length \"" + std::string(value.substr(0, 32)) +
                      "\" is not a decimal byte count");
      }
      if (content_length && *content_length != n)
        return Refuse("conflicting Content-Length headers");
      content_length = n;
    } else if (EqualsCaseless(name, "transfer-encoding")) {
      if (chunked) return Refuse("more than one Transfer-Encoding header");
      if (!EqualsCaseless(value, "chunked")) {
        return Refuse("Transfer-Encoding \"" + std::string(value.substr(0, 32)) +
                      "\" is not supported (only chunked)");
      }
      chunked = true;
    } else if (EqualsCaseless(name, "content-type") &&
               value.starts_with("application/x-www-form-urlencoded")) {
      out.append("X-Form-Content-Type: ").append(value).append("\r\n");
      continue;
    }
    out.append(line).append("\r\n");
  }
  if (chunked && content_length) {
    return Refuse("both Content-Length and Transfer-Encoding (ambiguous body length)");
  }
  const bool reads_body = method == "POST" || method == "PUT" || method == "PATCH" ||
                          method == "DELETE" || method == "PRI";  // as httplib's expect_content
  if (!reads_body && (chunked || content_length.value_or(0) > 0)) {
    return Refuse(std::string(method) + " requests carry no body");
  }
  if (reads_body && !chunked && !content_length) out.append("Content-Length: 0\r\n");
  out.append("\r\n");
  return out;
}

std::string ClosingErrorResponse(int status, std::string_view reason, std::string_view code,
                                 std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

}  // namespace steward::server
