// The wait-time histogram of the activity rollups: bucket bounds and
// quantiles (store/dashboard_store.h).
#include <gtest/gtest.h>

#include "store/dashboard_store.h"

namespace steward {
namespace {

using namespace std::chrono_literals;

TEST(WaitBucket, PowersOfTwoMilliseconds) {
  EXPECT_EQ(WaitBucket(0us), 0);
  EXPECT_EQ(WaitBucket(-5s), 0) << "clock skew counts as no wait";
  EXPECT_EQ(WaitBucket(999us), 0);
  EXPECT_EQ(WaitBucket(1ms), 1);
  EXPECT_EQ(WaitBucket(1999us), 1);
  EXPECT_EQ(WaitBucket(2ms), 2);
  EXPECT_EQ(WaitBucket(3ms), 2);
  EXPECT_EQ(WaitBucket(4ms), 3);
  EXPECT_EQ(WaitBucket(1023ms), 10);
  EXPECT_EQ(WaitBucket(1024ms), 11);
  // Bucket 22 is [2^21, 2^22) ms; everything from 2^22 ms (~70 min) is the last.
  EXPECT_EQ(WaitBucket(Micros(int64_t{1} << 21) * 1000), 22);
  EXPECT_EQ(WaitBucket(Micros((int64_t{1} << 22) * 1000 - 1)), 22);
  EXPECT_EQ(WaitBucket(Micros((int64_t{1} << 22) * 1000)), kWaitBuckets - 1);
  EXPECT_EQ(WaitBucket(24h * 365), kWaitBuckets - 1);
}

TEST(WaitQuantile, EmptyHistogramHasNone) {
  WaitHistogram h{};
  EXPECT_FALSE(WaitQuantile(h, 0.5).has_value());
}

TEST(WaitQuantile, InterpolatesWithinTheBucket) {
  WaitHistogram h{};
  h[WaitBucket(5ms)] = 100;  // bucket 3: [4, 8) ms
  EXPECT_EQ(WaitQuantile(h, 0.0), 4ms);
  EXPECT_EQ(WaitQuantile(h, 0.5), 6ms);
  EXPECT_EQ(WaitQuantile(h, 1.0), 8ms);
  EXPECT_EQ(WaitQuantile(h, 7.0), 8ms) << "q is clamped to 0..1";
}

TEST(WaitQuantile, WalksTheBucketsInOrder) {
  WaitHistogram h{};
  h[0] = 90;  // < 1 ms
  h[WaitBucket(1500ms)] = 10;  // [1024, 2048) ms
  auto p50 = WaitQuantile(h, 0.5);
  ASSERT_TRUE(p50.has_value());
  EXPECT_LT(*p50, 1ms);
  auto p95 = WaitQuantile(h, 0.95);
  ASSERT_TRUE(p95.has_value());
  EXPECT_EQ(*p95, 1536ms);
  auto p99 = WaitQuantile(h, 0.99);
  ASSERT_TRUE(p99.has_value());
  EXPECT_GT(*p99, *p95);
  EXPECT_LE(*p99, 2048ms);
}

}  // namespace
}  // namespace steward
