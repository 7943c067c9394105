// ChildProcess: a process `braid simulate` starts — a coordinator or a worker of the local
// cluster. The child dies with its parent (PR_SET_PDEATHSIG), so no cluster outlives a killed
// `braid simulate`. It runs in a process group of its own: a Ctrl-C at the terminal reaches the
// parent alone, which stops its children in its own order.

#ifndef BRAID_TOOLS_CHILD_PROCESS_H_
#define BRAID_TOOLS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace braid {

class ChildProcess {
 public:
  // Starts `argv` (argv[0] is the program's path), its stderr appended to `log_path` and its
  // stdout readable through stdout_fd().
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& log_path);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops the process (see Stop) if it still runs.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int stdout_fd() const { return stdout_; }

  // Reads the child's stdout until a line containing `text` (true), or its end or `timeout`
  // (false).
  bool WaitForOutput(const std::string& text, absl::Duration timeout);
  // The lines of stdout WaitForOutput has read so far.
  const std::string& output_read() const { return output_read_; }

  void Signal(int signal);
  // Waits up to `timeout` for the process to exit; its wait status, or nullopt if it still runs.
  std::optional<int> Wait(absl::Duration timeout);
  // SIGTERM, up to `grace` to exit, then SIGKILL. Returns the wait status.
  int Stop(absl::Duration grace);

 private:
  ChildProcess(pid_t pid, int pidfd, int stdout_fd)
      : pid_(pid), pidfd_(pidfd), stdout_(stdout_fd) {}

  pid_t pid_;
  int pidfd_;
  int stdout_;
  std::optional<int> status_;
  std::string output_read_;
};

}  // namespace braid

#endif  // BRAID_TOOLS_CHILD_PROCESS_H_
