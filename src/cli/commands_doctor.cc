// `steward doctor`: one line per check, so a person (or a deploy script)
// sees at once what is wrong. Secrets never appear: targets are printed
// with notify::SafeTarget and database URLs with log::RedactUrl.
#include "cli/commands_doctor.h"

#include <cstdio>

#include "cli/config_alerts.h"
#include "core/log.h"

namespace steward::cli {

namespace {

class Report {
 public:
  explicit Report(bool json) : json_(json) {}
  void Item(bool ok, const std::string& what, const std::string& detail) {
    failed_ = failed_ || !ok;
    if (json_) {
      items_.push_back({{"check", what}, {"ok", ok}, {"detail", detail}});
    } else {
      std::printf("%s  %-24s %s\n", ok ? "PASS" : "FAIL", what.c_str(), detail.c_str());
    }
  }
  int Finish() {
    if (json_) std::printf("%s\n", nlohmann::json({{"ok", !failed_}, {"checks", items_}}).dump(2).c_str());
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
  auto store = OpenStore(config->database);
  if (!store.ok()) {
    report.Item(false, "database", db + ": " + store.status().ToString());
  } else {
    report.Item(true, "database", db + " (" + (*store)->Capabilities().backend + ")");
    Status ping = (*store)->Ping();
    report.Item(ping.ok(), "database ping", ping.ok() ? "ok" : ping.ToString());
    auto v = (*store)->SchemaVersion();
    if (!v.ok()) {
      report.Item(false, "database migrations", v.status().ToString());
    } else if (v->first < v->second) {
      report.Item(false, "database migrations",
                  "at version " + std::to_string(v->first) + " of " + std::to_string(v->second) +
                      ": run `steward migrate`");
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
  auto senders = MakeSenders(*alerts, config->worker.worker_id.empty() ? "doctor" : config->worker.worker_id);
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
