// HandlerTable: the kinds a worker handles, with their settings.
//
// Filled by Worker::Handle before Start() and read without a lock while jobs
// run: WorkerImpl refuses Handle() once started, and starting the threads
// orders every registration before any read.
#pragma once

#include <map>
#include <string>

#include "steward/worker.h"

namespace steward {

class HandlerTable {
 public:
  struct Entry {
    Handler handler;
    KindOptions options;
  };

  void Set(const std::string& kind, Handler handler, KindOptions options);
  // Null if no handler is registered for `kind`.
  const Entry* Find(const std::string& kind) const;
  // The kind's retry policy, or the worker's.
  const RetryPolicy& RetryFor(const std::string& kind, const RetryPolicy& fallback) const;
  // The error of a job no handler here can run; names the kinds this worker
  // handles, so a misconfigured deploy is obvious from the job alone.
  std::string UnknownKindMessage(const std::string& kind, const std::string& worker_id) const;

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace steward
