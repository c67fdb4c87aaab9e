// steward: the daemon and its command-line tools.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/commands_cron.h"
// --- doctor (alerts issue) ---
#include "cli/commands_doctor.h"
// --- end doctor ---
#include "cli/commands_schedules.h"

#ifndef STEWARD_VERSION
#define STEWARD_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  using namespace steward::cli;
  CLI::App app{"Steward: durable jobs, schedules and alerts you can leave alone."};
  app.require_subcommand(1);
  // Global options also after the subcommand: `steward doctor --json`.
  // Set before any subcommand is added: subcommands inherit it.
  app.fallthrough();
  app.set_version_flag("--version", std::string("steward ") + STEWARD_VERSION);
  GlobalOptions g;
  app.add_option("--config", g.config_path, "TOML config file (default: $STEWARD_CONFIG or ./steward.toml if present)");
  app.add_option("--db", g.db, "Database path or URL: ./steward.db, sqlite:///abs.db, postgres://...");
  app.add_flag("--json", g.json, "Machine-readable JSON output");

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the worker daemon (and HTTP endpoints)");
  serve_cmd->add_option("--listen", serve.listen, "HTTP listen address HOST:PORT (default 127.0.0.1:8080)");
  serve_cmd->add_flag("--demo", serve.demo, "Enqueue a few demo jobs and handle them");

  EnqueueOptions enq;
  auto* enq_cmd = app.add_subcommand("enqueue", "Add a job");
  enq_cmd->add_option("kind", enq.kind, "Job kind")->required();
  enq_cmd->add_option("payload", enq.payload, "JSON payload (default {})");
  enq_cmd->add_option("-q,--queue", enq.queue, "Queue (default \"default\")");
  enq_cmd->add_option("-p,--priority", enq.priority, "Priority, lower runs first (default 0)");
  enq_cmd->add_option("--max-attempts", enq.max_attempts, "Attempts before discarding (default 20)");
  enq_cmd->add_option("--unique-key", enq.unique_key, "At most one unfinished job per key");
  enq_cmd->add_option("--run-at", enq.run_at, "Not before this RFC 3339 time");
  enq_cmd->add_option("--in", enq.in, "Not before this long from now (e.g. 10m, 1h30m)");

  auto* jobs_cmd = app.add_subcommand("jobs", "List, show, retry or cancel jobs");
  jobs_cmd->require_subcommand(1);
  JobsListOptions list;
  auto* list_cmd = jobs_cmd->add_subcommand("list", "List jobs, newest first");
  list_cmd->add_option("-q,--queue", list.queue, "Only this queue");
  list_cmd->add_option("-s,--state", list.state, "Only this state (scheduled, available, running, retryable, completed, discarded, cancelled)");
  list_cmd->add_option("-k,--kind", list.kind, "Only this kind");
  list_cmd->add_option("-n,--limit", list.limit, "At most this many (default 50)");
  list_cmd->add_option("--before", list.before, "Cursor: jobs with id below this");
  // Ids are read as text so a bad one gets a clear error (ParseJobId).
  std::string job_id;
  auto* show_cmd = jobs_cmd->add_subcommand("show", "Show a job with its errors");
  show_cmd->add_option("id", job_id, "Job id")->required();
  JobsRetryOptions retry;
  auto* retry_cmd = jobs_cmd->add_subcommand(
      "retry", "Run a job now: a pending or retryable one at once, a discarded or cancelled one again");
  retry_cmd->add_option("id", job_id, "Job id")->required();
  retry_cmd->add_flag("--force", retry.force, "Also run a completed job again");
  auto* cancel_cmd = jobs_cmd->add_subcommand("cancel", "Cancel a pending or running job");
  cancel_cmd->add_option("id", job_id, "Job id")->required();

  auto* queues_cmd = app.add_subcommand("queues", "Queue statistics; pause or resume a queue");
  std::string queue_name;
  auto* pause_cmd = queues_cmd->add_subcommand("pause", "Stop claiming from a queue (jobs stay)");
  pause_cmd->add_option("queue", queue_name, "Queue")->required();
  auto* resume_cmd = queues_cmd->add_subcommand("resume", "Resume a paused queue");
  resume_cmd->add_option("queue", queue_name, "Queue")->required();

  auto* migrate_cmd = app.add_subcommand("migrate", "Apply database migrations");
  auto* version_cmd = app.add_subcommand("version", "Print the version");

  // --- schedules and checks (commands_schedules.cc) ---
  auto schedule_cmds = AddScheduleCommands(app, g);
  // --- end schedules and checks ---

  CronNextOptions cron_next;
  auto* cron_next_cmd = AddCronCommands(app, cron_next);

  // --- doctor (alerts issue) ---
  DoctorOptions doctor;
  auto* doctor_cmd = app.add_subcommand("doctor", "Check config, database and notification channels");
  doctor_cmd->add_flag("--send-test", doctor.send_test, "Send a test notification to each channel");
  // --- end doctor ---

  if (steward::Status st = CheckSubcommands(app, std::vector<std::string>(argv + 1, argv + argc)); !st.ok()) {
    std::fprintf(stderr, "steward: %s\nRun 'steward --help' for usage.\n", st.message().c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // An option given empty (`--in ''`) is an error, not "not given".
  enq.in_given = enq_cmd->count("--in") > 0;
  enq.run_at_given = enq_cmd->count("--run-at") > 0;

  if (*serve_cmd) return RunServe(g, serve);
  // --- schedules and checks ---
  if (int rc = schedule_cmds->Run(); rc >= 0) return rc;
  // --- end schedules and checks ---
  if (*enq_cmd) return RunEnqueue(g, enq);
  if (*list_cmd) return RunJobsList(g, list);
  if (*show_cmd || *retry_cmd || *cancel_cmd) {
    const char* what = *show_cmd ? "jobs show" : *retry_cmd ? "jobs retry" : "jobs cancel";
    auto parsed = ParseJobId(job_id);
    if (!parsed.ok()) return Fail(parsed.status(), what);
    if (*show_cmd) return RunJobsShow(g, *parsed);
    if (*retry_cmd) return RunJobsRetry(g, *parsed, retry);
    return RunJobsCancel(g, *parsed);
  }
  if (*cron_next_cmd) return RunCronNext(g, cron_next, steward::SystemClock());
  if (*pause_cmd) return RunQueuePause(g, queue_name, true);
  if (*resume_cmd) return RunQueuePause(g, queue_name, false);
  if (*queues_cmd) return RunQueues(g);
  if (*migrate_cmd) return RunMigrate(g);
  if (*doctor_cmd) return RunDoctor(g, doctor);  // doctor (alerts issue)
  if (*version_cmd) {
    std::printf("steward %s\n", STEWARD_VERSION);
    return 0;
  }
  return 2;
}
