// Request framing checks, done on the buffered request head before httplib
// sees it (request_gate.cc calls them).
//
// httplib 0.11 frames requests leniently: it ignores a header line without a
// colon, uses the first of two conflicting Content-Length headers, reads
// "-1" as 2^64-1 (413), and reads a POST without Content-Length or
// Transfer-Encoding until the client closes (the read timeout, then 400).
// Lenient framing is how requests are smuggled past a proxy that frames them
// differently, so heads that RFC 9112 calls invalid are refused here with
// 400, and the valid-but-mishandled ones are rewritten into a form httplib
// frames the same way the RFC does.
#pragma once

#include <string>
#include <string_view>

#include "steward/status.h"

namespace steward::server {

// Where the head of the request at the start of `data` ends: the offset just
// past its blank line ("\r\n\r\n" or "\n\n"), or npos when it has not
// arrived yet.
size_t RequestHeadEnd(std::string_view data);

// Checks the head (request line and header lines, up to and including the
// blank line) and returns it rewritten for httplib:
//  - refused (InvalidArgument, answered 400): a header line without a colon
//    or with whitespace before it, an obsolete folded line, a Content-Length
//    that is not a decimal number or that conflicts with another one,
//    Content-Length together with Transfer-Encoding, a Transfer-Encoding
//    other than "chunked", a body on GET/HEAD/OPTIONS (httplib would read it
//    as the next request);
//  - "Content-Length: 0" added to a POST/PUT/PATCH/DELETE that has neither
//    header: its body is empty (RFC 9112 6.3), served at once;
//  - a Content-Type of application/x-www-form-urlencoded is renamed to
//    X-Form-Content-Type: the API reads bodies as bytes whatever their type
//    (`curl -d` sends this type: ping logs, JSON without -H), and httplib
//    would otherwise parse such a body as a form and refuse one over 8 KB
//    with a misleading 413.
Result<std::string> NormalizeRequestHead(std::string_view head);

// A complete HTTP/1.1 response with a JSON error body
// {"error":{"code":...,"message":...}} that closes the connection, for
// answers written before httplib is involved.
std::string ClosingErrorResponse(int status, std::string_view reason, std::string_view code,
                                 std::string_view message);

}  // namespace steward::server
