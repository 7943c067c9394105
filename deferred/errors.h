// The errors that Braid's Deferred machinery produces, and how to read them back.
//
// Each is an absl::Status whose code tells the caller what to do; the structured parts (an index,
// a group of failures) travel as payloads so that they survive being passed along a chain.

#ifndef BRAID_DEFERRED_ERRORS_H_
#define BRAID_DEFERRED_ERRORS_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace braid {

// A second Callback/Errback on a Deferred (Twisted's AlreadyCalledError): kFailedPrecondition.
absl::Status AlreadyCalledError();

// What a cancelled Deferred fires with (Twisted's CancelledError): kCancelled.
absl::Status CancelledError();

// What AddTimeout fires with when the time runs out (Twisted's TimeoutError):
// kDeadlineExceeded, naming the timeout.
absl::Status TimeoutError(absl::Duration timeout);

// Twisted's FirstError: `error` (same code and payloads) marked with the index of the input that
// produced it. DeferredList(fire_on_one_errback) and GatherResults fail with it.
absl::Status FirstError(const absl::Status& error, size_t index);

// The index a FirstError carries, or nullopt if `status` is not one.
std::optional<size_t> FirstErrorIndex(const absl::Status& status);

// The error a FirstError marks, as it was before (Twisted's FirstError.subFailure); `status`
// itself if it is not a FirstError.
absl::Status FirstErrorCause(const absl::Status& status);

// Twisted's FailureGroup: one error standing for several. Its code is the first failure's; its
// message lists every failure in order. REQUIRES: `failures` is not empty.
absl::Status FailureGroup(const std::vector<absl::Status>& failures);

// The failures a FailureGroup carries, in order (code and message each; payloads are not kept).
// Empty if `status` is not a FailureGroup.
std::vector<absl::Status> FailureGroupMembers(const absl::Status& status);

}  // namespace braid

#endif  // BRAID_DEFERRED_ERRORS_H_
