// braid: Braid's command-line tool.
//
//   braid coordinator --listen tcp://*:7070 --work-dir DIR --curve-key C.key --authorized-keys F
//   braid worker --coordinator tcp://HOST:7070 [--slots N] [--scratch DIR]
//   braid submit --coordinator ... --job wordcount --input 'data/*' --output out --reducers 4
//   braid submit --coordinator ... --mapper 'python3 map.py' --reducer 'python3 reduce.py'
//       --file map.py --file reduce.py --input 'data/*' --output out
//   braid status [JOB] [--json]        braid cancel JOB        braid jobs
//   braid simulate --workers N [--slots S] -- <submit flags>
//   braid streaming -input PATH -output DIR -mapper CMD -reducer CMD -D k=v ...  (Hadoop's)
//   braid gen-corpus --size 256MiB --files 8 --seed 1 DIR
//   braid journal [repair] STATE_DIR
//   braid keygen NAME
//
// Flags may be written with dashes or underscores (--split-size, --split_size).

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/internal/parse.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "tools/commands.h"
#include "tools/flag_help.h"

namespace braid {
namespace {

struct Command {
  const char* name;
  const char* usage;
  // The sources whose flags the command takes (for --help).
  std::vector<const char*> flag_files;
  // Servers log at INFO; client commands only warnings and errors.
  bool server;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"coordinator",
       "braid coordinator [--listen tcp://*:7070] --work-dir DIR [--state-dir DIR] "
       "[--curve-key NAME.key --authorized-keys FILE | --insecure] [--http 127.0.0.1:7071]",
       {"coordinator_command.cc", "curve_flags.cc", "http_flag.cc"},
       true},
      {"worker",
       "braid worker --coordinator tcp://HOST:7070 [--slots N] [--scratch DIR] "
       "[--curve-key NAME.key --coordinator-key COORDINATOR.pub] [--http 127.0.0.1:PORT]",
       {"worker_command.cc", "slots_flag.cc", "coordinator_flag.cc", "curve_flags.cc",
        "http_flag.cc"},
       true},
      {"submit",
       "braid submit --coordinator tcp://HOST:7070 --job JOB --input PATH --output DIR "
       "[--reducers N] [--set KEY=VALUE ...] [--split-size 64MiB] [--combine-inputs auto] "
       "[--detach]\n"
       "       braid submit ... --mapper CMD [--combiner CMD] [--reducer CMD] [--file PATH ...] "
       "[--cmdenv NAME=VALUE ...] [--task-timeout 600s] --input PATH --output DIR",
       {"coordinator_flag.cc", "tools/flags.cc", "streaming_flags.cc", "curve_flags.cc"},
       false},
      {"status",
       "braid status [JOB] --coordinator tcp://HOST:7070 [--json]",
       {"coordinator_flag.cc", "curve_flags.cc", "client_commands.cc"},
       false},
      {"jobs",
       "braid jobs --coordinator tcp://HOST:7070  (the job kinds its workers run)",
       {"coordinator_flag.cc", "curve_flags.cc"},
       false},
      {"cancel",
       "braid cancel JOB --coordinator tcp://HOST:7070",
       {"coordinator_flag.cc", "curve_flags.cc"},
       false},
      {"simulate",
       "braid simulate --workers N [--slots S] -- --job JOB --input PATH --output DIR ...",
       {"simulate_command.cc", "slots_flag.cc", "tools/flags.cc", "streaming_flags.cc"},
       false},
      {"gen-corpus",
       "braid gen-corpus [--size 256MiB] [--files 8] [--seed 1] [--kind words] DIR",
       {"gen_corpus_command.cc"},
       false},
      {"streaming",
       "braid streaming -input PATH -output DIR -mapper CMD [-reducer CMD] [-D K=V ...] "
       "[-coordinator tcp://HOST:7070]  (Hadoop Streaming's options; braid streaming -help)",
       {"coordinator_flag.cc", "curve_flags.cc", "simulate_command.cc", "slots_flag.cc"},
       false},
      {"journal", "braid journal [repair] STATE_DIR", {"journal_command.cc"}, false},
      {"keygen", "braid keygen NAME  (writes NAME.key and NAME.pub)", {"keygen_command.cc"}, false},
  };
  return commands;
}

// To stdout when it was asked for (--help), to stderr when it explains a mistake.
void PrintUsage(std::FILE* to) {
  std::string usage = "usage: braid COMMAND [flags]  (braid COMMAND --help for its flags)\n\n";
  for (const Command& command : Commands()) absl::StrAppend(&usage, "  ", command.usage, "\n");
  absl::FPrintF(to, "%s", usage);
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) {
  using braid::Command;
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const std::string name = argc > 1 ? argv[1] : "";
  if (name.empty() || name == "help" || name == "--help" || name == "-h") {
    braid::PrintUsage(name.empty() ? stderr : stdout);
    return name.empty() ? 2 : 0;
  }
  if (name == "version" || name == "--version") {
    absl::PrintF("braid 0.1.0 (protocol 1)\n");
    return 0;
  }
  const Command* command = nullptr;
  for (const Command& candidate : braid::Commands()) {
    if (name == candidate.name) command = &candidate;
  }
  if (command == nullptr) {
    absl::FPrintF(stderr, "braid: unknown command '%s'\n\n", name);
    braid::PrintUsage(stderr);
    return 2;
  }
  FLAGS_minloglevel = command->server ? 0 : 1;

  // braid streaming takes Hadoop's command line, and passes on only Braid's own flags.
  std::optional<braid::StreamingCommandLine> streaming;
  if (name == "streaming") {
    absl::StatusOr<braid::StreamingCommandLine> parsed =
        braid::ParseStreamingCommandLine(std::vector<std::string>(argv + 2, argv + argc));
    if (!parsed.ok()) {
      absl::FPrintF(stderr, "braid streaming: %s\n", parsed.status().message());
      return 2;
    }
    if (parsed->help) {
      absl::PrintF("%s", braid::StreamingUsage());
      return 0;
    }
    streaming = *std::move(parsed);
  }

  // The command's own arguments, with the repeatable flags taken out, and -- dropped (simulate
  // passes submit flags after it) and dashes in flag names made underscores.
  std::vector<std::string> args = {absl::StrCat("braid ", name)};
  if (streaming.has_value()) {
    args.insert(args.end(), streaming->braid_flags.begin(), streaming->braid_flags.end());
  }
  for (int i = 2; i < argc && !streaming.has_value(); ++i) {
    std::string arg = argv[i];
    if (arg == "--") continue;
    if (absl::StartsWith(arg, "--")) {
      size_t end = arg.find('=');
      for (size_t c = 2; c < std::min(end, arg.size()); ++c) {
        if (arg[c] == '-') arg[c] = '_';
      }
    }
    args.push_back(arg);
  }
  braid::RepeatedFlags repeated = braid::TakeRepeatedFlags(args);
  const std::vector<const char*> files = command->flag_files;
  const braid::FlagFilePredicate mine = [files](absl::string_view file) {
    for (const char* own : files) {
      if (absl::EndsWith(file, own)) return true;
    }
    return false;
  };
  const std::vector<std::string> given(args.begin() + 1, args.end());
  if (braid::AsksForHelp(given)) {
    absl::PrintF("%s", braid::FlagHelp(absl::StrCat("usage: ", command->usage), mine));
    return 0;
  }
  if (const absl::Status known = braid::CheckFlagsAreKnown(given, mine); !known.ok()) {
    absl::FPrintF(stderr, "braid %s: %s\n", name, known.message());
    return 2;
  }
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());

  absl::SetProgramUsageMessage(absl::StrCat("usage: ", command->usage));
  absl::FlagsUsageConfig config;
  config.contains_help_flags = mine;
  config.contains_helpshort_flags = mine;
  config.version_string = [] { return std::string("braid 0.1.0 (protocol 1)\n"); };
  absl::SetFlagsUsageConfig(config);
  // Abseil's own handling of --help exits 1; asking for help is no failure, so the usage flags
  // are handled here: the help goes to stdout and the exit code is 0.
  std::vector<char*> positional = absl::flags_internal::ParseCommandLineImpl(
      static_cast<int>(pointers.size()), pointers.data(),
      absl::flags_internal::ArgvListAction::kRemoveParsedArgs,
      absl::flags_internal::UsageFlagsAction::kIgnoreUsage,
      absl::flags_internal::OnUndefinedFlag::kAbortIfUndefined);
  if (const int usage =
          absl::flags_internal::HandleUsageFlags(std::cout, absl::ProgramUsageMessage());
      usage != -1) {
    std::cout.flush();
    return usage == 1 ? 0 : usage;
  }
  std::vector<std::string> rest(positional.begin(), positional.end());

  if (name == "coordinator") return braid::CoordinatorCommand(rest);
  if (name == "worker") return braid::WorkerCommand(rest);
  if (name == "submit") return braid::SubmitCommand(rest, repeated);
  if (name == "status") return braid::StatusCommand(rest);
  if (name == "cancel") return braid::CancelCommand(rest);
  if (name == "jobs") return braid::JobsCommand(rest);
  if (name == "simulate") return braid::SimulateCommand(rest, repeated);
  if (name == "journal") return braid::JournalCommand(rest);
  if (name == "keygen") return braid::KeygenCommand(rest);
  if (name == "streaming") return braid::StreamingCommand(*streaming);
  return braid::GenCorpusCommand(rest);
}
