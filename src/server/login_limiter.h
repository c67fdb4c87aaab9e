// LoginLimiter: failed logins per client address, so a token cannot be
// guessed through POST /api/v1/session (10 failures per 15 minutes, then
// 429 with Retry-After until the oldest failure leaves the window).
//
// Memory is bounded: at most `max_addresses` addresses are tracked; when
// full, expired entries go first, then the address whose last failure is
// the oldest. An attacker with many addresses can push others out, which
// only lets those others try again: never a lock-out of everyone.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/thread_annotations.h"
#include "steward/clock.h"

namespace steward::server {

struct LoginLimiterOptions {
  int max_failures = 10;
  Micros window = std::chrono::minutes(15);
  size_t max_addresses = 10000;
};

class LoginLimiter {
 public:
  explicit LoginLimiter(LoginLimiterOptions options = {}) : options_(options) {}

  // nullopt when `address` may try; else how long until it may.
  std::optional<std::chrono::seconds> Blocked(const std::string& address, Timestamp now)
      EXCLUDES(mu_);
  void RecordFailure(const std::string& address, Timestamp now) EXCLUDES(mu_);
  size_t tracked() const EXCLUDES(mu_);

 private:
  void Prune(std::deque<Timestamp>& failures, Timestamp now) const;
  void MakeRoom(Timestamp now) REQUIRES(mu_);

  LoginLimiterOptions options_;
  mutable Mutex mu_;
  std::unordered_map<std::string, std::deque<Timestamp>> failures_ GUARDED_BY(mu_);
};

}  // namespace steward::server
