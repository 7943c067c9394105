#include "deferred/reactor_time.h"

namespace braid {
namespace {

absl::Status InactiveCallError() {
  return absl::FailedPreconditionError("delayed call already ran or was cancelled");
}

}  // namespace

bool DelayedCall::Active() const { return time_ != nullptr && time_->CallActive(id_); }

absl::Time DelayedCall::Time() const { return time_->CallTime(id_); }

bool DelayedCall::Cancel() { return time_ != nullptr && time_->CancelCall(id_); }

absl::Status DelayedCall::Reset(absl::Duration delay) {
  if (time_ == nullptr || !time_->RescheduleCall(id_, time_->Now() + delay)) {
    return InactiveCallError();
  }
  return absl::OkStatus();
}

absl::Status DelayedCall::Delay(absl::Duration extra) {
  if (!Active() || !time_->RescheduleCall(id_, time_->CallTime(id_) + extra)) {
    return InactiveCallError();
  }
  return absl::OkStatus();
}

}  // namespace braid
