// Shared set-up for runtime tests: a real SQLite store in a temp dir, a
// client on the same store, and helpers to await job states.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "steward/client.h"
#include "steward/worker.h"
#include "store/store.h"
#include "support/temp_dir.h"

namespace steward::testing {

using namespace std::chrono_literals;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = "sqlite://" + dir_.File("steward.db");
    auto s = OpenStore(url_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    store_ = std::shared_ptr<Store>(std::move(s).value());
    client_ = std::make_unique<Client>(store_);
  }

  WorkerOptions FastOptions() {
    WorkerOptions o;
    o.queues = {{"default", 4}};
    o.poll_interval = 1h;  // tests must not rely on polling unless they say so
    o.rescue_interval = 100ms;
    o.lease = 2s;
    o.shutdown_grace = 5s;
    o.default_retry = RetryPolicy{.base = 10ms, .max = 1s, .jitter = 0};
    return o;
  }

  std::unique_ptr<Worker> MakeWorker(WorkerOptions o) {
    auto w = Worker::Create(store_, std::move(o));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return std::move(w).value();
  }

  int64_t Enqueue(NewJob j) {
    auto r = client_->Enqueue(j);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->id : 0;
  }

  // Polls the database until the job reaches `state` (an awaited condition
  // with a deadline, not a sleep standing in for synchronisation).
  Job AwaitState(int64_t id, JobState state, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Job last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto j = store_->JobGet(id);
      if (j.ok()) {
        last = *j;
        if (j->state == state) return last;
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "job " << id << " did not reach " << JobStateName(state) << "; it is "
                  << JobStateName(last.state) << " at attempt " << last.attempt;
    return last;
  }

  TempDir dir_;
  std::string url_;
  std::shared_ptr<Store> store_;
  std::unique_ptr<Client> client_;
};

// A one-shot event a test can wait for.
class Latch {
 public:
  void Set() {
    std::lock_guard l(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace steward::testing
