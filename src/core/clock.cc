#include "steward/clock.h"

#include <date/date.h>

namespace steward {

namespace {
class WallClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now());
  }
};
}  // namespace

Clock& SystemClock() {
  static WallClock* clock = new WallClock();  // never destroyed: usable during exit
  return *clock;
}

std::string FormatTimestamp(Timestamp t) { return date::format("%FT%TZ", t); }

}  // namespace steward
