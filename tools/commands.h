// The `braid` subcommands. Each takes the positional arguments left after flag parsing (the
// subcommand's own name first) and returns the process's exit code.

#ifndef BRAID_TOOLS_COMMANDS_H_
#define BRAID_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/flags.h"
#include "tools/hadoop_streaming_args.h"

namespace braid {

int CoordinatorCommand(const std::vector<std::string>& args);
int WorkerCommand(const std::vector<std::string>& args);
int SubmitCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated);
int StatusCommand(const std::vector<std::string>& args);
// braid jobs: the job kinds the coordinator's workers run, with their descriptions.
int JobsCommand(const std::vector<std::string>& args);
int CancelCommand(const std::vector<std::string>& args);
int SimulateCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated);
int GenCorpusCommand(const std::vector<std::string>& args);
int JournalCommand(const std::vector<std::string>& args);
int KeygenCommand(const std::vector<std::string>& args);
int StreamingCommand(const StreamingCommandLine& line);

// Submits `spec` to the coordinator at `endpoint`, prints what it says of the job (its warnings
// too), and either prints the job's id (`detach`) or watches it to its end (see WatchToEnd).
int SubmitAndWatch(const std::string& endpoint, proto::JobSpec spec, bool detach);

// Runs `spec` on a cluster of local processes (--workers, --slots, --data_plane), as braid
// simulate does; `command` names the caller in messages.
int RunOnLocalCluster(const std::string& command, proto::JobSpec spec);

}  // namespace braid

#endif  // BRAID_TOOLS_COMMANDS_H_
