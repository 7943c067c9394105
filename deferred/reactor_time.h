// ReactorTime: the clock and timer interface that timeouts and delayed work need — Twisted's
// IReactorTime. The real reactor and the FakeClock of tests (both in reactor/) implement it;
// this layer only consumes it, so deferred/ does not depend on reactor/.
//
// Threading: like everything in deferred/, a ReactorTime is used from one thread (its loop's).
//
//   DelayedCall call = time.CallLater(absl::Seconds(5), [] { ... });
//   call.Reset(absl::Seconds(10));   // push it back
//   call.Cancel();                   // it will not run

#ifndef BRAID_DEFERRED_REACTOR_TIME_H_
#define BRAID_DEFERRED_REACTOR_TIME_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace braid {

class ReactorTime;

// A handle to a call scheduled with ReactorTime::CallLater (Twisted's IDelayedCall). A cheap
// value; copies refer to the same call. A default-constructed DelayedCall refers to nothing and is
// never active. REQUIRES: a DelayedCall is not used after its ReactorTime is destroyed.
class DelayedCall {
 public:
  DelayedCall() = default;
  DelayedCall(ReactorTime* time, uint64_t id) : time_(time), id_(id) {}
  // What CallLater gives for a call it refused (a negative delay): never active; status() and
  // every operation report the refusal.
  static DelayedCall Refused(ReactorTime* time) { return DelayedCall(time, kRefusedId); }

  // kInvalidArgument for a refused call, OK otherwise.
  absl::Status status() const;

  // True until the call has run or been cancelled.
  bool Active() const;

  // When the call is due. REQUIRES: Active().
  absl::Time Time() const;

  // Stops the call from running: OK if it was pending. Otherwise nothing changes and the error
  // says which case it was, as Twisted's exceptions do: AlreadyCancelledError() or
  // AlreadyCalledError for a call that ran (IsAlreadyCancelled / IsAlreadyCalled below), or a
  // plain kFailedPrecondition when the clock no longer remembers how a long-finished call ended.
  absl::Status Cancel();

  // Makes the call due `delay` from now. kFailedPrecondition if it is no longer active.
  absl::Status Reset(absl::Duration delay);

  // Pushes the call's due time back by `extra`. kFailedPrecondition if it is no longer active.
  absl::Status Delay(absl::Duration extra);

 private:
  static constexpr uint64_t kRefusedId = UINT64_MAX;
  ReactorTime* time_ = nullptr;
  uint64_t id_ = 0;
};

// What DelayedCall::Cancel reports for a call cancelled before, and for one that already ran
// (Twisted's AlreadyCancelled and AlreadyCalled); both kFailedPrecondition.
absl::Status DelayedCallAlreadyCancelledError();
absl::Status DelayedCallAlreadyCalledError();
bool IsAlreadyCancelled(const absl::Status& status);
bool IsAlreadyCalled(const absl::Status& status);

// How a call that is not pending ended, as far as its clock remembers.
enum class CallEnd { kPending, kRan, kCancelled, kUnknown };

class ReactorTime {
 public:
  virtual ~ReactorTime() = default;

  // The current time on this clock. For the real reactor it is monotonic (not wall time).
  virtual absl::Time Now() const = 0;

  // Runs `f` on this clock's loop once `delay` has passed (on the next turn, if `delay` is zero).
  // Calls due at the same time run in the order they were scheduled. A negative delay is refused,
  // as in Twisted: `f` is dropped, the error is logged and the DelayedCall returned is
  // DelayedCall::Refused.
  virtual DelayedCall CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) = 0;

 protected:
  friend class DelayedCall;
  // The operations behind DelayedCall, by the id CallLater gave out. Ids are never reused, so a
  // stale id is simply inactive.
  virtual bool CallActive(uint64_t id) const = 0;
  virtual absl::Time CallTime(uint64_t id) const = 0;
  // Cancels call `id` if it is pending (kPending: it was); otherwise tells how it ended.
  virtual CallEnd CancelCall(uint64_t id) = 0;
  virtual bool RescheduleCall(uint64_t id, absl::Time when) = 0;

  // For implementations of CallLater: logs the refusal of a negative delay and returns the
  // refused call.
  DelayedCall RefuseNegativeDelay(absl::Duration delay);
};

}  // namespace braid

#endif  // BRAID_DEFERRED_REACTOR_TIME_H_
