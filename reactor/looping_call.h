// LoopingCall: calling a function every interval — Twisted's task.LoopingCall.
//
// Start(interval) calls the function now (unless told not to) and then once per interval, on
// beats aligned with the start time: if the loop falls behind, the missed beats are skipped, not
// run in a burst, and WithCount tells the function how many beats passed since its last call. A
// function that returns a Deferred delays the next call until that Deferred fires. Start returns
// a Deferred that fires when Stop() is called, or fails with the function's error (which also
// stops the loop).
//
//   LoopingCall heartbeat(reactor, [&] { return SendHeartbeat(); });
//   heartbeat.Start(absl::Seconds(1)).Catch([](absl::Status e) { ... });
//
// Threading: the loop's thread. Destroying a LoopingCall stops it (its Deferred fires as for
// Stop); a call in progress then finishes on its own.

#ifndef BRAID_REACTOR_LOOPING_CALL_H_
#define BRAID_REACTOR_LOOPING_CALL_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"

namespace braid {

// Selects the constructor whose function is told how many beats passed (Twisted's withCount).
struct CountBeats {};

class LoopingCall {
 public:
  // `f()` may return void, an absl::Status or a Deferred<void>.
  template <typename F>
  LoopingCall(ReactorTime& time, F f)
      : time_(time), f_([f = std::move(f)](int64_t) mutable { return MaybeDeferred(f); }) {}

  // `f(beats)` gets how many intervals passed since its previous call: 1 when on time (and at the
  // first call), more when the loop fell behind and beats were skipped.
  template <typename F>
  LoopingCall(ReactorTime& time, CountBeats, F f)
      : time_(time), f_([f = std::move(f)](int64_t beats) mutable {
          return MaybeDeferred([&f, beats] { return f(beats); });
        }) {}

  LoopingCall(const LoopingCall&) = delete;
  LoopingCall& operator=(const LoopingCall&) = delete;
  ~LoopingCall();

  // Starts calling. REQUIRES: not running; interval >= 0 (zero calls as often as the loop turns).
  // Started again while a call of the previous run is still in progress, the previous run's
  // Deferred fires at once and that call's end no longer matters.
  Deferred<void> Start(absl::Duration interval, bool now = true);

  // Stops calling; the Deferred Start returned fires (at once, or when the call in progress ends).
  // kFailedPrecondition, and nothing changes, if it is not running (Twisted asserts there).
  absl::Status Stop();

  bool running() const { return running_; }
  absl::Duration interval() const { return interval_; }

 private:
  void Call();
  void ScheduleFrom(absl::Time when);
  void Finish(absl::Status result);

  ReactorTime& time_;
  absl::AnyInvocable<Deferred<void>(int64_t)> f_;
  absl::Duration interval_ = absl::ZeroDuration();
  absl::Time start_;
  int64_t last_beat_ = 0;  // the beat of the last call
  uint64_t run_ = 0;       // which Start this is; a call from an earlier run ends quietly
  bool running_ = false;
  bool in_call_ = false;  // waiting for the Deferred the function returned
  DelayedCall next_;
  std::optional<Deferred<void>> done_;
  // Lets a call in progress that outlives this LoopingCall find out.
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_LOOPING_CALL_H_
