// DeferLater: a Deferred for a call made later — Twisted's task.deferLater.
//
//   DeferLater(reactor, absl::Seconds(2), [] { return Retry(); })
//       .Then([](Reply r) { ... });
//
// Runs `f()` after `delay` on `time` and fires with what it returned (a value, a status or a
// Deferred's result). Cancelling the Deferred before then cancels the call; it fails with
// kCancelled.

#ifndef BRAID_REACTOR_DEFER_LATER_H_
#define BRAID_REACTOR_DEFER_LATER_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "deferred/reactor_time.h"

namespace braid {

template <typename F>
auto DeferLater(ReactorTime& time, absl::Duration delay, F f) {
  using T = deferred_internal::ChainValue<std::invoke_result_t<F&>>;
  auto call = std::make_shared<DelayedCall>();
  Deferred<T> result([call](Deferred<T>&) { call->Cancel(); });
  *call = time.CallLater(delay, [result, f = std::move(f)]() mutable {
    MaybeDeferred(std::move(f)).ChainDeferred(result);
  });
  return result;
}

}  // namespace braid

#endif  // BRAID_REACTOR_DEFER_LATER_H_
