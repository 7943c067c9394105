// DeferredSemaphore and DeferredLock: limiting how much asynchronous work runs at once —
// Twisted's DeferredSemaphore and DeferredLock.
//
// Acquire() returns a Deferred that fires once the caller holds a token (at once if one is free);
// waiters are served first come, first served. Run(f) acquires, calls f, and releases when what f
// returned has fired, whatever its outcome:
//
//   DeferredSemaphore uploads(4);   // at most 4 at a time
//   for (const Part& part : parts) uploads.Run([&] { return Upload(part); });
//
// Cancelling a waiting Acquire takes it out of the line. Destroying the semaphore fails the
// Deferreds still waiting with kCancelled; work that Run started goes on without it.
//
// Threading: single-threaded, like every Deferred.

#ifndef BRAID_DEFERRED_DEFERRED_LOCK_H_
#define BRAID_DEFERRED_DEFERRED_LOCK_H_

#include <cstddef>
#include <list>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "deferred/deferred.h"

namespace braid {

class DeferredSemaphore {
 public:
  // REQUIRES: tokens > 0.
  explicit DeferredSemaphore(size_t tokens);
  DeferredSemaphore(const DeferredSemaphore&) = delete;
  DeferredSemaphore& operator=(const DeferredSemaphore&) = delete;
  ~DeferredSemaphore();

  size_t limit() const { return limit_; }
  // Tokens free right now.
  size_t tokens() const { return tokens_; }
  // Acquires waiting for a token.
  size_t waiting() const { return waiting_.size(); }

  // Fires when the caller holds a token.
  Deferred<void> Acquire();

  // Gives a token back, straight to the longest waiter if there is one. kFailedPrecondition (and
  // no change) if every token is already free.
  absl::Status Release();

  // Acquires, calls `f()` (which may return a value, a status or a Deferred, as a callback may),
  // and releases once that result is in. Fires with f's result.
  template <typename F>
  auto Run(F&& f);

 private:
  size_t limit_;
  size_t tokens_;
  std::list<Deferred<void>> waiting_;
  // Lets work started by Run that outlives the semaphore skip its release.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A DeferredSemaphore with one token.
class DeferredLock {
 public:
  DeferredLock() = default;

  bool locked() const { return semaphore_.tokens() == 0; }
  size_t waiting() const { return semaphore_.waiting(); }

  // Fires when the caller holds the lock.
  Deferred<void> Acquire() { return semaphore_.Acquire(); }
  // kFailedPrecondition if the lock is not held.
  absl::Status Release() { return semaphore_.Release(); }
  // Runs `f` holding the lock (see DeferredSemaphore::Run).
  template <typename F>
  auto Run(F&& f) {
    return semaphore_.Run(std::forward<F>(f));
  }

 private:
  DeferredSemaphore semaphore_{1};
};

template <typename F>
auto DeferredSemaphore::Run(F&& f) {
  return Acquire().Then([this, alive = alive_, f = std::forward<F>(f)]() mutable {
    return MaybeDeferred(std::move(f)).Both([this, alive](auto result) {
      if (*alive) Release().IgnoreError();  // we hold the token: cannot fail
      return result;
    });
  });
}

}  // namespace braid

#endif  // BRAID_DEFERRED_DEFERRED_LOCK_H_
