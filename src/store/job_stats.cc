// The wait-time histogram of the activity rollups (store/dashboard_store.h).
#include <algorithm>
#include <cmath>

#include "store/dashboard_store.h"

namespace steward {

namespace {

// Bounds of bucket i in microseconds: [lower, upper). The last bucket is
// open-ended; for interpolation it is taken as one more doubling.
int64_t BucketLower(int i) { return i == 0 ? 0 : (int64_t{1} << (i - 1)) * 1000; }
int64_t BucketUpper(int i) { return (int64_t{1} << i) * 1000; }

}  // namespace

int WaitBucket(Micros wait) {
  const int64_t ms = wait.count() / 1000;
  if (ms < 1) return 0;
  // Bucket i holds [2^(i-1), 2^i) ms: one more than the index of the
  // highest set bit of ms.
  int i = 1;
  for (int64_t v = ms; v > 1; v >>= 1) ++i;
  return std::min(i, kWaitBuckets - 1);
}

std::optional<Micros> WaitQuantile(const WaitHistogram& h, double q) {
  int64_t total = 0;
  for (int64_t n : h) total += std::max<int64_t>(n, 0);
  if (total == 0) return std::nullopt;
  q = std::clamp(std::isnan(q) ? 0.0 : q, 0.0, 1.0);
  const double rank = q * static_cast<double>(total);
  double before = 0;
  for (int i = 0; i < kWaitBuckets; ++i) {
    const double n = static_cast<double>(std::max<int64_t>(h[i], 0));
    if (n == 0) continue;
    if (before + n >= rank) {
      // Spread the bucket's waits evenly over its range.
      const double fraction = std::clamp((rank - before) / n, 0.0, 1.0);
      const double lower = static_cast<double>(BucketLower(i));
      const double upper = static_cast<double>(BucketUpper(i));
      return Micros(static_cast<int64_t>(std::llround(lower + (upper - lower) * fraction)));
    }
    before += n;
  }
  return Micros(BucketUpper(kWaitBuckets - 1));  // unreachable: rank <= total
}

}  // namespace steward
