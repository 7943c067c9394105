// The command line of `braid streaming`: Hadoop Streaming's own (`mapred streaming`), so that a
// Hadoop user's command runs unchanged, plus the few options that say where Braid runs it.
//
//   braid streaming [-D k=v | -Dk=v | -files a,b | -fs file:/// | -jt local ...]
//       -input PATH [-input PATH ...] -output DIR -mapper CMD [-reducer CMD|NONE|aggregate]
//       [-combiner CMD] [-file PATH] [-cmdenv N=V] [-numReduceTasks N] [-partitioner CLASS] ...
//       [-coordinator ENDPOINT] [-workers N]
//
// Every option of Hadoop 3's streaming documentation is either taken or refused by name; none is
// dropped. docs/jobs.md has the table. Options may come in any order (Hadoop wants the generic
// ones first; Braid does not mind). Braid's own client flags may be given as --flag=VALUE or
// --flag VALUE: --coordinator, --workers, --slots, --curve_key, --coordinator_key, --data_plane.
//
// Threading: a function of its arguments (and of the files it reads).

#ifndef BRAID_TOOLS_HADOOP_STREAMING_ARGS_H_
#define BRAID_TOOLS_HADOOP_STREAMING_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/braid.pb.h"

namespace braid {

struct StreamingCommandLine {
  proto::JobSpec spec;
  // The Braid flags given, as --name=VALUE, for the flag parser.
  std::vector<std::string> braid_flags;
  // Where the job runs: a coordinator (-coordinator), or else a cluster of local processes.
  bool has_coordinator = false;
  bool background = false;  // -background: print the job's id and return
  bool help = false;        // -help, -info, --help
};

// Parses `args` (the words after `braid streaming`). Relative paths are made absolute; -file
// and -files are read now, to ship with the job. kInvalidArgument naming the option for an
// unknown or unsupported option, a missing value, a missing -input or -output, or a malformed
// -D; kNotFound or kPermissionDenied naming a file to ship that cannot be read.
absl::StatusOr<StreamingCommandLine> ParseStreamingCommandLine(
    const std::vector<std::string>& args);

// The usage text of `braid streaming -help`.
std::string StreamingUsage();

}  // namespace braid

#endif  // BRAID_TOOLS_HADOOP_STREAMING_ARGS_H_
