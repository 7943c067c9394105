// FakeClock: fake reactor time for tests — Twisted's twisted.internet.task.Clock.
//
// Time stands still until the test moves it. Advance(d) moves it forward and runs, in deadline
// order, every call that has come due; calls due at the same time run first-in, first-out; a call
// scheduled while advancing for a time already passed runs in that same advance, as in Twisted.
// Unlike Twisted's FakeClock, which re-sorts a list on every call, each operation is O(log n).
//
//   FakeClock clock;
//   Deferred<Reply> reply = link.Request(message);   // with a 5 s timeout on `clock`
//   clock.Advance(absl::Seconds(5));
//   EXPECT_THAT(ResultNow(reply), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
//
// Threading: one thread.

#ifndef BRAID_REACTOR_FAKE_CLOCK_H_
#define BRAID_REACTOR_FAKE_CLOCK_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "deferred/reactor_time.h"
#include "reactor/timer_queue.h"

namespace braid {

class FakeClock final : public ReactorTime {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;
  // Pending calls are dropped without running.
  ~FakeClock() override;

  absl::Time Now() const override { return now_; }
  DelayedCall CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) override;

  // Moves time forward by `amount` (zero runs what is due now) and runs the calls that come due.
  // REQUIRES: amount >= 0.
  void Advance(absl::Duration amount);

  // Advance by each amount in turn (Twisted's pump).
  void Pump(absl::Span<const absl::Duration> amounts);
  void Pump(std::initializer_list<absl::Duration> amounts) {
    Pump(absl::Span<const absl::Duration>(amounts.begin(), amounts.size()));
  }

  // Advances straight to the next pending call and runs what is due then; false if none is
  // pending. Lets a test run a simulation to its end without guessing durations.
  bool AdvanceToNextCall();

  // Calls pending.
  size_t pending() const { return queue_.size(); }
  // The calls pending, in no particular order (Twisted's getDelayedCalls).
  std::vector<DelayedCall> DelayedCalls();

 protected:
  bool CallActive(uint64_t id) const override { return queue_.Active(id); }
  absl::Time CallTime(uint64_t id) const override { return queue_.When(id); }
  CallEnd CancelCall(uint64_t id) override { return queue_.Cancel(id); }
  bool RescheduleCall(uint64_t id, absl::Time when) override { return queue_.Reschedule(id, when); }

 private:
  void RunDue();

  absl::Time now_;
  TimerQueue queue_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_FAKE_CLOCK_H_
