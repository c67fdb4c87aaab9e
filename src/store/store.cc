#include "store/store.h"

#include <algorithm>

namespace steward {

int Store::AddJobsAddedListener(JobsAddedListener listener) {
  std::lock_guard lock(listeners_mu_);
  int token = next_listener_token_++;
  listeners_.emplace_back(token, std::move(listener));
  return token;
}

void Store::RemoveJobsAddedListener(int token) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [token](const auto& p) { return p.first == token; });
}

void Store::NotifyJobsAdded(const std::string& queue) {
  std::lock_guard lock(listeners_mu_);
  for (auto& [token, fn] : listeners_) fn(queue);
}

}  // namespace steward
