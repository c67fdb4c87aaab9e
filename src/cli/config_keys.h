// Unknown-key checks shared by every section of steward.toml: a typo is an
// error that names the key with its section and suggests the nearest valid
// key, never a silent fallback to a default. NearestKey also suggests
// subcommands on the command line.
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "steward/status.h"

namespace steward::cli {

// The candidate closest to `word` by edit distance (adjacent swaps count
// as one edit), or "" when none is close enough to be a likely typo.
std::string NearestKey(std::string_view word, std::span<const std::string_view> candidates);

// "unknown key PATH; did you mean X?" or, with no close candidate,
// "unknown key PATH (expected one of: a, b, c)". `section` is the dotted
// path of the table ("" at the top level).
Status UnknownKey(std::string_view section, std::string_view key,
                  std::initializer_list<std::string_view> allowed);

// kInvalidArgument (UnknownKey) for the first key of `table` not in `allowed`.
Status CheckKeys(const toml::table& table, std::string_view section,
                 std::initializer_list<std::string_view> allowed);

}  // namespace steward::cli
