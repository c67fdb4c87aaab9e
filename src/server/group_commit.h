// GroupCommitter: gathers concurrent enqueue requests into one transaction.
//
// One commit per HTTP request caps enqueue throughput at the database's
// commit rate (an fsync or a network round trip each). Requests submitted
// here wait on a future; a single committer thread takes everything queued
// so far and inserts it with one Store::JobInsertMany call, then resolves
// each request's future with its own slice of the results. Group size
// adapts to load by itself: while one group commits, the next one
// accumulates; when idle, a lone request is committed at once (no fixed
// batching delay).
//
// A request is acknowledged only after its group committed, so a 201 still
// means durable. Callers validate jobs before submitting (one bad job must
// not fail its neighbours); a store error fails every request of the group
// with that status, since the transaction was all or nothing.
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "steward/clock.h"
#include "store/store.h"

namespace steward::server {

struct GroupCommitOptions {
  // Upper bound on jobs per transaction: keeps one group's latency bounded
  // and PostgreSQL's parameter count in range.
  size_t max_group_jobs = 2000;
};

struct GroupCommitStats {
  uint64_t groups = 0;
  uint64_t requests = 0;
  uint64_t jobs = 0;
};

class GroupCommitter {
 public:
  GroupCommitter(std::shared_ptr<Store> store, Clock* clock, GroupCommitOptions options = {});
  // Commits what is queued, then joins the committer thread.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `jobs` (already validated) to be inserted in one transaction
  // together with other concurrent requests. The future holds this
  // request's results, in order, or the group's error.
  std::future<Result<std::vector<InsertedJob>>> Submit(std::vector<NewJob> jobs);

  GroupCommitStats stats() const;

 private:
  struct Pending {
    std::vector<NewJob> jobs;
    std::promise<Result<std::vector<InsertedJob>>> done;
  };
  void Run();
  void Commit(std::vector<Pending>& group);

  std::shared_ptr<Store> store_;
  Clock* clock_;
  GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  GroupCommitStats stats_;
  std::thread thread_;
};

}  // namespace steward::server
