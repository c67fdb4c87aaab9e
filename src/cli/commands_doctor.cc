// `steward doctor`: one line per check, so a person (or a deploy script)
// sees at once what is wrong. Secrets never appear: targets are printed
// with notify::SafeTarget and database URLs with log::RedactUrl.
#include "cli/commands_doctor.h"

#include <cstdio>
#include <filesystem>

#include "cli/config_alerts.h"
#include "core/log.h"

namespace steward::cli {

namespace {

class Report {
 public:
  explicit Report(bool json) : json_(json) {}
  void Item(bool ok, const std::string& what, const std::string& detail) {
    Line(ok ? "PASS" : "FAIL", what, detail);
  }
  // Not a failure, but worth knowing (e.g. `serve` will migrate this).
  void Warn(const std::string& what, const std::string& detail) { Line("WARN", what, detail); }
  void Line(std::string_view result, const std::string& what, const std::string& detail) {
    failed_ = failed_ || result == "FAIL";
    if (json_) {
      items_.push_back({{"check", what},
                        {"ok", result != "FAIL"},
                        {"result", result == "PASS"   ? "pass"
                                   : result == "WARN" ? "warn"
                                                      : "fail"},
                        {"detail", detail}});
    } else {
      std::printf("%.*s  %-24s %s\n", static_cast<int>(result.size()), result.data(), what.c_str(),
                  detail.c_str());
    }
  }
  int Finish() {
    if (json_)
      std::printf("%s\n", nlohmann::json({{"ok", !failed_}, {"checks", items_}}).dump(2).c_str());
    return failed_ ? 1 : 0;
  }

 private:
  bool json_;
  bool failed_ = false;
  nlohmann::json items_ = nlohmann::json::array();
};

}  // namespace

int RunDoctor(const GlobalOptions& g, const DoctorOptions& o) {
  Report report(g.json);
  auto config = ResolveConfig(g);
  if (!config.ok()) {
    report.Item(false, "config", config.status().ToString());
    return report.Finish();
  }
  report.Item(true, "config", config->source.empty() ? "defaults (no file)" : config->source);

  // Database: open, ping, migrations.
  const std::string db = log::RedactUrl(config->database);
  // Opening a SQLite file that is not there would create it: say so instead.
  if (std::optional<std::string> file = SqliteFile(config->database);
      file && !file->empty() && !std::filesystem::exists(*file)) {
    report.Warn("database", db + " does not exist yet (chosen by " + config->database_from +
                                "); `steward serve` or `steward migrate` creates it");
  } else if (auto store = OpenStore(config->database); !store.ok()) {
    report.Item(false, "database", db + ": " + store.status().ToString());
  } else {
    report.Item(true, "database", db + " (" + (*store)->Capabilities().backend + ")");
    Status ping = (*store)->Ping();
    report.Item(ping.ok(), "database ping", ping.ok() ? "ok" : ping.ToString());
    auto v = (*store)->SchemaVersion();
    if (!v.ok()) {
      report.Item(false, "database migrations", v.status().ToString());
    } else if (v->first < v->second) {
      // `serve` migrates on start, so this is not a failure.
      report.Warn(
          "database migrations",
          "at version " + std::to_string(v->first) + " of " + std::to_string(v->second) +
              ": will be migrated by `steward serve` when it starts (or run `steward migrate`)");
    } else {
      report.Item(true, "database migrations", "at version " + std::to_string(v->first));
    }
  }

  // Alerts and channels.
  auto alerts = ParseAlertsConfig(*config);
  if (!alerts.ok()) {
    report.Item(false, "alerts config", alerts.status().ToString());
    return report.Finish();
  }
  report.Item(true, "alerts config",
              std::string(alerts->enabled ? "enabled" : "disabled") + ", " +
                  std::to_string(alerts->channels().size()) + " channel(s)");
  auto senders =
      MakeSenders(*alerts, config->worker.worker_id.empty() ? "doctor" : config->worker.worker_id);
  if (!senders.ok()) {
    report.Item(false, "channels", senders.status().ToString());
    return report.Finish();
  }
  if (senders->empty()) report.Item(true, "channels", "none configured (alerts are only recorded)");
  for (auto& [name, sender] : *senders) {
    report.Item(true, "channel " + name, sender->describe());
    if (!o.send_test) continue;
    notify::Notification n;
    n.channel = name;
    n.event = "test";
    n.rule = "test";
    n.fingerprint = "steward-doctor-test";
    n.severity = "info";
    n.summary = "Test notification from steward doctor";
    n.detail = "If you read this, the " + name + " channel works.";
    n.first_seen = n.last_seen = SystemClock().Now();
    notify::DeliveryResult r = sender->Deliver(n);
    report.Item(r.ok, "send-test " + name, r.message);
  }
  return report.Finish();
}

}  // namespace steward::cli
