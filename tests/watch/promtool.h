// Runs the real `promtool check metrics` (Debian package prometheus) on a
// metrics exposition and returns its exit status and output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "support/temp_dir.h"

namespace steward::testing {

inline constexpr const char* kPromtool = "/usr/bin/promtool";

// (exit status, combined output). Exit 1: parse error, 3: lint problems.
inline std::pair<int, std::string> PromtoolCheckMetrics(const std::string& text) {
  TempDir dir;
  std::string file = dir.File("metrics.txt");
  std::ofstream(file) << text;
  std::string cmd = std::string(kPromtool) + " check metrics < '" + file + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace steward::testing
