// Eventually: awaits a condition with a deadline, for the tests that watch a
// real process, database or receiver and have no event to block on.
//
// This is polling, not a sleep standing in for synchronisation: it returns as
// soon as `pred` holds, and the deadline only bounds how long a broken build
// takes to fail. Prefer a latch or a receiver's Wait* call where one exists.
#pragma once

#include <chrono>
#include <thread>

namespace steward::testing {

// Calls `pred` every `poll` until it returns true (-> true) or `timeout` has
// passed (-> the result of one last call).
template <typename Pred>
bool Eventually(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

}  // namespace steward::testing
