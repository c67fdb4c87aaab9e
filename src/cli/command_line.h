// Checks on the command line that CLI11 reports poorly: an unknown
// subcommand ("steward frobnicate") would otherwise only say "A subcommand
// is required", and a job id would say "Could not convert".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "steward/status.h"

namespace steward::cli {

// Walks `args` (without the program name) down `app`'s subcommands.
// kInvalidArgument naming the first word that is not a subcommand where one
// is expected, with the valid ones and the nearest as a suggestion:
//   unknown command "jobs lsit"; did you mean list? (commands of jobs: list, show, ...)
Status CheckSubcommands(const CLI::App& app, const std::vector<std::string>& args);

// A job id as typed: a decimal integer in 1..INT64_MAX, nothing else (a
// larger number is refused, not clamped).
//   job id must be a positive integer, got 'abc'
Result<int64_t> ParseJobId(const std::string& text);

}  // namespace steward::cli
