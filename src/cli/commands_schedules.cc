// `steward schedules list|show|add|pause|resume|trigger|delete` and
// `steward checks list|show|add|ping`.
#include "cli/commands_schedules.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/catch_up.h"
#include "core/duration.h"
#include "core/log.h"
#include "server/api_schedules.h"
#include "steward/cron.h"

namespace steward::cli {

namespace {

std::string When(const std::optional<Timestamp>& t) { return FormatUtc(t); }

void PrintField(const char* name, const std::string& value) {
  std::printf("  %-22s %s\n", name, value.c_str());
}

void PrintSchedule(const Schedule& s) {
  std::printf("schedule %s\n", s.spec.name.c_str());
  PrintField("cron", s.spec.cron + " (" + s.spec.time_zone + ")");
  PrintField("state", !s.spec.enabled ? "disabled" : s.paused ? "paused" : "active");
  PrintField("source", s.spec.source);
  PrintField("kind", s.spec.kind);
  PrintField("queue", s.spec.queue);
  PrintField("payload", Truncate(s.spec.payload, 2000));
  PrintField("priority", std::to_string(s.spec.priority));
  PrintField("max attempts", std::to_string(s.spec.max_attempts));
  PrintField("catch up", std::string(CatchUpPolicyName(s.spec.catch_up)) +
                             (s.spec.catch_up == CatchUpPolicy::kAll
                                  ? " (at most " + std::to_string(s.spec.max_catch_up) + ")"
                                  : ""));
  PrintField("overlap", std::string(OverlapPolicyName(s.spec.overlap)));
  PrintField("grace", FormatDuration(s.spec.grace));
  PrintField("next fire", When(s.next_fire_at));
  PrintField("last fired", When(s.last_fired_at));
  PrintField("last success", When(s.last_success_at));
  PrintField("last failure", When(s.last_failure_at));
  PrintField("consecutive failures", std::to_string(s.consecutive_failures));
  PrintField("skipped fires", std::to_string(s.skipped_count));
  PrintField("last job", s.last_job_id ? std::to_string(*s.last_job_id) : "-");
  PrintField("created at", When(s.created_at));
  PrintField("updated at", When(s.updated_at));
}

void PrintCheck(const Check& c) {
  std::printf("check %s\n", c.spec.name.c_str());
  PrintField("state", std::string(CheckStateName(c.state)) + (c.started ? " (a run started)" : ""));
  if (c.spec.period) PrintField("period", FormatDuration(*c.spec.period));
  if (!c.spec.cron.empty()) PrintField("cron", c.spec.cron + " (" + c.spec.time_zone + ")");
  PrintField("grace", FormatDuration(c.spec.grace));
  PrintField("source", c.spec.source + (c.spec.schedule ? " " + *c.spec.schedule : ""));
  PrintField("last ping", When(c.last_ping_at) +
                              (c.last_ping_kind.empty() ? "" : " (" + c.last_ping_kind + ")"));
  if (c.last_exit_status) PrintField("last exit status", std::to_string(*c.last_exit_status));
  if (c.started_at) PrintField("run started at", When(c.started_at));
  PrintField("last success", When(c.last_success_at));
  PrintField("pings", std::to_string(c.ping_count));
  if (!c.last_ping_body.empty()) PrintField("last ping body", Truncate(c.last_ping_body, 500));
  PrintField("created at", When(c.created_at));
}

// A schedule that can never fire is refused: it would sit in the list
// looking healthy. Other cron errors are left to the store's validation.
Status CheckFires(const ScheduleSpec& spec, Timestamp now) {
  auto cron = CronSchedule::Parse(spec.cron, spec.time_zone);
  if (!cron.ok() || cron->Next(now).has_value()) return Status::Ok();
  return InvalidArgument("cron \"" + spec.cron + "\" never fires (no fire time in the next ~10 "
                         "years; e.g. February 30 does not exist)");
}

class Commands final : public ScheduleCommands {
 public:
  Commands(CLI::App& app, const GlobalOptions& g) : g_(g) {
    auto* sched = app.add_subcommand("schedules", "Cron schedules: list, show, add, pause, resume, trigger");
    sched->require_subcommand(1);
    s_list_ = sched->add_subcommand("list", "List schedules");
    s_show_ = sched->add_subcommand("show", "Show one schedule");
    s_show_->add_option("name", name_, "Schedule")->required();
    s_add_ = sched->add_subcommand("add", "Create or update a schedule (source cli)");
    s_add_->add_option("name", name_, "Schedule")->required();
    s_add_->add_option("--cron", spec_.cron, "Cron expression, e.g. \"0 3 * * *\" or \"@every 10m\"")->required();
    s_add_->add_option("--kind", spec_.kind, "Job kind")->required();
    s_add_->add_option("--tz", spec_.time_zone, "IANA time zone (default UTC)");
    s_add_->add_option("--payload", spec_.payload, "JSON object payload (default {})");
    s_add_->add_option("-q,--queue", spec_.queue, "Queue (default \"default\")");
    s_add_->add_option("-p,--priority", spec_.priority, "Priority (default 0)");
    s_add_->add_option("--max-attempts", spec_.max_attempts, "Attempts per job (default 20)");
    s_add_->add_option("--catch-up", catch_up_, "skip | latest | all (default latest)");
    s_add_->add_option("--max-catch-up", spec_.max_catch_up, "Cap for --catch-up all (default 100)");
    s_add_->add_option("--overlap", overlap_, "allow | forbid | replace (default allow)");
    s_add_->add_option("--grace", grace_, "Grace of the schedule's check (default 10m)");
    s_pause_ = sched->add_subcommand("pause", "Stop firing (until resume)");
    s_pause_->add_option("name", name_, "Schedule")->required();
    s_resume_ = sched->add_subcommand("resume", "Fire again, from the next fire time");
    s_resume_->add_option("name", name_, "Schedule")->required();
    s_trigger_ = sched->add_subcommand("trigger", "Enqueue one job of the schedule now");
    s_trigger_->add_option("name", name_, "Schedule")->required();
    s_delete_ = sched->add_subcommand("delete", "Delete a schedule and its check (jobs stay)");
    s_delete_->add_option("name", name_, "Schedule")->required();

    auto* checks = app.add_subcommand("checks", "Dead-man's switches: list, show, add, ping");
    checks->require_subcommand(1);
    c_list_ = checks->add_subcommand("list", "List checks and their states");
    c_show_ = checks->add_subcommand("show", "Show one check");
    c_show_->add_option("name", name_, "Check")->required();
    c_add_ = checks->add_subcommand("add", "Create or update a check (source cli)");
    c_add_->add_option("name", name_, "Check")->required();
    c_add_->add_option("--period", period_, "Expected ping interval, e.g. 1h");
    c_add_->add_option("--cron", check_.cron, "Expected ping times (instead of --period)");
    c_add_->add_option("--tz", check_.time_zone, "IANA time zone for --cron (default UTC)");
    c_add_->add_option("--grace", grace_, "Late for this long before down (default 1h)");
    c_ping_ = checks->add_subcommand("ping", "Ping a check (success unless told otherwise)");
    c_ping_->add_option("name", name_, "Check")->required();
    auto* fail = c_ping_->add_flag("--fail", fail_, "The run failed");
    auto* start = c_ping_->add_flag("--start", start_, "A run started");
    auto* exit = c_ping_->add_option("--exit-status", exit_status_, "0 = success, 1-255 = fail");
    fail->excludes(start)->excludes(exit);
    start->excludes(exit);
    c_ping_->add_option("--rid", rid_, "Run id pairing a start with its end");
    c_ping_->add_option("--body", body_, "Text kept with the ping (at most 10 KiB)");
  }

  int Run() override {
    if (*s_list_) return ListSchedules();
    if (*s_show_) return ShowSchedule();
    if (*s_add_) return AddSchedule();
    if (*s_pause_) return Simple("schedules pause", [&](Store& s) {
      return s.ScheduleSetPaused(name_, true, SystemClock().Now());
    }, "paused");
    if (*s_resume_) return Simple("schedules resume", [&](Store& s) {
      return s.ScheduleSetPaused(name_, false, SystemClock().Now());
    }, "resumed");
    if (*s_delete_) return Simple("schedules delete", [&](Store& s) {
      return s.ScheduleDelete(name_);
    }, "deleted");
    if (*s_trigger_) return Trigger();
    if (*c_list_) return ListChecks();
    if (*c_show_) return ShowCheck();
    if (*c_add_) return AddCheck();
    if (*c_ping_) return PingCheck();
    return -1;
  }

 private:
  template <typename F>
  int Simple(std::string_view what, F fn, const char* done) {
    return WithStore(g_, what, [&](Store& store, std::string_view w) {
      if (Status st = fn(store); !st.ok()) return Fail(st, w);
      std::printf("schedule %s %s\n", name_.c_str(), done);
      return 0;
    });
  }

  int ListSchedules() {
    return WithStore(g_, "schedules list", [&](Store& store, std::string_view what) {
      auto all = store.ScheduleList();
      if (!all.ok()) return Fail(all.status(), what);
      if (g_.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : *all) out.push_back(server::ScheduleToJson(s));
        std::printf("%s\n", out.dump().c_str());
        return 0;
      }
      std::printf("%-24s %-20s %-16s %-20s %-8s %-23s %s\n", "NAME", "CRON", "TZ", "KIND", "STATE",
                  "NEXT FIRE", "LAST SUCCESS");
      for (const auto& s : *all) {
        const char* state = !s.spec.enabled ? "disabled" : s.paused ? "paused" : "active";
        std::printf("%-24s %-20s %-16s %-20s %-8s %-23s %s\n", s.spec.name.c_str(),
                    s.spec.cron.c_str(), s.spec.time_zone.c_str(), s.spec.kind.c_str(), state,
                    When(s.next_fire_at).c_str(), When(s.last_success_at).c_str());
      }
      return 0;
    });
  }

  int ShowSchedule() {
    return WithStore(g_, "schedules show", [&](Store& store, std::string_view what) {
      auto s = store.ScheduleGet(name_);
      if (!s.ok()) return Fail(s.status(), what);
      if (g_.json) {
        std::printf("%s\n", server::ScheduleToJson(*s).dump().c_str());
      } else {
        PrintSchedule(*s);
      }
      return 0;
    });
  }

  int AddSchedule() {
    ScheduleSpec spec = spec_;
    spec.name = name_;
    spec.source = "cli";
    if (!catch_up_.empty()) {
      auto p = ParseCatchUpPolicy(catch_up_);
      if (!p.ok()) return Fail(p.status(), "schedules add --catch-up");
      spec.catch_up = *p;
    }
    if (!overlap_.empty()) {
      auto p = ParseOverlapPolicy(overlap_);
      if (!p.ok()) return Fail(p.status(), "schedules add --overlap");
      spec.overlap = *p;
    }
    if (!grace_.empty()) {
      auto d = ParseDuration(grace_);
      if (!d.ok()) return Fail(d.status(), "schedules add --grace");
      spec.grace = *d;
    }
    const Timestamp now = SystemClock().Now();
    if (Status st = CheckFires(spec, now); !st.ok()) return Fail(st, "schedules add --cron");
    return WithStore(g_, "schedules add", [&](Store& store, std::string_view what, const Config& config) {
      auto s = store.ScheduleUpsert(spec, now);
      if (!s.ok()) return Fail(s.status(), what);
      const std::optional<std::string> warning = NoHandlerWarning(config, spec.kind);
      if (g_.json) {
        nlohmann::json out = server::ScheduleToJson(*s);
        if (warning) out["warning"] = *warning;
        std::printf("%s\n", out.dump().c_str());
      } else {
        PrintWarning(warning, what);
        std::printf("schedule %s saved; next fire %s\n", name_.c_str(), When(s->next_fire_at).c_str());
      }
      return 0;
    });
  }

  int Trigger() {
    return WithStore(g_, "schedules trigger", [&](Store& store, std::string_view what) {
      auto id = store.ScheduleTrigger(name_, SystemClock().Now());
      if (!id.ok()) return Fail(id.status(), what);
      if (g_.json) {
        std::printf("%s\n", nlohmann::json({{"schedule", name_}, {"job_id", *id}}).dump().c_str());
      } else {
        std::printf("schedule %s triggered: job %lld\n", name_.c_str(), static_cast<long long>(*id));
      }
      return 0;
    });
  }

  int ListChecks() {
    return WithStore(g_, "checks list", [&](Store& store, std::string_view what) {
      auto all = store.CheckList();
      if (!all.ok()) return Fail(all.status(), what);
      if (g_.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& c : *all) out.push_back(server::CheckToJson(c));
        std::printf("%s\n", out.dump().c_str());
        return 0;
      }
      std::printf("%-24s %-8s %-9s %-23s %s\n", "NAME", "STATE", "SOURCE", "LAST PING", "LAST KIND");
      for (const auto& c : *all) {
        std::printf("%-24s %-8s %-9s %-23s %s\n", c.spec.name.c_str(),
                    std::string(CheckStateName(c.state)).c_str(), c.spec.source.c_str(),
                    When(c.last_ping_at).c_str(), c.last_ping_kind.c_str());
      }
      return 0;
    });
  }

  int ShowCheck() {
    return WithStore(g_, "checks show", [&](Store& store, std::string_view what) {
      auto c = store.CheckGet(name_);
      if (!c.ok()) return Fail(c.status(), what);
      if (g_.json) {
        std::printf("%s\n", server::CheckToJson(*c).dump().c_str());
      } else {
        PrintCheck(*c);
      }
      return 0;
    });
  }

  int AddCheck() {
    CheckSpec spec = check_;
    spec.name = name_;
    spec.source = "cli";
    if (!period_.empty()) {
      auto d = ParseDuration(period_);
      if (!d.ok()) return Fail(d.status(), "checks add --period");
      spec.period = *d;
    }
    if (!grace_.empty()) {
      auto d = ParseDuration(grace_);
      if (!d.ok()) return Fail(d.status(), "checks add --grace");
      spec.grace = *d;
    }
    return WithStore(g_, "checks add", [&](Store& store, std::string_view what) {
      auto c = store.CheckUpsert(spec, SystemClock().Now());
      if (!c.ok()) return Fail(c.status(), what);
      std::printf("check %s saved (%s)\n", name_.c_str(), std::string(CheckStateName(c->state)).c_str());
      return 0;
    });
  }

  int PingCheck() {
    CheckPingParams p;
    p.name = name_;
    p.kind = fail_ ? PingKind::kFail : start_ ? PingKind::kStart : PingKind::kSuccess;
    if (exit_status_ >= 0) p.exit_status = exit_status_;
    if (!rid_.empty()) p.rid = rid_;
    p.body = body_;
    p.at = SystemClock().Now();
    return WithStore(g_, "checks ping", [&](Store& store, std::string_view what) {
      auto c = store.CheckPing(p);
      if (!c.ok()) return Fail(c.status(), what);
      std::printf("check %s is %s\n", name_.c_str(), std::string(CheckStateName(c->state)).c_str());
      return 0;
    });
  }

  const GlobalOptions& g_;
  std::string name_, catch_up_, overlap_, grace_, period_, rid_, body_;
  ScheduleSpec spec_;
  CheckSpec check_;
  bool fail_ = false, start_ = false;
  int exit_status_ = -1;
  CLI::App *s_list_, *s_show_, *s_add_, *s_pause_, *s_resume_, *s_trigger_, *s_delete_;
  CLI::App *c_list_, *c_show_, *c_add_, *c_ping_;
};

}  // namespace

std::unique_ptr<ScheduleCommands> AddScheduleCommands(CLI::App& app, const GlobalOptions& g) {
  return std::make_unique<Commands>(app, g);
}

}  // namespace steward::cli
