// LoginLimiter: 10 failures per window per address, then a wait that ends
// when the oldest failure leaves the window; memory bounded by address count.
#include <gtest/gtest.h>

#include "server/login_limiter.h"

namespace steward::server {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 = FromMicros(1'800'000'000'000'000);

TEST(LoginLimiterTest, TenFailuresBlockUntilTheOldestLeavesTheWindow) {
  LoginLimiter l;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(l.Blocked("10.0.0.1", kT0 + i * 1s)) << i;
    l.RecordFailure("10.0.0.1", kT0 + i * 1s);
  }
  auto wait = l.Blocked("10.0.0.1", kT0 + 10s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 15min - 10s);
  EXPECT_FALSE(l.Blocked("10.0.0.2", kT0 + 10s)) << "other addresses are not affected";
  EXPECT_FALSE(l.Blocked("10.0.0.1", kT0 + 15min));
}

TEST(LoginLimiterTest, TracksAtMostMaxAddresses) {
  LoginLimiter l(LoginLimiterOptions{.max_failures = 2, .window = 15min, .max_addresses = 3});
  for (int i = 0; i < 3; ++i) l.RecordFailure("a" + std::to_string(i), kT0 + i * 1s);
  l.RecordFailure("a0", kT0 + 5s);  // a0 is blocked now, and the newest
  ASSERT_TRUE(l.Blocked("a0", kT0 + 6s));
  l.RecordFailure("b", kT0 + 6s);
  EXPECT_EQ(l.tracked(), 3u);
  // The address whose last failure was oldest (a1) made room, not a0.
  EXPECT_TRUE(l.Blocked("a0", kT0 + 7s));
  // Expired entries go first once the window has passed.
  l.RecordFailure("c", kT0 + 20min);
  EXPECT_LE(l.tracked(), 3u);
  EXPECT_FALSE(l.Blocked("a0", kT0 + 20min));
}

}  // namespace
}  // namespace steward::server
