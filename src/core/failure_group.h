// Failure groups: failing jobs grouped by kind and by their error message
// with the parts that differ per occurrence taken out, so "user 4211 not
// found" and "user 977 not found" are one group, not thousands.
//
// Used by the Failures page (server), by the links in notifications
// (watch: an alert about a kind's discards links to its group) and by the
// group actions (retry or discard every job of a group).
#pragma once

#include <string>
#include <string_view>

namespace steward {

// The message with variable parts replaced by placeholders:
//   UUIDs -> "<uuid>", hex strings of 8+ digits (0x-prefixed or not) -> "<hex>",
//   quoted strings ('...' and "...") -> "'<str>'" / "\"<str>\"",
//   e-mail addresses -> "<email>", IPv4 addresses (with port) -> "<ip>",
//   numbers (integers, decimals, with sign) -> "<n>".
// Whitespace runs become one space; the result is trimmed and cut to 300
// bytes on a UTF-8 boundary. Deterministic; never throws.
std::string NormalizeErrorMessage(std::string_view message);

// A stable, URL-safe id for (kind, normalized message): 16 lowercase hex
// digits of SHA-256("kind\n" + normalized). The same on every node and
// across versions that keep NormalizeErrorMessage.
std::string FailureGroupId(std::string_view kind, std::string_view normalized_message);

}  // namespace steward
