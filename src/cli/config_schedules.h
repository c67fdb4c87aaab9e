// [schedules.NAME] and [checks.NAME] sections of steward.toml, parsed from
// Config::toml_text and applied when `steward serve` starts.
//
//   [schedules.nightly-report]
//   cron = "0 3 * * *"            # see include/steward/cron.h
//   timezone = "Europe/Berlin"     # IANA name, default "UTC"
//   kind = "report.build"          # required
//   queue = "default"
//   payload = { format = "pdf" }   # inline table, or a JSON object as a string
//   priority = 0
//   max_attempts = 20
//   catch_up = "latest"            # skip | latest | all
//   max_catch_up = 100             # cap for catch_up = "all"
//   overlap = "allow"              # allow | forbid | replace
//   enabled = true
//   grace = "10m"                  # the schedule's check: late -> down
//
//   [checks.backup]
//   period = "1d"                  # or: cron = "0 2 * * *" (+ timezone)
//   grace = "1h"
//
// Applying is declarative: schedules and checks in the file are created or
// updated; config-made ones no longer in the file are disabled (schedules)
// or paused (checks). Ones added with the CLI or API are never touched.
#pragma once

#include <string_view>
#include <vector>

#include "steward/status.h"
#include "store/store.h"

namespace steward {

struct ScheduleConfig {
  std::vector<ScheduleSpec> schedules;  // source "config"
  std::vector<CheckSpec> checks;        // source "config"
};

// Parses the sections (other sections are ignored). Errors are
// kInvalidArgument naming the key: "schedules.nightly.overlap: ...".
Result<ScheduleConfig> ParseScheduleConfig(std::string_view toml_text,
                                           std::string_view origin = "steward.toml");

// Upserts everything in `config` and disables what config no longer has.
Status ApplyScheduleConfig(Store& store, const ScheduleConfig& config, Timestamp now);

}  // namespace steward
