// `steward schedules ...` and `steward checks ...`: talk to the database
// directly, like the job commands (no daemon needed).
#pragma once

#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace steward::cli {

// The subcommands' options and handles, created by AddScheduleCommands.
class ScheduleCommands {
 public:
  virtual ~ScheduleCommands() = default;
  // Runs the chosen schedules/checks subcommand and returns its exit status,
  // or -1 if none of them was chosen.
  virtual int Run() = 0;
};

// Adds `schedules` and `checks` to `app`. `g` must outlive the result.
std::unique_ptr<ScheduleCommands> AddScheduleCommands(CLI::App& app, const GlobalOptions& g);

}  // namespace steward::cli
