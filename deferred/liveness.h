// Liveness: how a callback that may run after its owner is gone tells that it is gone.
//
// An object whose callbacks may outlive it — timers, Deferred stages, calls queued for a later
// turn — keeps a Liveness member and gives each such callback a token, which the callback checks
// before it touches the object:
//
//   time_.CallLater(delay, [this, alive = liveness_.token()] {
//     if (alive) Tick();
//   });
//
// End() (first thing in the owner's destructor, before its other members go) or destroying the
// Liveness turns every token false. Single-threaded, like everything the reactor runs: tokens are
// read on the thread that owns the object.

#ifndef BRAID_DEFERRED_LIVENESS_H_
#define BRAID_DEFERRED_LIVENESS_H_

#include <memory>
#include <utility>

namespace braid {

class Liveness {
 public:
  // Whether the owner is still alive. Cheap to copy.
  class Token {
   public:
    explicit operator bool() const { return *flag_; }

   private:
    friend class Liveness;
    explicit Token(std::shared_ptr<const bool> flag) : flag_(std::move(flag)) {}
    std::shared_ptr<const bool> flag_;
  };

  Liveness() = default;
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;
  ~Liveness() { End(); }

  Token token() const { return Token(flag_); }
  // Turns every token false; for the owner's destructor, so that nothing its members' destruction
  // runs mistakes the half-destroyed owner for a live one.
  void End() { *flag_ = false; }

 private:
  std::shared_ptr<bool> flag_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_DEFERRED_LIVENESS_H_
