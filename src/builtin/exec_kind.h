// The "exec" job kind: runs a configured command for each job, so handlers
// can be written in any language.
//
//   ExecKindConfig cfg;
//   cfg.command = {"/usr/local/bin/resize-image", "--quality", "80"};
//   STEWARD_RETURN_IF_ERROR(ValidateExecKindConfig(cfg));
//   worker->Handle("resize", MakeExecHandler(cfg), {.timeout = std::chrono::minutes(5)});
//
// Contract with the command (documented for users in docs/):
//   - argv is exactly `command` (never a shell, nothing from the payload);
//     command[0] is an absolute/relative path or a name looked up in PATH.
//   - stdin: the job payload as JSON text (no trailing newline), then EOF.
//   - environment: the daemon's environment minus every STEWARD_* variable
//     (those carry the daemon's own configuration and secrets), plus
//     STEWARD_JOB_ID, STEWARD_ATTEMPT, STEWARD_MAX_ATTEMPTS, STEWARD_KIND,
//     STEWARD_QUEUE, STEWARD_IDEMPOTENCY_KEY, plus `env` (which wins).
//   - working directory: `workdir`, or the daemon's when empty.
//   - exit 0: success. Exit 75 (EX_TEMPFAIL): retry with the kind's backoff.
//     Any other exit or a signal: a failed attempt (retried until attempts
//     are exhausted). The last `output_tail_bytes` of stdout and stderr are
//     kept in the attempt's error detail.
//   - the command runs in its own process group. When the job is cancelled
//     or its timeout passes, the group gets SIGTERM, then SIGKILL 2 s later.
//     When the command exits, anything left in its group is SIGKILLed, so a
//     job never leaves processes behind. If the daemon dies (even kill -9),
//     the command gets SIGKILL (PR_SET_PDEATHSIG).
//
// Thread safety: the returned Handler may be called concurrently. It blocks
// the calling executor thread until the command has exited and been reaped.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "steward/status.h"
#include "steward/worker.h"

namespace steward {

struct ExecKindConfig {
  std::vector<std::string> command{};          // argv; command[0] required
  std::map<std::string, std::string> env{};    // added to the child environment
  std::string workdir{};                       // empty: inherit
  size_t output_tail_bytes = 4096;             // per stream, 1..16 MiB
};

// kInvalidArgument naming the field: empty command, NUL bytes, an env name
// that is empty, contains '=' or is one of the STEWARD_* variables set per
// job, a workdir that is not an existing directory, a tail size out of range.
Status ValidateExecKindConfig(const ExecKindConfig& config);

// The config is copied into the handler. Call ValidateExecKindConfig first;
// an invalid config makes every attempt fail with the validation message.
Handler MakeExecHandler(ExecKindConfig config);

namespace builtin_internal {

// Appends `data` to `*tail`, keeping at most `max` bytes (the newest).
void AppendTail(std::string* tail, std::string_view data, size_t max);

// `bytes` made safe to store as text and embed in JSON: a UTF-8 sequence cut
// by tail truncation is dropped at the front and other invalid bytes become
// U+FFFD, because the error detail is served through the JSON API.
std::string ToValidUtf8(std::string_view bytes);

}  // namespace builtin_internal
}  // namespace steward
