// The `braid` subcommands. Each takes the positional arguments left after flag parsing (the
// subcommand's own name first) and returns the process's exit code.

#ifndef BRAID_TOOLS_COMMANDS_H_
#define BRAID_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

#include "tools/flags.h"

namespace braid {

int CoordinatorCommand(const std::vector<std::string>& args);
int WorkerCommand(const std::vector<std::string>& args);
int SubmitCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated);
int StatusCommand(const std::vector<std::string>& args);
int CancelCommand(const std::vector<std::string>& args);
int SimulateCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated);
int GenCorpusCommand(const std::vector<std::string>& args);
int JournalCommand(const std::vector<std::string>& args);
int KeygenCommand(const std::vector<std::string>& args);

}  // namespace braid

#endif  // BRAID_TOOLS_COMMANDS_H_
