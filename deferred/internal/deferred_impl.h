// The implementation half of deferred.h: the stages a chain is made of, the typed glue between
// Deferred<T> handles and the untyped Core, and the definitions of Deferred's templates.
//
// Included by deferred.h; not for direct use.

#ifndef BRAID_DEFERRED_INTERNAL_DEFERRED_IMPL_H_
#define BRAID_DEFERRED_INTERNAL_DEFERRED_IMPL_H_

#include <algorithm>
#include <functional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/internal/core.h"
#include "deferred/reactor_time.h"
#include "deferred/result.h"

namespace braid {

namespace deferred_internal {

// Friend access for the rest of deferred/.
struct Access {
  template <typename T>
  static Deferred<T> Wrap(CoreRef core) {
    return Deferred<T>(std::move(core));
  }
  template <typename T>
  static Core* CoreOf(const Deferred<T>& d) {
    return d.CheckHandle("use");
  }
  // The Core, checked to end in T (as adding a stage requires).
  template <typename T>
  static Core* CheckedCore(const Deferred<T>& d, const char* operation) {
    d.CheckTail(operation);
    return d.core_.get();
  }
  template <typename T>
  static CoreRef TakeCore(Deferred<T>&& d) {
    d.CheckTail("hand on");
    return std::move(d.core_);
  }
};

// Takes the current result out of `core` as a Result<T>. REQUIRES: the chain's end is T and the
// Core has fired.
template <typename T>
Result<T> TakeResult(Core& core) {
  if (!core.error().ok()) return Result<T>(std::exchange(core.error(), absl::OkStatus()));
  if constexpr (std::is_void_v<T>) {
    return absl::OkStatus();
  } else {
    return Result<T>(core.value().template Take<T>());
  }
}

// Makes `result` the current result of `core`.
template <typename T>
void PutResult(Core& core, Result<T>&& result) {
  if constexpr (std::is_void_v<T>) {
    core.error() = std::move(result);
  } else if (result.ok()) {
    core.value().template Emplace<T>(*std::move(result));
  } else {
    core.error() = std::move(result).status();
  }
}

// Makes what a callback returned the chain's current result (see the table at the top). Returns
// the Core to adopt when the callback returned a Deferred.
template <typename U, typename R>
Core* Apply(Core& core, R&& returned) {
  using Returned = std::remove_cvref_t<R>;
  if constexpr (IsDeferred<Returned>::value) {
    if (Access::CoreOf(returned) == &core) {
      core.error() = absl::FailedPreconditionError(
          "a callback returned the Deferred it was added to; it cannot wait for itself");
      return nullptr;
    }
    return Access::TakeCore(Deferred<U>(std::forward<R>(returned))).release();
  } else if constexpr (std::is_same_v<Returned, absl::Status>) {
    core.error() = std::forward<R>(returned);
    return nullptr;
  } else if constexpr (std::is_same_v<Returned, absl::StatusOr<U>>) {
    PutResult<U>(core, std::forward<R>(returned));
    return nullptr;
  } else {
    core.value().template Emplace<U>(std::forward<R>(returned));
    return nullptr;
  }
}

// Calls `f(args...)` and applies what it returned.
template <typename U, typename F, typename... Args>
Core* InvokeAndApply(Core& core, F& f, Args&&... args) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, Args&&...>>) {
    std::invoke(f, std::forward<Args>(args)...);
    return nullptr;
  } else {
    return Apply<U>(core, std::invoke(f, std::forward<Args>(args)...));
  }
}

// What a callback on a T value returns, and the chain type it leaves.
template <typename T, typename F>
struct OnValue {
  using Returned =
      std::conditional_t<std::is_void_v<T>, std::invoke_result<F&>,
                         std::invoke_result<F&, std::conditional_t<std::is_void_v<T>, int, T>&&>>;
  using type = typename Returned::type;
};
template <typename T, typename F>
using OnValueReturn = typename OnValue<T, F>::type;
template <typename F>
using OnErrorReturn = std::invoke_result_t<F&, absl::Status&&>;
template <typename T, typename F>
using OnResultReturn = std::invoke_result_t<F&, Result<T>&&>;

struct Absent {};

// Whether a callback added through a Deferred<T> handle takes no value although T has one — what
// may be added to a chain whose value has moved on (see AtVoid).
template <typename T, typename F>
constexpr bool ThenTakesNoValue() {
  if constexpr (std::is_void_v<T>) {
    return false;
  } else {
    return !std::is_invocable_v<F&, T&&> && std::is_invocable_v<F&>;
  }
}
template <typename T, typename F>
constexpr bool BothTakesNoValue() {
  if constexpr (std::is_void_v<T>) {
    return false;
  } else {
    return !std::is_invocable_v<F&, Result<T>&&> && std::is_invocable_v<F&, absl::Status&&>;
  }
}
template <typename T, typename G>
constexpr bool CatchLeavesNoValue() {
  if constexpr (std::is_void_v<T>) {
    return false;
  } else {
    return std::is_void_v<ChainValue<std::invoke_result_t<G&, absl::Status&&>>>;
  }
}

// A callback/errback pair; either may be Absent, in which case that kind of result passes by.
template <typename T, typename U, typename OnValueFn, typename OnErrorFn>
class ThenStage final : public StageOf<ThenStage<T, U, OnValueFn, OnErrorFn>> {
 public:
  template <typename F, typename G>
  ThenStage(F&& on_value, G&& on_error)
      : on_value_(std::forward<F>(on_value)), on_error_(std::forward<G>(on_error)) {}

  Core* Run(Core& core) noexcept {
    if (core.error().ok()) {
      if constexpr (std::is_same_v<OnValueFn, Absent>) {
        return nullptr;
      } else if constexpr (std::is_void_v<T>) {
        return InvokeAndApply<U>(core, on_value_);
      } else {
        return InvokeAndApply<U>(core, on_value_, core.value().template Take<T>());
      }
    }
    if constexpr (std::is_same_v<OnErrorFn, Absent>) {
      return nullptr;
    } else {
      absl::Status error = std::exchange(core.error(), absl::OkStatus());
      return InvokeAndApply<U>(core, on_error_, std::move(error));
    }
  }

 private:
  [[no_unique_address]] OnValueFn on_value_;
  [[no_unique_address]] OnErrorFn on_error_;
};

template <typename T, typename U, typename F>
class BothStage final : public StageOf<BothStage<T, U, F>> {
 public:
  template <typename G>
  explicit BothStage(G&& f) : f_(std::forward<G>(f)) {}

  Core* Run(Core& core) noexcept { return InvokeAndApply<U>(core, f_, TakeResult<T>(core)); }

 private:
  F f_;
};

// A canceller given to Deferred's constructor.
template <typename T, typename F>
class Canceller final : public CancelHook {
 public:
  explicit Canceller(F f) : f_(std::move(f)) {}
  bool OnCancel(Core& core) override {
    core.AddRef();
    Deferred<T> self = Access::Wrap<T>(CoreRef(&core));
    std::invoke(f_, self);
    return true;
  }

 private:
  F f_;
};

// AddTimeout's stage: stops the timer when the result arrives and, if the timer fired first,
// passes the result through the on-timeout function. It needs no destructor: the timer holds a
// reference to the Core, so the stage cannot die unrun while the timer is pending.
template <typename T, typename F>
class TimeoutStage final : public StageOf<TimeoutStage<T, F>> {
 public:
  TimeoutStage(absl::Duration timeout, F on_timeout)
      : timeout_(timeout), on_timeout_(std::move(on_timeout)) {}
  void Arm(DelayedCall timer) { timer_ = timer; }
  // The timer's function was dropped unrun (its ReactorTime is gone, say): forget the timer.
  void Disarm() { timer_ = DelayedCall(); }
  void TimedOut() { timed_out_ = true; }

  Core* Run(Core& core) noexcept {
    if (!timed_out_) {
      timer_.Cancel().IgnoreError();  // pending, or ran: either way it is done with
      return nullptr;
    }
    PutResult<T>(core, std::invoke(on_timeout_, TakeResult<T>(core), timeout_));
    return nullptr;
  }

 private:
  absl::Duration timeout_;
  F on_timeout_;
  DelayedCall timer_;
  bool timed_out_ = false;
};

}  // namespace deferred_internal

template <typename T>
absl::Status Deferred<T>::Errback(absl::Status error) {
  deferred_internal::Core* core = CheckHandle("Errback");
  if (error.ok()) {
    return absl::InvalidArgumentError("Errback needs an error; it was given an OK status");
  }
  if (core->called()) return core->RefuseSecondFire();
  core->error() = std::move(error);
  core->Fire();
  return absl::OkStatus();
}

template <typename T>
absl::Status Deferred<T>::Fire(Result<T> result) {
  if constexpr (std::is_void_v<T>) {
    return result.ok() ? Callback() : Errback(std::move(result));
  } else {
    return result.ok() ? Callback(*std::move(result)) : Errback(std::move(result).status());
  }
}

template <typename T>
template <typename U, typename S, typename... Args>
Deferred<U> Deferred<T>::Extend(deferred_internal::CoreRef core, Args&&... args) const {
  core->set_tail_type(deferred_internal::TypeIdOf<U>());
  core->template AddStage<S>(std::forward<Args>(args)...);
  return Deferred<U>(std::move(core));
}

template <typename T>
template <typename F>
auto Deferred<T>::Then(F&& on_value) & {
  if constexpr (deferred_internal::ThenTakesNoValue<T, std::decay_t<F>>()) {
    return Deferred(*this).AtVoid("Then").Then(std::forward<F>(on_value));
  } else {
    using U = deferred_internal::ChainValue<deferred_internal::OnValueReturn<T, std::decay_t<F>>>;
    CheckTail("Then");
    return Extend<U,
                  deferred_internal::ThenStage<T, U, std::decay_t<F>, deferred_internal::Absent>>(
        core_, std::forward<F>(on_value), deferred_internal::Absent{});
  }
}

template <typename T>
template <typename F>
auto Deferred<T>::Then(F&& on_value) && {
  if constexpr (deferred_internal::ThenTakesNoValue<T, std::decay_t<F>>()) {
    return std::move(*this).AtVoid("Then").Then(std::forward<F>(on_value));
  } else {
    using U = deferred_internal::ChainValue<deferred_internal::OnValueReturn<T, std::decay_t<F>>>;
    CheckTail("Then");
    return Extend<U,
                  deferred_internal::ThenStage<T, U, std::decay_t<F>, deferred_internal::Absent>>(
        std::move(core_), std::forward<F>(on_value), deferred_internal::Absent{});
  }
}

template <typename T>
template <typename F, typename G>
auto Deferred<T>::Then(F&& on_value, G&& on_error) & {
  return Deferred(*this).Then(std::forward<F>(on_value), std::forward<G>(on_error));
}

template <typename T>
template <typename F, typename G>
auto Deferred<T>::Then(F&& on_value, G&& on_error) && {
  using U = deferred_internal::ChainValue<deferred_internal::OnValueReturn<T, std::decay_t<F>>>;
  static_assert(
      std::is_same_v<
          U, deferred_internal::ChainValue<deferred_internal::OnErrorReturn<std::decay_t<G>>>>,
      "Then(on_value, on_error): both must continue the chain with the same type");
  CheckTail("Then");
  return Extend<U, deferred_internal::ThenStage<T, U, std::decay_t<F>, std::decay_t<G>>>(
      std::move(core_), std::forward<F>(on_value), std::forward<G>(on_error));
}

template <typename T>
template <typename G>
auto Deferred<T>::Catch(G&& on_error) & {
  return Deferred(*this).Catch(std::forward<G>(on_error));
}

template <typename T>
template <typename G>
auto Deferred<T>::Catch(G&& on_error) && {
  if constexpr (deferred_internal::CatchLeavesNoValue<T, std::decay_t<G>>()) {
    return std::move(*this).AtVoid("Catch").Catch(std::forward<G>(on_error));
  } else {
    static_assert(
        std::is_same_v<
            T, deferred_internal::ChainValue<deferred_internal::OnErrorReturn<std::decay_t<G>>>>,
        "an errback on a Deferred<T> recovers with a T, an absl::StatusOr<T> or a Deferred<T> "
        "(an absl::Status for Deferred<void>)");
    CheckTail("Catch");
    return Extend<T,
                  deferred_internal::ThenStage<T, T, deferred_internal::Absent, std::decay_t<G>>>(
        std::move(core_), deferred_internal::Absent{}, std::forward<G>(on_error));
  }
}

template <typename T>
template <typename F>
auto Deferred<T>::Both(F&& f) & {
  return Deferred(*this).Both(std::forward<F>(f));
}

template <typename T>
template <typename F>
auto Deferred<T>::Both(F&& f) && {
  if constexpr (deferred_internal::BothTakesNoValue<T, std::decay_t<F>>()) {
    return std::move(*this).AtVoid("Both").Both(std::forward<F>(f));
  } else {
    using U = deferred_internal::ChainValue<deferred_internal::OnResultReturn<T, std::decay_t<F>>>;
    CheckTail("Both");
    return Extend<U, deferred_internal::BothStage<T, U, std::decay_t<F>>>(std::move(core_),
                                                                          std::forward<F>(f));
  }
}

template <typename T>
Deferred<void> Deferred<T>::ChainDeferred(Deferred<T> other) {
  return Both([other = std::move(other)](Result<T> result) mutable {
    return other.Fire(std::move(result));
  });
}

template <typename T>
Deferred<T>& Deferred<T>::AddTimeout(ReactorTime& time, absl::Duration timeout) {
  return AddTimeout(time, timeout, [](Result<T> result, absl::Duration after) -> Result<T> {
    if (absl::IsCancelled(StatusOf(result))) return TimeoutError(after);
    return result;
  });
}

template <typename T>
template <typename F>
Deferred<T>& Deferred<T>::AddTimeout(ReactorTime& time, absl::Duration timeout, F on_timeout) {
  CheckTail("AddTimeout");
  deferred_internal::Core* core = core_.get();
  // A Deferred that has fired and is not waiting (on a Deferred a callback returned, or paused)
  // has nothing left to time out.
  if (core->runs_stages_now()) return *this;
  using Stage = deferred_internal::TimeoutStage<T, F>;
  // The Deferred is unfired, so the stage is appended without running; it stays alive (and the
  // pointer valid) until the Deferred fires, and it stops the timer when it runs or dies.
  core->template AddStage<Stage>(timeout, std::move(on_timeout));
  Stage* stage = static_cast<Stage*>(core->last_stage());
  // What the timer holds: the stage, and a reference that keeps it (in its Core) alive. If the
  // timer is dropped without running, the stage is told first, before the reference goes.
  struct Hold {
    Stage* stage;
    deferred_internal::CoreRef core;
    Hold(Stage* s, deferred_internal::CoreRef c) : stage(s), core(std::move(c)) {}
    Hold(Hold&& other) noexcept
        : stage(std::exchange(other.stage, nullptr)), core(std::move(other.core)) {}
    ~Hold() {
      if (stage != nullptr) stage->Disarm();
    }
  };
  core->AddRef();
  stage->Arm(time.CallLater(std::max(timeout, absl::ZeroDuration()),
                            [hold = Hold(stage, deferred_internal::CoreRef(core))]() mutable {
                              Stage* stage = std::exchange(hold.stage, nullptr);
                              stage->TimedOut();
                              hold.core->Cancel();
                            }));
  return *this;
}

template <typename T>
Deferred<std::decay_t<T>> Succeed(T&& value) {
  Deferred<std::decay_t<T>> d;
  d.Callback(std::forward<T>(value)).IgnoreError();
  return d;
}

inline Deferred<void> Succeed() {
  Deferred<void> d;
  d.Callback().IgnoreError();
  return d;
}

template <typename T>
Deferred<T> Fail(absl::Status error) {
  Deferred<T> d;
  d.Errback(std::move(error)).IgnoreError();
  return d;
}

template <typename F>
auto MaybeDeferred(F&& f) {
  return Succeed().Then(std::forward<F>(f));
}

}  // namespace braid

#endif  // BRAID_DEFERRED_INTERNAL_DEFERRED_IMPL_H_
