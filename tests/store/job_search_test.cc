// Conformance: the Jobs page's search (Store::JobSearch): every filter, the
// cursor, and the bounded scan that ends a page early with a cursor.
#include <set>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class JobSearchTest : public StoreTest {
 protected:
  JobSearchPage Search(JobSearchParams p) {
    auto r = store().JobSearch(p);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : JobSearchPage{};
  }
  // Fails the job's current attempt with `message`; with max_attempts 1 it
  // is discarded, else retryable.
  void Fail(const std::string& queue, const std::string& message, Timestamp at = At(2)) {
    auto c = Claim(queue, 1, at);
    ASSERT_EQ(c.size(), 1u);
    JobCompletion done = Completion(c[0], JobCompletion::Kind::kRetry, at);
    done.error = ErrorAt(c[0].attempt, at, message);
    ASSERT_TRUE(Complete(done).applied);
  }
  // Claims and completes every available job of the queue.
  void CompleteAll(const std::string& queue, int n) {
    for (const Job& j : Claim(queue, n)) ASSERT_TRUE(Complete(Completion(j, JobCompletion::Kind::kCompleted)).applied);
  }
};

TEST_P(JobSearchTest, NoFilterListsNewestFirstWithLastErrors) {
  auto ids = InsertN(3);
  NewJob f = MakeJob("mail", "failing");
  f.max_attempts = 1;
  const int64_t failed = Insert(f);
  Fail("failing", "SMTP 550 mailbox unavailable");

  JobSearchPage page = Search({});
  ASSERT_EQ(page.jobs.size(), 4u);
  ASSERT_EQ(page.last_errors.size(), 4u);
  EXPECT_EQ(page.jobs[0].id, failed);
  EXPECT_EQ(page.jobs[0].state, JobState::kDiscarded);
  EXPECT_EQ(page.last_errors[0], "SMTP 550 mailbox unavailable");
  EXPECT_EQ(page.jobs[3].id, ids[0]);
  EXPECT_EQ(page.last_errors[3], "");
  EXPECT_FALSE(page.next_before_id.has_value()) << "the scan reached the lowest id";
}

TEST_P(JobSearchTest, FiltersByStateQueueAndKind) {
  Insert(MakeJob("a", "q1"));
  const int64_t b = Insert(MakeJob("b", "q1"));
  const int64_t c = Insert(MakeJob("a", "q2"));
  NewJob r = MakeJob("a", "q3");
  r.max_attempts = 5;
  const int64_t retry = Insert(r);
  Fail("q3", "temporary");

  JobSearchParams p;
  p.queue = "q1";
  p.kind = "b";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(b));
  p = {};
  p.kind = "a";
  p.queue = "q2";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(c));
  p = {};
  p.state = JobState::kRetryable;
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(retry));
  p.state = JobState::kDiscarded;
  EXPECT_THAT(Search(p).jobs, IsEmpty());
  p.state = JobState::kAvailable;
  EXPECT_EQ(Search(p).jobs.size(), 3u);
}

TEST_P(JobSearchTest, ErrorContainsMatchesTheLatestErrorCaseInsensitively) {
  NewJob j = MakeJob("mail", "m1");
  j.max_attempts = 5;
  const int64_t first = Insert(j);
  Fail("m1", "Connection REFUSED by 10.0.0.1");
  j.queue = "m2";
  const int64_t second = Insert(j);
  Fail("m2", "first: timeout", At(2));
  // second's latest error is now different from its first one.
  Fail("m2", "second: 100% quota", At(20));

  JobSearchParams p;
  p.error_contains = "refused";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(first));
  p.error_contains = "timeout";
  EXPECT_THAT(Search(p).jobs, IsEmpty()) << "only the latest error counts";
  p.error_contains = "100% QUOTA";
  auto page = Search(p);
  EXPECT_THAT(Ids(page.jobs), ElementsAre(second));
  EXPECT_EQ(page.last_errors[0], "second: 100% quota");
  p.error_contains = "_";  // no LIKE wildcards
  EXPECT_THAT(Search(p).jobs, IsEmpty());
}

TEST_P(JobSearchTest, PayloadPathEqualsValueAsText) {
  NewJob n = MakeJob();
  n.payload = R"({"account_id": 42, "customer": {"id": "c-7"}, "flag": true})";
  const int64_t num = Insert(n);
  n.payload = R"({"account_id": "42", "customer": {"id": "c-8"}})";
  const int64_t str = Insert(n);
  n.payload = R"({"account_id": 43})";
  Insert(n);

  JobSearchParams p;
  p.payload_path = "account_id";
  p.payload_value = "42";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(str, num));
  p.payload_path = "customer.id";
  p.payload_value = "c-7";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(num));
  p.payload_path = "flag";
  p.payload_value = "true";
  EXPECT_THAT(Ids(Search(p).jobs), ElementsAre(num));
  p.payload_path = "missing";
  p.payload_value = "1";
  EXPECT_THAT(Search(p).jobs, IsEmpty());
}

TEST_P(JobSearchTest, BadParamsAreInvalidArgument) {
  for (const char* path : {"a-b", "a..b", "", ".a", "a.", "a b", "a'b", "a[0]", "$.a"}) {
    JobSearchParams p;
    p.payload_path = path;
    p.payload_value = "1";
    EXPECT_THAT(store().JobSearch(p), StatusIs(StatusCode::kInvalidArgument)) << path;
  }
  JobSearchParams p;
  p.payload_path = "a";
  EXPECT_THAT(store().JobSearch(p), StatusIs(StatusCode::kInvalidArgument)) << "value missing";
  p = {};
  p.limit = 501;
  EXPECT_THAT(store().JobSearch(p), StatusIs(StatusCode::kInvalidArgument));
  p.limit = 0;
  EXPECT_THAT(store().JobSearch(p), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(JobSearchTest, CursorPagesThroughEverything) {
  auto ids = InsertN(7);
  JobSearchParams p;
  p.limit = 3;
  std::vector<int64_t> seen;
  for (int call = 0; call < 10; ++call) {
    JobSearchPage page = Search(p);
    for (const Job& j : page.jobs) seen.push_back(j.id);
    if (!page.next_before_id) break;
    p.before_id = page.next_before_id;
  }
  std::vector<int64_t> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);
}

TEST_P(JobSearchTest, BoundedScanReturnsACursorWithNoJobs) {
  auto ids = InsertN(25);
  JobSearchParams p;
  p.kind = "nothing.matches";
  p.scan_limit = 10;
  JobSearchPage page = Search(p);
  EXPECT_THAT(page.jobs, IsEmpty());
  ASSERT_TRUE(page.next_before_id.has_value()) << "the scan stopped before the lowest id";
  // It examined the 10 newest ids, so it continues below the 10th.
  EXPECT_EQ(*page.next_before_id, ids[15]);

  int calls = 1;
  while (page.next_before_id && calls < 10) {
    p.before_id = page.next_before_id;
    page = Search(p);
    EXPECT_THAT(page.jobs, IsEmpty());
    ++calls;
  }
  EXPECT_FALSE(page.next_before_id.has_value());
  EXPECT_EQ(calls, 3) << "25 rows, 10 per call";

  // A match beyond the first window is found by continuing.
  p = {};
  p.kind = "test.noop";
  p.scan_limit = 10;
  p.before_id = ids[5];
  page = Search(p);
  EXPECT_EQ(Ids(page.jobs), (std::vector<int64_t>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  EXPECT_FALSE(page.next_before_id.has_value());
}

TEST_P(JobSearchTest, RareStateScanWalksOnlyThatState) {
  // One discarded job below many completed ones: a state-filtered search
  // counts only discarded rows against scan_limit, so one call finds it.
  NewJob f = MakeJob("bad", "failing");
  f.max_attempts = 1;
  const int64_t discarded = Insert(f);
  Fail("failing", "broken");
  InsertN(30);
  CompleteAll("default", 30);

  JobSearchParams p;
  p.state = JobState::kDiscarded;
  p.scan_limit = 5;
  JobSearchPage page = Search(p);
  EXPECT_THAT(Ids(page.jobs), ElementsAre(discarded));
  EXPECT_FALSE(page.next_before_id.has_value());

  // Without the index (a state every job passes through), the scan is
  // bounded by all rows and ends with a cursor.
  p.state = JobState::kCompleted;
  p.limit = 50;
  page = Search(p);
  EXPECT_EQ(page.jobs.size(), 5u);
  EXPECT_TRUE(page.next_before_id.has_value());
}

STEWARD_INSTANTIATE_STORE_SUITE(JobSearchTest);

}  // namespace
}  // namespace steward::testing
