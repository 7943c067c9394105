// Where the errors of abandoned Deferreds go.
//
// A Deferred whose chain ends in an error and is destroyed with nobody having handled it reports
// "Unhandled error in Deferred" with that error — Twisted's message when such a Deferred is
// garbage-collected. The report goes to a sink: by default the log; tests install their own to
// assert that an error was (or was not) left unhandled. An error that an errback consumed, or that
// was handed to another Deferred, is not reported.
//
// Threading: the sink is per thread (Deferreds belong to one thread).

#ifndef BRAID_DEFERRED_UNHANDLED_ERROR_H_
#define BRAID_DEFERRED_UNHANDLED_ERROR_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace braid {

using UnhandledErrorSink = absl::AnyInvocable<void(const absl::Status& error)>;

// Installs `sink` for this thread and returns the previous one (empty means the default, which
// logs at ERROR level).
UnhandledErrorSink SetUnhandledErrorSink(UnhandledErrorSink sink);

// Reports `error` to this thread's sink.
void ReportUnhandledError(const absl::Status& error);

}  // namespace braid

#endif  // BRAID_DEFERRED_UNHANDLED_ERROR_H_
