// The progress display of a watched job: a bar redrawn in place on a terminal, plain lines
// otherwise (at most one a second).

#ifndef BRAID_TOOLS_PROGRESS_H_
#define BRAID_TOOLS_PROGRESS_H_

#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "proto/braid.pb.h"

namespace braid {

class ProgressDisplay {
 public:
  // Draws on `out`; as a bar if `out` is a terminal.
  explicit ProgressDisplay(std::FILE* out);

  void Update(const proto::JobStatus& status);
  // Ends the display (clears the bar's line).
  void Finish();

  // "maps 12/16  reduces 0/4  312.4 MB/s  00:03  ETA 00:01" (no bar).
  static std::string Describe(const proto::JobStatus& status);

 private:
  std::FILE* out_;
  bool terminal_;
  bool drawn_ = false;
  absl::Time last_line_ = absl::InfinitePast();
  std::string last_text_;
};

// The job's counters, grouped, one per line ("  TaskCounter.MAP_INPUT_RECORDS=123").
std::string FormatCounters(const proto::JobStatus& status);

}  // namespace braid

#endif  // BRAID_TOOLS_PROGRESS_H_
