// Subprocess: a child process for process-level tests (steward serve, the
// test receiver). Killed with SIGKILL in the destructor if still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace steward::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with argv; stdout and stderr go to output_path
  // (appended) unless it is empty. Extra environment entries "K=V" are added.
  Subprocess(std::vector<std::string> argv, std::string output_path,
             std::vector<std::string> extra_env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // Waits for exit; returns the wait status (as from waitpid) or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Reads a whole file ("" if missing).
std::string ReadFile(const std::string& path);

// Path of the built `steward` binary (from $STEWARD_BINARY, set by CTest).
std::string StewardBinary();

}  // namespace steward::testing
