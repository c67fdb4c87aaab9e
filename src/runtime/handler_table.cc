#include "runtime/handler_table.h"

namespace steward {

void HandlerTable::Set(const std::string& kind, Handler handler, KindOptions options) {
  entries_[kind] = Entry{std::move(handler), options};
}

const HandlerTable::Entry* HandlerTable::Find(const std::string& kind) const {
  auto it = entries_.find(kind);
  return it == entries_.end() ? nullptr : &it->second;
}

const RetryPolicy& HandlerTable::RetryFor(const std::string& kind,
                                          const RetryPolicy& fallback) const {
  const Entry* entry = Find(kind);
  return entry && entry->options.retry ? *entry->options.retry : fallback;
}

std::string HandlerTable::UnknownKindMessage(const std::string& kind,
                                             const std::string& worker_id) const {
  std::string handled;
  for (const auto& [name, entry] : entries_) handled += (handled.empty() ? "" : ", ") + name;
  return "no handler registered for kind \"" + kind + "\" on worker " + worker_id +
         " (it handles: " + (handled.empty() ? "no kinds" : handled) + ")";
}

}  // namespace steward
