// `steward doctor`: checks configuration, database and notification
// channels and prints PASS/FAIL per item; exit status 1 if any failed.
#pragma once

#include "cli/commands.h"

namespace steward::cli {

struct DoctorOptions {
  bool send_test = false;  // --send-test: deliver a test message to each channel
};
int RunDoctor(const GlobalOptions& g, const DoctorOptions& o);

}  // namespace steward::cli
