#include "reactor/looping_call.h"

#include <utility>

#include "glog/logging.h"

namespace braid {

LoopingCall::~LoopingCall() {
  liveness_.End();
  next_.Cancel().IgnoreError();  // pending or not, it must not run
  if (done_.has_value()) Finish(absl::OkStatus());
}

Deferred<void> LoopingCall::Start(absl::Duration interval, bool now) {
  CHECK(!running_) << "LoopingCall::Start on a running LoopingCall";
  CHECK_GE(interval, absl::ZeroDuration()) << "LoopingCall interval must not be negative";
  Finish(absl::OkStatus());  // a previous run still waiting for its last call
  ++run_;
  in_call_ = false;
  running_ = true;
  interval_ = interval;
  start_ = time_.Now();
  last_beat_ = now ? -1 : 0;
  done_.emplace();
  Deferred<void> done = *done_;
  if (now) {
    Call();
  } else {
    ScheduleFrom(start_);
  }
  return done;
}

absl::Status LoopingCall::Stop() {
  if (!running_) {
    return absl::FailedPreconditionError("LoopingCall::Stop: the loop is not running");
  }
  running_ = false;
  next_.Cancel().IgnoreError();  // not pending while a call is in progress
  if (!in_call_) Finish(absl::OkStatus());
  return absl::OkStatus();
}

void LoopingCall::Call() {
  int64_t beat = last_beat_ + 1;
  if (interval_ > absl::ZeroDuration()) {
    absl::Duration remainder;
    beat = absl::IDivDuration(time_.Now() - start_, interval_, &remainder);
  }
  int64_t beats = beat > last_beat_ ? beat - last_beat_ : 1;
  last_beat_ = beat > last_beat_ ? beat : last_beat_ + 1;
  in_call_ = true;
  f_(beats).Both([this, alive = liveness_.token(), run = run_](absl::Status result) {
    if (!alive || run != run_) return absl::OkStatus();
    in_call_ = false;
    if (!result.ok()) {
      running_ = false;
      Finish(std::move(result));
    } else if (running_) {
      ScheduleFrom(time_.Now());
    } else {
      Finish(absl::OkStatus());
    }
    return absl::OkStatus();
  });
}

void LoopingCall::ScheduleFrom(absl::Time when) {
  absl::Duration delay = absl::ZeroDuration();
  if (interval_ > absl::ZeroDuration()) {
    // The next beat strictly after `when`, on the grid that starts at start_.
    absl::Duration into_beat;
    absl::IDivDuration(when - start_, interval_, &into_beat);
    delay = interval_ - into_beat;
  }
  next_ = time_.CallLater(delay, [this] { Call(); });
}

void LoopingCall::Finish(absl::Status result) {
  if (!done_.has_value()) return;
  Deferred<void> done = std::move(*done_);
  done_.reset();
  done.Fire(std::move(result)).IgnoreError();
}

}  // namespace braid
