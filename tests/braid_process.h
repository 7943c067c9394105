// The `braid` binary as real processes, for tests: one command run to its end, a long-running
// command watched while it runs, and a local cluster (a coordinator and workers).
//
// Every wait is bounded; a process still running when its owner is destroyed is killed, and so
// is one whose test process dies (PR_SET_PDEATHSIG). Endpoints are ipc paths under a directory of
// the test's own in /tmp (TEST_TMPDIR is too long for a unix socket path).

#ifndef BRAID_TESTS_BRAID_PROCESS_H_
#define BRAID_TESTS_BRAID_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace braid::testing {

// The braid binary in the test's runfiles.
std::string BraidPath();

// A braid command running as a child process; its stdout and stderr are kept, interleaved.
class BraidProcess {
 public:
  // Starts `braid args...`. Dies (the test cannot go on) if it cannot fork.
  explicit BraidProcess(const std::vector<std::string>& args);
  // Starts another program beside braid (`program` found on PATH, args after it), watched the
  // same way: a packet capture, say; in `working_directory` if one is given. Exit code 127 if it
  // cannot be run, 126 if the directory cannot be entered.
  BraidProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& working_directory = "");
  BraidProcess(const BraidProcess&) = delete;
  BraidProcess& operator=(const BraidProcess&) = delete;
  // Kills the process if it still runs.
  ~BraidProcess();

  pid_t pid() const { return pid_; }

  // Reads output until it contains `text` (true) or the process closes its output or `timeout`
  // passes (false).
  bool WaitForOutput(const std::string& text, absl::Duration timeout);
  // Everything read so far.
  const std::string& output() const { return output_; }

  void Signal(int signal);
  // Reads all output and waits for the exit, up to `timeout`. The exit code (128 + N for death
  // by signal N), or nullopt if the process still runs.
  std::optional<int> Wait(absl::Duration timeout);

 private:
  // Reads what is available, waiting up to `timeout` for some; false at end of output.
  bool ReadSome(absl::Duration timeout);

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::optional<int> exit_code_;
};

struct CommandResult {
  int exit_code;       // -1 if the command had to be killed after its timeout
  std::string output;  // stdout and stderr, interleaved
};

// The bytes of map outputs a worker with a data endpoint says, as it exits, that it served to
// other workers' reducers ("worker served N bytes ..."); -1 if its output says nothing of it.
int64_t BytesServedByWorker(const std::string& output);

// Runs `braid args...` to its end, for at most `timeout`; RunBraidIn, in `working_directory`
// (relative paths in `args` are the user's own).
CommandResult RunBraid(const std::vector<std::string>& args,
                       absl::Duration timeout = absl::Seconds(120));
CommandResult RunBraidIn(const std::string& working_directory, const std::vector<std::string>& args,
                         absl::Duration timeout = absl::Seconds(120));

// A unique directory under /tmp, removed with everything in it when destroyed.
class ShortTempDir {
 public:
  ShortTempDir();
  ~ShortTempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A coordinator and workers as processes, on an ipc endpoint of their own.
class ProcessCluster {
 public:
  struct Options {
    int workers = 2;
    int slots = 1;
    // More flags for the coordinator.
    std::vector<std::string> coordinator_flags;
    // More flags for worker i (for i < worker_flags.size()).
    std::vector<std::vector<std::string>> worker_flags;
  };
  explicit ProcessCluster(Options options);
  ProcessCluster() : ProcessCluster(Options()) {}
  // Stops the workers, then the coordinator.
  ~ProcessCluster();

  const std::string& endpoint() const { return endpoint_; }
  // Runs a client command (`braid submit ...`) against this cluster's coordinator.
  CommandResult Braid(std::vector<std::string> args,
                      absl::Duration timeout = absl::Seconds(120)) const;

  BraidProcess& coordinator() { return *coordinator_; }
  BraidProcess& worker(int i) { return *workers_[i]; }
  // The coordinator's journal directory.
  std::string state_dir() const { return dir_.path() + "/work/state"; }

  // Starts the coordinator again, as it was started first (after the test killed it).
  void RestartCoordinator();

 private:
  void StartCoordinator();

  ShortTempDir dir_;
  Options options_;
  std::string endpoint_;
  std::unique_ptr<BraidProcess> coordinator_;
  std::vector<std::unique_ptr<BraidProcess>> workers_;
};

}  // namespace braid::testing

#endif  // BRAID_TESTS_BRAID_PROCESS_H_
