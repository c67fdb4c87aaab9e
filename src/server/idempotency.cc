#include "server/idempotency.h"

namespace steward::server {

std::optional<IdempotencyCache::Entry> IdempotencyCache::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.at > ttl_) {
    lru_.erase(it->second.lru);
    slots_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void IdempotencyCache::Put(const std::string& key, Entry entry) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    // First response wins: a concurrent duplicate must not overwrite it.
    return;
  }
  lru_.push_front(key);
  slots_[key] = Slot{std::move(entry), std::chrono::steady_clock::now(), lru_.begin()};
  while (slots_.size() > capacity_) {
    slots_.erase(lru_.back());
    lru_.pop_back();
  }
}

}  // namespace steward::server
