// TEMPORARY, until the store branch lands: WaitBucket is declared in
// store/dashboard_store.h and defined by the store. This weak stand-in (the
// header's documented mapping) lets watch_test link before that; the
// store's definition replaces it at link time. Delete this file on merge.
#include "store/dashboard_store.h"

namespace steward {

[[gnu::weak]] int WaitBucket(Micros wait) {
  const int64_t ms = wait.count() / 1000;
  if (ms < 1) return 0;
  int bucket = 1;
  for (int64_t upper = 2; ms >= upper && bucket < kWaitBuckets - 1; upper *= 2) ++bucket;
  return bucket;
}

}  // namespace steward
