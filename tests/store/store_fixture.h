// Shared fixture and helpers for the store conformance suite. Every test is
// written against the Store interface only and runs once per backend.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/backends.h"
#include "store/store.h"

namespace steward::testing {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// EXPECT_THAT(store.JobGet(1), StatusIs(StatusCode::kNotFound));
MATCHER_P(StatusIs, code, "has status code " + std::string(StatusCodeName(code))) {
  Status st = StatusOf(arg);
  *result_listener << "status is " << (st.ok() ? std::string("ok") : st.ToString());
  return st.code() == code;
}

#define ASSERT_OK(expr)                                                         \
  do {                                                                          \
    const ::steward::Status _st = ::steward::testing::StatusOf(expr);                       \
    ASSERT_TRUE(_st.ok()) << #expr << " failed: " << _st.ToString();            \
  } while (0)
#define EXPECT_OK(expr)                                                         \
  do {                                                                          \
    const ::steward::Status _st = ::steward::testing::StatusOf(expr);                       \
    EXPECT_TRUE(_st.ok()) << #expr << " failed: " << _st.ToString();            \
  } while (0)

// A fixed, arbitrary epoch for simulated time (the store never reads a clock).
inline Timestamp T0() { return FromMicros(1'790'000'000'000'000); }
inline Timestamp At(double seconds) {
  return T0() + Micros(static_cast<int64_t>(seconds * 1'000'000));
}

// The error of a failed attempt (other fields empty).
inline AttemptError ErrorAt(int attempt, Timestamp at, std::string message) {
  AttemptError e;
  e.attempt = attempt;
  e.at = at;
  e.message = std::move(message);
  return e;
}

inline NewJob MakeJob(std::string kind = "test.noop", std::string queue = "default") {
  NewJob j;
  j.kind = std::move(kind);
  j.queue = std::move(queue);
  return j;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store_ = OpenFreshStore(GetParam());
    ASSERT_NE(store_, nullptr) << "backend " << GetParam() << " could not be opened";
  }

  Store& store() { return *store_; }

  // Inserts one job and returns its id (0 after a test failure).
  int64_t Insert(const NewJob& job, Timestamp now = T0()) {
    auto r = store_->JobInsertMany(std::span<const NewJob>(&job, 1), now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) return 0;
    return (*r)[0].id;
  }

  std::vector<int64_t> InsertN(int n, const NewJob& job = MakeJob(), Timestamp now = T0()) {
    std::vector<NewJob> jobs(static_cast<size_t>(n), job);
    auto r = store_->JobInsertMany(jobs, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<int64_t> ids;
    if (r.ok()) {
      for (const InsertedJob& j : *r) ids.push_back(j.id);
    }
    return ids;
  }

  std::vector<Job> Claim(const std::string& queue, int limit, Timestamp now = At(1),
                         const std::string& worker = "worker-a", Micros lease = std::chrono::seconds(30)) {
    JobClaimParams p;
    p.queue = queue;
    p.limit = limit;
    p.worker_id = worker;
    p.now = now;
    p.lease_until = now + lease;
    auto r = store_->JobClaim(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Job>{};
  }

  static std::vector<int64_t> Ids(const std::vector<Job>& jobs) {
    std::vector<int64_t> ids;
    for (const Job& j : jobs) ids.push_back(j.id);
    return ids;
  }

  Job Get(int64_t id) {
    auto r = store_->JobGet(id);
    EXPECT_TRUE(r.ok()) << "JobGet(" << id << "): " << r.status().ToString();
    return r.ok() ? *r : Job{};
  }

  JobCompletionResult Complete(const JobCompletion& c) {
    auto r = store_->JobCompleteMany(std::span<const JobCompletion>(&c, 1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->size() != 1) return {};
    return (*r)[0];
  }

  static JobCompletion Completion(const Job& job, JobCompletion::Kind kind, Timestamp at = At(2)) {
    JobCompletion c;
    c.id = job.id;
    c.worker_id = job.lease_owner.value_or("");
    c.attempt = job.attempt;
    c.kind = kind;
    c.finished_at = at;
    c.retry_at = at + std::chrono::seconds(10);
    return c;
  }

  std::unique_ptr<Store> store_;
};

// Each test file instantiates its own fixture over every backend.
#define STEWARD_INSTANTIATE_STORE_SUITE(Fixture)                                      \
  INSTANTIATE_TEST_SUITE_P(Backends, Fixture,                                       \
                           ::testing::ValuesIn(::steward::testing::AllBackends()),  \
                           [](const ::testing::TestParamInfo<std::string>& info) {  \
                             return info.param;                                     \
                           })

}  // namespace steward::testing
