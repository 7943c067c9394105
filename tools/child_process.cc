#include "tools/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace braid {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path) {
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create '", log_path, "': ", std::strerror(errno)));
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(log);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(log);
    close(out[0]);
    close(out[1]);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The child: die with the parent, take no signal meant for the parent's terminal, and write
    // where we were told.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setpgid(0, 0);
    if (getppid() != parent) _exit(1);
    dup2(out[1], STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log);
  close(out[1]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, out[0]));
}

ChildProcess::~ChildProcess() {
  if (!status_.has_value()) Stop(absl::Seconds(5));
  if (pidfd_ >= 0) close(pidfd_);
  close(stdout_);
}

bool ChildProcess::WaitForOutput(const std::string& text, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string line;
  for (;;) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return false;
    pollfd fd{stdout_, POLLIN, 0};
    int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(left_ms, 1 << 30)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char c;
    ssize_t got = read(stdout_, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    line += c;
    if (c == '\n') {
      output_read_ += line;
      if (line.find(text) != std::string::npos) return true;
      line.clear();
    }
  }
}

void ChildProcess::Signal(int signal) {
  if (!status_.has_value()) kill(pid_, signal);
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (status_.has_value()) return status_;
  if (pidfd_ >= 0) {
    pollfd fd{pidfd_, POLLIN, 0};
    int ready;
    do {
      ready = poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) return std::nullopt;
  }
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, pidfd_ >= 0 ? 0 : WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid_) return std::nullopt;
  status_ = status;
  return status_;
}

int ChildProcess::Stop(absl::Duration grace) {
  if (status_.has_value()) return *status_;
  Signal(SIGTERM);
  if (std::optional<int> status = Wait(grace)) return *status;
  Signal(SIGKILL);
  while (!status_.has_value()) Wait(absl::Seconds(1));
  return *status_;
}

}  // namespace braid
