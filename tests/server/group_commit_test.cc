// GroupCommitter: concurrent requests share transactions, each gets its own
// results in order, and a store error fails the whole group.
#include <atomic>
#include <thread>

#include "server/group_commit.h"
#include "server/server_fixture.h"

namespace steward {
namespace {

using testing::ServerTest;

NewJob Job(std::string kind, std::optional<std::string> unique = std::nullopt) {
  NewJob j;
  j.kind = std::move(kind);
  j.unique_key = std::move(unique);
  return j;
}

class GroupCommitTest : public ServerTest {};

TEST_F(GroupCommitTest, ConcurrentRequestsAreGroupedAndEachGetsItsOwnResults) {
  server::GroupCommitter gc(store_, nullptr);
  constexpr int kThreads = 16, kPerThread = 40;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string kind = "k" + std::to_string(t) + "_" + std::to_string(i);
        auto r = gc.Submit({Job(kind), Job(kind + "_b")}).get();
        if (!r.ok() || r->size() != 2) {
          ++bad;
          continue;
        }
        // The ids belong to this request's jobs, in order.
        auto a = real_->JobGet((*r)[0].id);
        auto b = real_->JobGet((*r)[1].id);
        if (!a.ok() || !b.ok() || a->kind != kind || b->kind != kind + "_b") ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  auto st = gc.stats();
  EXPECT_EQ(st.requests, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(st.jobs, uint64_t{2 * kThreads * kPerThread});
  // Under contention groups hold several requests (fewer commits than requests).
  EXPECT_LT(st.groups, st.requests);
}

TEST_F(GroupCommitTest, DuplicatesInOneGroupResolveToTheSameJob) {
  server::GroupCommitter gc(store_, nullptr);
  auto f1 = gc.Submit({Job("a", "same-key")});
  auto f2 = gc.Submit({Job("a", "same-key")});
  auto r1 = f1.get(), r2 = f2.get();
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ((*r1)[0].id, (*r2)[0].id);
  EXPECT_NE((*r1)[0].duplicate, (*r2)[0].duplicate);
}

// Over HTTP: an invalid job in one request does not fail concurrent valid ones.
TEST_F(GroupCommitTest, OneBadRequestDoesNotFailItsNeighbours) {
  StartServer();
  std::atomic<int> ok{0}, rejected{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", server_->port());
      for (int i = 0; i < 25; ++i) {
        bool bad = (i + t) % 5 == 0;
        std::string body = bad ? R"({"kind":""})" : R"({"kind":"ok"})";
        auto r = c.Post("/api/v1/jobs", body, "application/json");
        if (!r) {
          ++other;
        } else if (!bad && r->status == 201) {
          ++ok;
        } else if (bad && r->status == 400) {
          ++rejected;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(rejected.load(), 40);
}

}  // namespace
}  // namespace steward
