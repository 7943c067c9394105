#include "deferred/reactor_time.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"

namespace braid {
namespace {

constexpr absl::string_view kAlreadyCancelled = "AlreadyCancelled: ";
constexpr absl::string_view kAlreadyCalled = "AlreadyCalled: ";

absl::Status InactiveCallError() {
  return absl::FailedPreconditionError("delayed call already ran or was cancelled");
}

absl::Status RefusedCallError() {
  return absl::InvalidArgumentError("CallLater refused this call: its delay was negative");
}

}  // namespace

absl::Status DelayedCallAlreadyCancelledError() {
  return absl::FailedPreconditionError(
      absl::StrCat(kAlreadyCancelled, "the delayed call was cancelled already"));
}

absl::Status DelayedCallAlreadyCalledError() {
  return absl::FailedPreconditionError(
      absl::StrCat(kAlreadyCalled, "the delayed call already ran"));
}

bool IsAlreadyCancelled(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) &&
         absl::StartsWith(status.message(), kAlreadyCancelled);
}

bool IsAlreadyCalled(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) && absl::StartsWith(status.message(), kAlreadyCalled);
}

absl::Status DelayedCall::status() const {
  return id_ == kRefusedId ? RefusedCallError() : absl::OkStatus();
}

bool DelayedCall::Active() const {
  return time_ != nullptr && id_ != kRefusedId && time_->CallActive(id_);
}

absl::Time DelayedCall::Time() const { return time_->CallTime(id_); }

absl::Status DelayedCall::Cancel() {
  if (time_ == nullptr) return InactiveCallError();
  if (id_ == kRefusedId) return RefusedCallError();
  switch (time_->CancelCall(id_)) {
    case CallEnd::kPending:
      return absl::OkStatus();
    case CallEnd::kCancelled:
      return DelayedCallAlreadyCancelledError();
    case CallEnd::kRan:
      return DelayedCallAlreadyCalledError();
    case CallEnd::kUnknown:
      break;
  }
  return InactiveCallError();
}

absl::Status DelayedCall::Reset(absl::Duration delay) {
  if (id_ == kRefusedId) return RefusedCallError();
  if (time_ == nullptr || !time_->RescheduleCall(id_, time_->Now() + delay)) {
    return InactiveCallError();
  }
  return absl::OkStatus();
}

absl::Status DelayedCall::Delay(absl::Duration extra) {
  if (id_ == kRefusedId) return RefusedCallError();
  if (!Active() || !time_->RescheduleCall(id_, time_->CallTime(id_) + extra)) {
    return InactiveCallError();
  }
  return absl::OkStatus();
}

DelayedCall ReactorTime::RefuseNegativeDelay(absl::Duration delay) {
  LOG(ERROR) << "CallLater refused a negative delay of " << delay << " (the call will not run)";
  return DelayedCall::Refused(this);
}

}  // namespace braid
