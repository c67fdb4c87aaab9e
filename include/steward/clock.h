// Clock: where Steward gets the time. Injectable so tests can simulate weeks
// of downtime without waiting. All timestamps are UTC with microsecond
// precision (the precision both SQLite and PostgreSQL store exactly).
#pragma once

#include <atomic>
#include <chrono>
#include <string>

namespace steward {

using Micros = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Micros>;

// Microseconds since the Unix epoch, and back.
inline int64_t ToMicros(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromMicros(int64_t us) { return Timestamp(Micros(us)); }
// RFC 3339 in UTC with microseconds: "2026-11-26T16:15:07.123456Z".
std::string FormatTimestamp(Timestamp t);

// Thread-safe. Implementations must be monotone enough for scheduling: a
// clock that jumps backwards only delays work, it never loses it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// The real wall clock. Shared singleton; never destroyed.
Clock& SystemClock();

// A clock that only moves when told. For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_us_(ToMicros(start)) {}
  Timestamp Now() const override { return FromMicros(now_us_.load()); }
  void Set(Timestamp t) { now_us_.store(ToMicros(t)); }
  void Advance(Micros d) { now_us_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace steward
