#include "tests/braid_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"

namespace braid::testing {

std::string BraidPath() {
  // Tests run in their runfiles tree, whose root holds the workspace's files.
  return std::filesystem::absolute("tools/braid").string();
}

BraidProcess::BraidProcess(const std::vector<std::string>& args)
    : BraidProcess(BraidPath(), args) {}

BraidProcess::BraidProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::string& working_directory) {
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  int pipe_fds[2];
  PCHECK(pipe2(pipe_fds, O_CLOEXEC) == 0);
  const pid_t parent = getpid();
  pid_ = fork();
  PCHECK(pid_ >= 0) << "fork";
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    if (!working_directory.empty() && chdir(working_directory.c_str()) != 0) _exit(126);
    execvp(pointers[0], pointers.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  output_fd_ = pipe_fds[0];
}

BraidProcess::~BraidProcess() {
  if (!exit_code_.has_value()) {
    Signal(SIGKILL);
    Wait(absl::Seconds(30));
  }
  close(output_fd_);
}

bool BraidProcess::ReadSome(absl::Duration timeout) {
  pollfd fd{output_fd_, POLLIN, 0};
  int ready = poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (ready <= 0) return ready == 0 || errno == EINTR;
  char buffer[4096];
  ssize_t got = read(output_fd_, buffer, sizeof buffer);
  if (got <= 0) return got < 0 && errno == EINTR;
  output_.append(buffer, static_cast<size_t>(got));
  return true;
}

bool BraidProcess::WaitForOutput(const std::string& text, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (output_.find(text) == std::string::npos) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() || !ReadSome(left)) return false;
  }
  return true;
}

void BraidProcess::Signal(int signal) {
  if (!exit_code_.has_value()) kill(pid_, signal);
}

std::optional<int> BraidProcess::Wait(absl::Duration timeout) {
  if (exit_code_.has_value()) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  // The output ends when the process (and any child that shares its output) exits.
  for (absl::Duration left = timeout; left > absl::ZeroDuration(); left = deadline - absl::Now()) {
    if (!ReadSome(left)) break;
  }
  int status = 0;
  for (;;) {
    pid_t reaped = waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) break;
    if (reaped < 0 && errno != EINTR) return std::nullopt;
    if (absl::Now() >= deadline) return std::nullopt;
    // The output closed before the exit: the exit follows within moments.
    pollfd none{-1, 0, 0};
    poll(&none, 0, 5);
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

CommandResult RunBraid(const std::vector<std::string>& args, absl::Duration timeout) {
  return RunBraidIn("", args, timeout);
}

CommandResult RunBraidIn(const std::string& working_directory, const std::vector<std::string>& args,
                         absl::Duration timeout) {
  BraidProcess process(BraidPath(), args, working_directory);
  std::optional<int> exit_code = process.Wait(timeout);
  return CommandResult{exit_code.value_or(-1), process.output()};
}

ShortTempDir::ShortTempDir() {
  std::string pattern = "/tmp/braid-test-XXXXXX";
  PCHECK(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

ShortTempDir::~ShortTempDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

ProcessCluster::ProcessCluster(Options options) : options_(std::move(options)) {
  endpoint_ = absl::StrCat("ipc://", dir_.path(), "/coordinator");
  StartCoordinator();
  for (int i = 0; i < options_.workers; ++i) {
    std::vector<std::string> args = {"worker",
                                     "--coordinator",
                                     endpoint_,
                                     "--slots",
                                     absl::StrCat(options_.slots),
                                     "--scratch",
                                     absl::StrCat(dir_.path(), "/worker-", i)};
    if (static_cast<size_t>(i) < options_.worker_flags.size()) {
      args.insert(args.end(), options_.worker_flags[i].begin(), options_.worker_flags[i].end());
    }
    workers_.push_back(std::make_unique<BraidProcess>(args));
  }
  for (auto& worker : workers_) {
    CHECK(worker->WaitForOutput("joined the coordinator", absl::Seconds(30)))
        << "a worker did not join:\n"
        << worker->output();
  }
}

void ProcessCluster::StartCoordinator() {
  std::vector<std::string> args = {"coordinator", "--listen", endpoint_, "--work_dir",
                                   dir_.path() + "/work"};
  args.insert(args.end(), options_.coordinator_flags.begin(), options_.coordinator_flags.end());
  // No status page unless the test asks for one (the default port is one for the whole machine).
  if (std::find(args.begin(), args.end(), "--http") == args.end()) {
    args.insert(args.end(), {"--http", "off"});
  }
  coordinator_ = std::make_unique<BraidProcess>(args);
  CHECK(coordinator_->WaitForOutput("listening on", absl::Seconds(30)))
      << "the coordinator did not start:\n"
      << coordinator_->output();
}

void ProcessCluster::RestartCoordinator() {
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait(absl::Seconds(30));
  StartCoordinator();
}

ProcessCluster::~ProcessCluster() {
  for (auto& worker : workers_) worker->Signal(SIGINT);
  for (auto& worker : workers_) worker->Wait(absl::Seconds(30));
  coordinator_->Signal(SIGINT);
  coordinator_->Wait(absl::Seconds(30));
}

CommandResult ProcessCluster::Braid(std::vector<std::string> args, absl::Duration timeout) const {
  args.insert(args.begin() + 1, {"--coordinator", endpoint_});
  return RunBraid(args, timeout);
}

int64_t BytesServedByWorker(const std::string& output) {
  const std::string kSays = "worker served ";
  const size_t at = output.find(kSays);
  if (at == std::string::npos) return -1;
  const size_t start = at + kSays.size();
  int64_t bytes = -1;
  if (!absl::SimpleAtoi(output.substr(start, output.find(' ', start) - start), &bytes)) return -1;
  return bytes;
}

}  // namespace braid::testing
