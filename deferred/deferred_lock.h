// DeferredSemaphore and DeferredLock: limiting how much asynchronous work runs at once —
// Twisted's DeferredSemaphore and DeferredLock.
//
// Acquire() returns a Deferred that fires once the caller holds a token (at once if one is free),
// with a Permit that gives the token back when it is destroyed or released (KJ's and C++'s
// scoped guard; Twisted's acquire/release pair is a Permit kept, then released); waiters are
// served first come, first served. Run(f) acquires, calls f, and releases when what f returned
// has fired, whatever its outcome:
//
//   DeferredSemaphore uploads(4);   // at most 4 at a time
//   for (const Part& part : parts) uploads.Run([&] { return Upload(part); });
//
//   Result<DeferredLock::Permit> held = co_await lock.Acquire();   // in a coroutine
//   ...                                                            // released at scope end
//
// A Permit that nobody has taken yet (a waiter's Deferred with no callback) stays in its
// Deferred, and the token with it, until a callback takes it or that Deferred is destroyed.
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
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"

namespace braid {

class DeferredSemaphore {
 public:
  // One token, held: move-only; gives the token back when released or destroyed. Outliving its
  // semaphore is safe (releasing then gives nothing back).
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept
        : semaphore_(std::exchange(other.semaphore_, nullptr)), alive_(std::move(other.alive_)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        if (held()) Release().IgnoreError();
        semaphore_ = std::exchange(other.semaphore_, nullptr);
        alive_ = std::move(other.alive_);
      }
      return *this;
    }
    ~Permit() {
      if (held()) Release().IgnoreError();
    }

    // Whether this Permit still holds its token.
    bool held() const { return semaphore_ != nullptr; }
    // Gives the token back now, straight to the longest waiter if there is one.
    // kFailedPrecondition if this Permit holds none (released already, moved from, or
    // default-constructed).
    absl::Status Release();

   private:
    friend class DeferredSemaphore;
    Permit(DeferredSemaphore* semaphore, Liveness::Token alive)
        : semaphore_(semaphore), alive_(std::move(alive)) {}
    DeferredSemaphore* semaphore_ = nullptr;
    std::optional<Liveness::Token> alive_;  // the semaphore's, while held
  };

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

  // Fires with a Permit when the caller holds a token.
  Deferred<Permit> Acquire();

  // Acquires, calls `f()` (which may return a value, a status or a Deferred, as a callback may),
  // and releases once that result is in. Fires with f's result.
  template <typename F>
  auto Run(F&& f);

 private:
  size_t limit_;
  size_t tokens_;
  std::list<Deferred<Permit>> waiting_;
  // Lets work started by Run that outlives the semaphore skip its release.
  // Gives a token back, straight to the longest waiter if there is one.
  void Give();

  Liveness liveness_;
};

// A DeferredSemaphore with one token.
class DeferredLock {
 public:
  DeferredLock() = default;

  using Permit = DeferredSemaphore::Permit;

  bool locked() const { return semaphore_.tokens() == 0; }
  size_t waiting() const { return semaphore_.waiting(); }

  // Fires with a Permit when the caller holds the lock; the lock is free again once the Permit is
  // released or destroyed.
  Deferred<Permit> Acquire() { return semaphore_.Acquire(); }
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
  return Acquire().Then([f = std::forward<F>(f)](Permit permit) mutable {
    return MaybeDeferred(std::move(f)).Both([permit = std::move(permit)](auto result) mutable {
      permit.Release().IgnoreError();  // held until here: cannot fail
      return result;
    });
  });
}

}  // namespace braid

#endif  // BRAID_DEFERRED_DEFERRED_LOCK_H_
