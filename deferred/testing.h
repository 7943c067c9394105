// Test helpers for code that returns Deferreds, in the spirit of Twisted trial's
// successResultOf / failureResultOf / assertNoResult.
//
//   Deferred<int> d = Compute();
//   EXPECT_FALSE(HasResult(d));             // nothing yet
//   clock.Advance(absl::Seconds(1));
//   EXPECT_EQ(ResultNow(d), Result<int>(42));

#ifndef BRAID_DEFERRED_TESTING_H_
#define BRAID_DEFERRED_TESTING_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/unhandled_error.h"

namespace braid {

// Whether `d` has fired and its result can be taken now (not paused, not waiting).
template <typename T>
bool HasResult(const Deferred<T>& d) {
  return deferred_internal::Access::CheckedCore(d, "HasResult")->ready();
}

// Takes `d`'s result if it has one now (the result is handed on: `d`'s chain goes on at void, as
// after any hand-on); nullopt otherwise, leaving `d` as it was.
template <typename T>
std::optional<Result<T>> ResultNow(const Deferred<T>& d) {
  deferred_internal::Core* core = deferred_internal::Access::CheckedCore(d, "ResultNow");
  if (!core->ready()) return std::nullopt;
  Result<T> result = deferred_internal::TakeResult<T>(*core);
  core->MarkHandedOn();
  return result;
}

// Captures the unhandled errors reported on this thread while it lives.
class UnhandledErrorCapture {
 public:
  UnhandledErrorCapture()
      : previous_(SetUnhandledErrorSink(
            [this](const absl::Status& error) { errors_.push_back(error); })) {}
  UnhandledErrorCapture(const UnhandledErrorCapture&) = delete;
  UnhandledErrorCapture& operator=(const UnhandledErrorCapture&) = delete;
  ~UnhandledErrorCapture() { SetUnhandledErrorSink(std::move(previous_)); }

  const std::vector<absl::Status>& errors() const { return errors_; }

 private:
  std::vector<absl::Status> errors_;
  UnhandledErrorSink previous_;
};

}  // namespace braid

#endif  // BRAID_DEFERRED_TESTING_H_
