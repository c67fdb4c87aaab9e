// `steward cron next "<expr>" [--tz ZONE] [--from INSTANT] [--count N]`:
// previews a cron expression before it is deployed (no database needed).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace steward::cli {

struct CronNextOptions {
  std::string expr;
  std::string tz = "UTC";
  std::string from;  // RFC 3339; "" = now
  int count = 5;
};

// Adds `cron next` to `app`; returns the `next` subcommand (true when chosen).
CLI::App* AddCronCommands(CLI::App& app, CronNextOptions& o);
// Prints one fire time per line: the UTC instant, then the same instant as
// local ISO 8601 with its offset and zone abbreviation. Exit 2 on a bad
// expression, zone or option; 1 when the expression never fires.
int RunCronNext(const GlobalOptions& g, const CronNextOptions& o, Clock& clock);

}  // namespace steward::cli
