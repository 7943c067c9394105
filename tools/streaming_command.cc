// braid streaming: a Hadoop Streaming command line (tools/hadoop_streaming_args.h), run on a
// coordinator (-coordinator) or on a cluster of local processes, as Hadoop runs a job with no
// cluster configured on its local runner.

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "tools/commands.h"

namespace braid {

int StreamingCommand(const StreamingCommandLine& line) {
  if (!line.has_coordinator) {
    if (line.background) {
      absl::FPrintF(stderr,
                    "braid streaming: -background needs -coordinator: a local cluster ends with "
                    "the job\n");
      return 2;
    }
    return RunOnLocalCluster("braid streaming", line.spec);
  }
  return SubmitAndWatch(absl::GetFlag(FLAGS_coordinator), line.spec, line.background);
}

}  // namespace braid
