#include "steward/worker.h"

namespace steward {

Outcome Outcome::Retry(std::string message, std::optional<Micros> delay, std::string detail) {
  Outcome o(Kind::kRetry);
  o.message_ = std::move(message);
  o.detail_ = std::move(detail);
  o.delay_ = delay;
  return o;
}

Outcome Outcome::Snooze(Micros delay) {
  Outcome o(Kind::kSnooze);
  o.delay_ = delay;
  return o;
}

Outcome Outcome::Discard(std::string message, std::string detail) {
  Outcome o(Kind::kDiscard);
  o.message_ = std::move(message);
  o.detail_ = std::move(detail);
  return o;
}

}  // namespace steward
