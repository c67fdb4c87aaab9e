// Lock discipline the compiler checks: Clang's -Wthread-safety annotations,
// and a Mutex the analysis understands (libstdc++'s std::mutex carries no
// annotations).
//
//   class Inbox {
//    public:
//     void Put(int v) EXCLUDES(mu_) {
//       MutexLock lock(mu_);
//       items_.push_back(v);       // fine: mu_ is held
//     }
//    private:
//     Mutex mu_;
//     std::vector<int> items_ GUARDED_BY(mu_);   // touched without mu_: error
//   };
//
// Waiting on a condition variable goes through the MutexLock, so the analysis
// sees the mutex held before and after the wait. Write waits as loops over
// the condition (`while (!ready_) lock.Wait(cv_);`): a predicate lambda would
// read guarded members where the analysis cannot see the lock.
//
// With GCC the macros expand to nothing; `make thread-safety` builds with
// clang and -Wthread-safety -Werror.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define STEWARD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STEWARD_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) STEWARD_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY STEWARD_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) STEWARD_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) STEWARD_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) STEWARD_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) STEWARD_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) STEWARD_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) STEWARD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define RETURN_CAPABILITY(x) STEWARD_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS STEWARD_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace steward {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds a Mutex for its scope; waits on condition variables with it.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Each returns with the mutex held again; wake-ups may be spurious, so
  // callers re-check their condition.
  void Wait(std::condition_variable& cv) { cv.wait(lock_); }
  // False once `timeout` passed.
  template <typename Rep, typename Period>
  bool WaitFor(std::condition_variable& cv, std::chrono::duration<Rep, Period> timeout) {
    return cv.wait_for(lock_, timeout) == std::cv_status::no_timeout;
  }
  // False once `deadline` passed.
  template <typename ClockT, typename Duration>
  bool WaitUntil(std::condition_variable& cv, std::chrono::time_point<ClockT, Duration> deadline) {
    return cv.wait_until(lock_, deadline) == std::cv_status::no_timeout;
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace steward
