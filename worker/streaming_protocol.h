// The line protocol between Braid and a streaming command (Hadoop Streaming's): what its stdout
// lines mean, and the control lines it may write to stderr.
//
//   stdout   a key and a value per line, cut as job/streaming_fields.h says (by default at the
//            first tab; a line without one is a key with an empty value).
//   stderr   reporter:counter:GROUP,COUNTER,AMOUNT   adds AMOUNT to the counter GROUP.COUNTER
//            reporter:status:MESSAGE                 sets the task's status line
//            anything else is the command's own diagnostics.

#ifndef BRAID_WORKER_STREAMING_PROTOCOL_H_
#define BRAID_WORKER_STREAMING_PROTOCOL_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace braid {

// A stderr line, read as a reporter line. The views point into the line.
struct ReporterLine {
  enum class Kind { kNone, kCounter, kStatus };
  Kind kind = Kind::kNone;
  absl::string_view group;    // kCounter
  absl::string_view counter;  // kCounter
  int64_t amount = 0;         // kCounter
  absl::string_view status;   // kStatus
};

// kNone for anything that is not a well-formed reporter line (a counter line needs exactly three
// comma-separated fields, non-empty names and an integer amount), so a malformed one counts as
// ordinary stderr.
ReporterLine ParseReporterLine(absl::string_view line);

}  // namespace braid

#endif  // BRAID_WORKER_STREAMING_PROTOCOL_H_
