// DeferLater: a Deferred for a call made later — Twisted's task.deferLater.
//
//   DeferLater(reactor, absl::Seconds(2), [] { return Retry(); })
//       .Then([](Reply r) { ... });
//
// Runs `f()` after `delay` on `time` and fires with what it returned (a value, a status or a
// Deferred's result). Cancelling the Deferred before then cancels the call (it fails with
// kCancelled); afterwards, it cancels the Deferred `f` returned. A negative delay is refused, as
// CallLater refuses it: the Deferred fails with kInvalidArgument and `f` never runs.

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
  auto call = std::make_shared<DelayedCall>();
  Deferred<void> due([call](Deferred<void>&) { call->Cancel().IgnoreError(); });
  *call = time.CallLater(delay, [due]() mutable { due.Callback().IgnoreError(); });
  if (absl::Status refused = call->status(); !refused.ok()) {
    due.Errback(std::move(refused)).IgnoreError();
  }
  return std::move(due).Then(std::move(f));
}

}  // namespace braid

#endif  // BRAID_REACTOR_DEFER_LATER_H_
