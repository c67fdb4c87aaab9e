#include "cli/commands_cron.h"

#include <date/date.h>
#include <fmt/format.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/cron_zone.h"
#include "core/time_parse.h"
#include "steward/cron.h"

namespace steward::cli {

namespace {

// "2026-03-29T03:00:00+02:00 CEST": the wall time in `zone` with its offset.
std::string LocalIso(const CronZone& zone, Timestamp t) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  if (zone.is_utc()) return date::format("%FT%T", secs) + "+00:00 UTC";
  const date::sys_info info = zone.SysInfo(secs);
  const auto offset = std::chrono::duration_cast<std::chrono::minutes>(info.offset).count();
  const long long magnitude = offset < 0 ? -offset : offset;
  return fmt::format("{}{}{:02}:{:02} {}", date::format("%FT%T", secs + info.offset),
                     offset < 0 ? '-' : '+', magnitude / 60, magnitude % 60, info.abbrev);
}

// RFC 3339 in UTC, with a fraction only when the instant has one.
std::string Utc(Timestamp t) {
  if (t.time_since_epoch() % std::chrono::seconds(1) == Micros(0)) {
    return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
  }
  return FormatTimestamp(t);
}

}  // namespace

CLI::App* AddCronCommands(CLI::App& app, CronNextOptions& o) {
  auto* cron = app.add_subcommand("cron", "Preview cron expressions");
  cron->require_subcommand(1);
  auto* next = cron->add_subcommand("next", "Print the next fire times of an expression");
  next->add_option("expr", o.expr, "Cron expression, e.g. \"0 9 * * MON-FRI\" or \"@every 10m\"")
      ->required();
  next->add_option("--tz", o.tz, "IANA time zone (default UTC)");
  next->add_option("--from", o.from, "Start after this RFC 3339 instant (default now)");
  next->add_option("-n,--count", o.count, "How many fire times (default 5, at most 1000)");
  return next;
}

int RunCronNext(const GlobalOptions& g, const CronNextOptions& o, Clock& clock) {
  if (o.count < 1 || o.count > 1000) {
    return Fail(InvalidArgument("--count must be in 1..1000, got " + std::to_string(o.count)),
                "cron next");
  }
  Timestamp from = clock.Now();
  if (!o.from.empty()) {
    auto t = ParseTimestamp(o.from);
    if (!t.ok()) return Fail(t.status(), "cron next --from");
    from = *t;
  }
  auto schedule = CronSchedule::Parse(o.expr, o.tz);
  if (!schedule.ok()) return Fail(schedule.status(), "cron next \"" + o.expr + "\"");
  auto zone = CronZone::Locate(schedule->time_zone());
  if (!zone.ok()) return Fail(zone.status(), "cron next --tz");

  std::vector<Timestamp> fires;
  std::optional<Timestamp> t = schedule->Next(from);
  while (t && static_cast<int>(fires.size()) < o.count) {
    fires.push_back(*t);
    t = schedule->Next(*t);
  }
  if (g.json) {
    nlohmann::json out = nlohmann::json::array();
    for (Timestamp f : fires) {
      out.push_back({{"at", Utc(f)}, {"local", LocalIso(*zone, f)}});
    }
    std::printf("%s\n", out.dump().c_str());
  } else {
    for (Timestamp f : fires) {
      std::printf("%-27s %s\n", Utc(f).c_str(), LocalIso(*zone, f).c_str());
    }
  }
  if (fires.empty()) {
    return Fail(FailedPrecondition(fmt::format("\"{}\" never fires after {} (checked ~10 years "
                                               "ahead; e.g. February 30 does not exist)",
                                               o.expr, FormatTimestamp(from))),
                "cron next");
  }
  if (static_cast<int>(fires.size()) < o.count) {
    std::fprintf(stderr, "steward: cron next: no fire time after %s\n",
                 FormatTimestamp(fires.back()).c_str());
  }
  return 0;
}

}  // namespace steward::cli
