// IdempotencyCache: remembers the first response to each Idempotency-Key.
//
// How the API makes enqueue idempotent (docs/openapi.json, "Idempotency"):
//   1. The key maps onto the job's unique_key ("idem:<key>" for one job,
//      "idem:<key>:<index>" per batch entry), so the database itself refuses
//      a second unfinished job for the same key, across processes and nodes.
//   2. The store's uniqueness covers only unfinished jobs. Once the job
//      completed, the same key would enqueue again, so this in-memory cache
//      also keeps the first response for 24 h and replays it.
// Limitation (documented): the cache is per process and lost on restart;
// after a restart, or on another node, a key whose job already finished can
// enqueue a new job. Clients that need stronger guarantees should use
// unique_key semantics consciously or keep their own record.
//
// Bounded: least recently used entries are evicted beyond `capacity`.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace steward::server {

class IdempotencyCache {
 public:
  struct Entry {
    uint64_t fingerprint = 0;  // hash of the request body: a reuse with another body is refused
    int status = 0;
    std::string body;
  };

  explicit IdempotencyCache(size_t capacity = 10000,
                            std::chrono::steady_clock::duration ttl = std::chrono::hours(24))
      : capacity_(capacity), ttl_(ttl) {}

  std::optional<Entry> Get(const std::string& key);
  void Put(const std::string& key, Entry entry);

 private:
  struct Slot {
    Entry entry;
    std::chrono::steady_clock::time_point at;
    std::list<std::string>::iterator lru;
  };
  size_t capacity_;
  std::chrono::steady_clock::duration ttl_;
  std::mutex mu_;
  std::list<std::string> lru_;  // front = most recently used
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace steward::server
