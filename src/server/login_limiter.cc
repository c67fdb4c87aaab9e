#include "server/login_limiter.h"

namespace steward::server {

void LoginLimiter::Prune(std::deque<Timestamp>& failures, Timestamp now) const {
  while (!failures.empty() && failures.front() + options_.window <= now) failures.pop_front();
}

std::optional<std::chrono::seconds> LoginLimiter::Blocked(const std::string& address,
                                                          Timestamp now) {
  MutexLock lock(mu_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return std::nullopt;
  Prune(it->second, now);
  if (static_cast<int>(it->second.size()) < options_.max_failures) return std::nullopt;
  // Free again when the oldest failure of the window expires; round up so a
  // client honouring Retry-After is never refused once more.
  auto wait = it->second.front() + options_.window - now;
  auto secs = std::chrono::ceil<std::chrono::seconds>(wait);
  return std::max(secs, std::chrono::seconds(1));
}

void LoginLimiter::RecordFailure(const std::string& address, Timestamp now) {
  MutexLock lock(mu_);
  auto it = failures_.find(address);
  if (it == failures_.end()) {
    if (failures_.size() >= options_.max_addresses) MakeRoom(now);
    it = failures_.emplace(address, std::deque<Timestamp>()).first;
  }
  Prune(it->second, now);
  it->second.push_back(now);
  // Only the last max_failures matter for the decision.
  while (static_cast<int>(it->second.size()) > options_.max_failures) it->second.pop_front();
}

void LoginLimiter::MakeRoom(Timestamp now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    Prune(it->second, now);
    it = it->second.empty() ? failures_.erase(it) : std::next(it);
  }
  if (failures_.size() < options_.max_addresses) return;
  auto oldest = failures_.begin();
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->second.back() < oldest->second.back()) oldest = it;
  }
  failures_.erase(oldest);
}

size_t LoginLimiter::tracked() const {
  MutexLock lock(mu_);
  return failures_.size();
}

}  // namespace steward::server
