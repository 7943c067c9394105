// Deferred<T>: a result that is not there yet — Twisted's Deferred, typed.
//
// A Deferred is fired once, with a T (Callback) or an error (Errback); the callbacks and errbacks
// added to it run in order, each receiving what the previous one returned. Callbacks added after
// the Deferred fired run at once. Errors are absl::Status values (Twisted's Failure).
//
//   Deferred<Reply> reply = link.Request(message);       // fires later
//   reply.Then([](Reply r) { return r.size(); })         // Deferred<size_t>
//        .Then([](size_t n) -> absl::Status { ... })     // Deferred<void>, or its error
//        .Catch([](absl::Status e) { return Log(e); });  // recover
//
// A callback may return:
//   U                  the chain continues with a U
//   absl::StatusOr<U>  with a U, or with the error
//   absl::Status       with no value (Deferred<void>), or with the error
//   void               with no value
//   Deferred<U>        the chain pauses until that Deferred fires, then continues with its result
//                      (Twisted's chaining); a chain never recurses, however long it grows
//
// Handles and chains. A Deferred<T> is a cheap, copyable handle; copies share one Deferred, as
// Python references do. Then/Catch/Both append to that Deferred's chain (Twisted's addCallback,
// addErrback, addBoth) and return a handle typed for the chain's new end; keep using the returned
// handle. A handle whose type no longer matches the chain's end can still fire the Deferred and
// cancel it, but adding to it stops the program with a message.
//
// A result handed on — to a Deferred whose callback returned this one, to a coroutine that
// co_awaited it, to a DeferredList — leaves this chain, which goes on at void (Twisted's None):
// a handle of any type may still add callbacks that take no value (`Then(f())`), errbacks
// returning an absl::Status (`Catch`) or `Both(f(absl::Status))`, and they run in order.
// A callback that returns the very Deferred it was added to fails the chain (kFailedPrecondition)
// instead of waiting for itself forever.
//
// Errors nobody handled are reported when the Deferred is destroyed (see unhandled_error.h).
// Callbacks report failure by returning it; an exception escaping a callback terminates.
//
// Threading: a Deferred and everything chained to it belong to one thread (the reactor's). No
// locks, no atomics.

#ifndef BRAID_DEFERRED_DEFERRED_H_
#define BRAID_DEFERRED_DEFERRED_H_

#include <concepts>
#include <coroutine>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deferred/errors.h"
#include "deferred/internal/core.h"
#include "deferred/reactor_time.h"
#include "deferred/result.h"

namespace braid {
namespace deferred_internal {

struct Access;
template <typename T>
class Promise;
template <typename T, typename F>
class Canceller;
[[noreturn]] void DieOnTypeMismatch(TypeId expected, TypeId actual, const char* operation);
[[noreturn]] void DieOnEmptyHandle(const char* operation);

}  // namespace deferred_internal

template <typename T>
class Deferred {
  // The argument type of Callback (a placeholder for Deferred<void>, whose Callback takes none).
  struct NoValue {};
  using CallbackArg = std::conditional_t<std::is_void_v<T>, NoValue, T>;

 public:
  using value_type = T;
  using promise_type = deferred_internal::Promise<T>;

  // A new, unfired Deferred.
  Deferred() : core_(deferred_internal::Core::New<T>()) {}

  // A new, unfired Deferred whose Cancel() first calls `canceller(*this)` — which may fire it,
  // e.g. with a value or an error of its own (Twisted's canceller argument).
  template <typename F, std::enable_if_t<std::is_invocable_v<F&, Deferred<T>&>, int> = 0>
  explicit Deferred(F canceller) : Deferred() {
    core_->SetCancelHook(new deferred_internal::Canceller<T, F>(std::move(canceller)),
                         /*owned=*/true);
  }

  Deferred(const Deferred&) = default;
  Deferred(Deferred&&) noexcept = default;
  Deferred& operator=(const Deferred&) = default;
  Deferred& operator=(Deferred&&) noexcept = default;
  ~Deferred() = default;

  // --- Firing. Each returns AlreadyCalledError (and changes nothing) if the Deferred has fired,
  // except for the one late result of an operation that was cancelled without a canceller,
  // which is silently dropped, as in Twisted.

  template <typename U = T, std::enable_if_t<!std::is_void_v<U>, int> = 0>
  absl::Status Callback(CallbackArg value) {
    deferred_internal::Core* core = CheckHandle("Callback");
    if (core->called()) return core->RefuseSecondFire();
    CheckHead(core, "Callback");
    core->value().template Emplace<T>(std::move(value));
    core->Fire();
    return absl::OkStatus();
  }
  template <typename U = T, std::enable_if_t<std::is_void_v<U>, int> = 0>
  absl::Status Callback() {
    deferred_internal::Core* core = CheckHandle("Callback");
    if (core->called()) return core->RefuseSecondFire();
    CheckHead(core, "Callback");
    core->Fire();
    return absl::OkStatus();
  }
  // Fires with `error`. An OK status is no error: kInvalidArgument, and the Deferred stays
  // unfired (Twisted refuses errback(None) without a failure in hand).
  absl::Status Errback(absl::Status error);
  // Callback or Errback, whichever `result` holds.
  absl::Status Fire(Result<T> result);

  // --- The chain. Each returns a handle to this same Deferred, typed for the chain's new end.

  // Runs `on_value(T)` (or `on_value()` for Deferred<void>) on success; errors pass by.
  template <typename F>
  auto Then(F&& on_value) &;
  template <typename F>
  auto Then(F&& on_value) &&;

  // Runs `on_value` on success or `on_error(absl::Status)` on error (Twisted's addCallbacks);
  // both must continue the chain with the same type.
  template <typename F, typename G>
  auto Then(F&& on_value, G&& on_error) &;
  template <typename F, typename G>
  auto Then(F&& on_value, G&& on_error) &&;

  // Runs `on_error(absl::Status)` on error; values pass by. The errback recovers by returning a
  // T (or absl::StatusOr<T> / Deferred<T>; absl::Status for Deferred<void>), or passes an error
  // on by returning it.
  template <typename G>
  auto Catch(G&& on_error) &;
  template <typename G>
  auto Catch(G&& on_error) &&;

  // Runs `f(Result<T>)` whatever happened (Twisted's addBoth).
  template <typename F>
  auto Both(F&& f) &;
  template <typename F>
  auto Both(F&& f) &&;

  // Hands this chain's result to `other` (Twisted's chainDeferred); this chain goes on with no
  // value, or with the error `other` refused the result with.
  Deferred<void> ChainDeferred(Deferred<T> other);

  // --- Control.

  // Stops running callbacks until a matching Unpause; results wait.
  void Pause() { CheckHandle("Pause")->Pause(); }
  void Unpause() { CheckHandle("Unpause")->Unpause(); }

  // Twisted's cancel(). Unfired: calls the canceller, then, if still unfired, fails with
  // CancelledError. Waiting for a Deferred a callback returned: cancels that one. Fired: nothing.
  void Cancel() { CheckHandle("Cancel")->Cancel(); }

  // Cancels this Deferred if its chain has not reached this point `timeout` from now on `time`
  // (it has not fired, or waits for a Deferred a callback returned), and then fails it with
  // TimeoutError(timeout) instead of CancelledError (Twisted's addTimeout). The timer stops when
  // the result arrives. If `time` is destroyed first, the timeout is simply dropped. A timeout of
  // zero or less has passed already: it comes due on the clock's next turn.
  Deferred<T>& AddTimeout(ReactorTime& time, absl::Duration timeout);
  // As above, but when the time runs out the chain continues with
  // `on_timeout(Result<T> result, absl::Duration timeout)` -> Result<T> (Twisted's
  // onTimeoutCancel), given the result the cancellation produced.
  template <typename F>
  Deferred<T>& AddTimeout(ReactorTime& time, absl::Duration timeout, F on_timeout);

  // --- State.

  bool called() const { return CheckHandle("called")->called(); }
  bool paused() const { return CheckHandle("paused")->paused(); }
  // False only for a moved-from handle.
  bool valid() const { return static_cast<bool>(core_); }

  // Identity, as Python's `is`: whether two handles refer to the same Deferred.
  friend bool operator==(const Deferred& a, const Deferred& b) {
    return a.core_.get() == b.core_.get();
  }

 private:
  friend struct deferred_internal::Access;
  template <typename U>
  friend class Deferred;

  explicit Deferred(deferred_internal::CoreRef core) : core_(std::move(core)) {}

  deferred_internal::Core* CheckHandle(const char* operation) const {
    if (!core_) deferred_internal::DieOnEmptyHandle(operation);
    return core_.get();
  }
  // Checks that the chain began with a T, as firing with a value requires. REQUIRES: unfired.
  static void CheckHead(deferred_internal::Core* core, const char* operation) {
    if (core->head_type() != deferred_internal::TypeIdOf<T>()) {
      deferred_internal::DieOnTypeMismatch(core->head_type(), deferred_internal::TypeIdOf<T>(),
                                           operation);
    }
  }
  // Checks that this handle's type is the chain's current end, as adding a stage requires.
  void CheckTail(const char* operation) const {
    deferred_internal::Core* core = CheckHandle(operation);
    if (core->tail_type() != deferred_internal::TypeIdOf<T>()) {
      deferred_internal::DieOnTypeMismatch(deferred_internal::TypeIdOf<T>(), core->tail_type(),
                                           operation);
    }
  }
  // This chain as a Deferred<void>, for a callback that takes no value: the chain must be at void
  // (its value moved on).
  Deferred<void> AtVoid(const char* operation) && {
    deferred_internal::Core* core = CheckHandle(operation);
    if (core->tail_type() != deferred_internal::TypeIdOf<void>()) {
      deferred_internal::DieOnTypeMismatch(deferred_internal::TypeIdOf<void>(), core->tail_type(),
                                           operation);
    }
    return Deferred<void>(std::move(core_));
  }
  // Appends stage S, which leaves a U, and returns a handle of that type.
  template <typename U, typename S, typename... Args>
  Deferred<U> Extend(deferred_internal::CoreRef core, Args&&... args) const;

  deferred_internal::CoreRef core_;
};

// A Deferred that has already fired with `value` (Twisted's succeed).
template <typename T>
Deferred<std::decay_t<T>> Succeed(T&& value);
Deferred<void> Succeed();

// A Deferred of type T that has already failed with `error` (Twisted's fail).
template <typename T>
Deferred<T> Fail(absl::Status error);

// Calls `f()` now and wraps what it returns in a Deferred: a value or an error in a fired one, a
// Deferred as it is (Twisted's maybeDeferred).
template <typename F>
auto MaybeDeferred(F&& f);

}  // namespace braid

// How it works: the stages, the typed glue over the untyped Core, and the templates above.
#include "deferred/internal/deferred_impl.h"  // IWYU pragma: export

// Coroutines over Deferreds; they need all of the above.
#include "deferred/internal/coroutine.h"  // IWYU pragma: export

#endif  // BRAID_DEFERRED_DEFERRED_H_
