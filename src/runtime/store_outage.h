// StoreOutageLog: one log line when the database becomes unavailable and one
// when it is back, instead of one per failed call of every loop.
//
// During an outage every loop of every queue fails its store calls (claims,
// heartbeats, completions, rescues, the scheduler, the metrics collector),
// each retrying with its own backoff; a line per failure would bury the one
// fact that matters. So connectivity failures (kUnavailable) go through this
// process-wide gate:
//
//   if (StoreOutageLog::Failed("heartbeat", st)) log::Warn("lease extension failed", ...);
//   else log::Debug("lease extension failed", ...);
//   ...
//   StoreOutageLog::Succeeded();   // after any successful call
//
// The first connectivity failure logs "database unavailable; every loop
// retries with backoff" (warn); the first success after 2 s without a failure
// logs "database available again" (info) with the outage's length and the
// number of failed calls (the quiet period keeps a call that straddled the
// start of the outage from splitting it in two). Other errors (a constraint, a bad
// argument) are not an outage: Failed() returns true and the caller logs them
// as before. Thread-safe; Succeeded() is one atomic load when all is well.
#pragma once

#include <string_view>

#include "steward/status.h"

namespace steward::StoreOutageLog {

// Records a failed store call. Returns true when the caller should log the
// failure itself at warn level (it is not a connectivity failure).
bool Failed(std::string_view where, const Status& status);
// Records a successful store call; ends an outage if one was open.
void Succeeded();

}  // namespace steward::StoreOutageLog
