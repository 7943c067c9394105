#include "reactor/fake_clock.h"

#include <utility>

#include "glog/logging.h"

namespace braid {

FakeClock::~FakeClock() {
  // Destroy the pending functions while this FakeClock can still answer their destructors (a
  // timeout stage cancelling its timer, say).
  std::vector<TimerQueue::Function> pending = queue_.TakeAll();
  pending.clear();
}

DelayedCall FakeClock::CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) {
  if (delay < absl::ZeroDuration()) return RefuseNegativeDelay(delay);
  return DelayedCall(this, queue_.Schedule(now_ + delay, std::move(f)));
}

std::vector<DelayedCall> FakeClock::DelayedCalls() { return queue_.PendingCalls(this); }

void FakeClock::Advance(absl::Duration amount) {
  CHECK_GE(amount, absl::ZeroDuration()) << "FakeClock::Advance cannot go back in time";
  now_ += amount;
  RunDue();
}

void FakeClock::Pump(absl::Span<const absl::Duration> amounts) {
  for (absl::Duration amount : amounts) Advance(amount);
}

bool FakeClock::AdvanceToNextCall() {
  std::optional<absl::Time> next = queue_.NextDue();
  if (!next.has_value()) return false;
  if (*next > now_) now_ = *next;
  RunDue();
  return true;
}

void FakeClock::RunDue() {
  while (std::optional<TimerQueue::Function> f = queue_.PopDue(now_)) (*f)();
}

}  // namespace braid
