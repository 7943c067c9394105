#include "worker/streaming_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"

namespace braid {
namespace {

// Queued input beyond this is written out before WriteLine returns.
constexpr size_t kFlushBytes = size_t{256} << 10;
// Pipe capacity asked for (Linux's default limit for unprivileged processes).
constexpr int kPipeBytes = 1 << 20;
// Reads from one descriptor per poll round, so that neither the others nor the clock starve.
constexpr int kReadsPerRound = 8;
// A longer stdout line fails the run; a longer stderr line is cut.
constexpr size_t kOutputBufferBytes = size_t{256} << 10;
constexpr size_t kMaxOutputLine = size_t{64} << 20;
constexpr size_t kErrorBufferBytes = size_t{4} << 10;
constexpr size_t kMaxErrorLine = size_t{64} << 10;
// The longest a poll waits before looking at the cancellation flag and the clock.
constexpr std::chrono::milliseconds kPollSlice(100);

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

absl::Status ErrnoError(absl::string_view what) {
  const int error = errno;
  std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == EAGAIN || error == EMFILE || error == ENFILE || error == ENOMEM) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(message);
}

// The child's side of the fork: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(pid_t parent, int in, int out, int err, const char* directory,
                            char* const* argv, char* const* envp) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal_number = 1; signal_number < 32; ++signal_number) {
    if (signal_number != SIGKILL && signal_number != SIGSTOP) signal(signal_number, SIG_DFL);
  }
  if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
    _exit(127);
  }
  if (chdir(directory) != 0) {
    constexpr char kMessage[] = "braid: cannot enter the task's working directory\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    _exit(127);
  }
  execve("/bin/sh", argv, envp);
  constexpr char kMessage[] = "braid: cannot run /bin/sh\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  _exit(127);
}

}  // namespace

StreamingProcess::StreamingProcess(Options options, Listener* listener) noexcept
    : options_(std::move(options)),
      listener_(listener),
      output_(kOutputBufferBytes, kMaxOutputLine, /*cut_long_lines=*/false),
      errors_(kErrorBufferBytes, kMaxErrorLine, /*cut_long_lines=*/true),
      last_progress_(SteadyClock::now()) {}

absl::StatusOr<std::unique_ptr<StreamingProcess>> StreamingProcess::Start(Options options,
                                                                          Listener* listener) {
  struct stat info;
  if (stat(options.working_directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat("working directory '", options.working_directory, "' is not there"));
  }
  std::unique_ptr<StreamingProcess> process(new StreamingProcess(std::move(options), listener));
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return ErrnoError("pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    absl::Status error = ErrnoError("pipe");
    close(in[0]);
    close(in[1]);
    return error;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    absl::Status error = ErrnoError("pipe");
    for (int fd : {in[0], in[1], out[0], out[1]}) close(fd);
    return error;
  }
  // Everything the child needs is made before the fork: it may not allocate.
  const std::string& command = process->options_.command;
  std::vector<char*> argv = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                             const_cast<char*>(command.c_str()), nullptr};
  std::vector<char*> envp;
  for (const std::string& entry : process->options_.environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(parent, in[0], out[1], err[1], process->options_.working_directory.c_str(),
              argv.data(), envp.data());
  }
  if (pid < 0) {
    absl::Status error = ErrnoError("fork");
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    return error;
  }
  // Also here, so that the group exists before anything signals it.
  setpgid(pid, pid);
  process->pid_ = pid;
  close(in[0]);
  close(out[1]);
  close(err[1]);
  process->stdin_ = in[1];
  process->stdout_ = out[0];
  process->stderr_ = err[0];
  for (int fd : {in[1], out[0], err[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  // Larger pipes: fewer wake-ups per byte. Best effort.
  fcntl(in[1], F_SETPIPE_SZ, kPipeBytes);
  fcntl(out[0], F_SETPIPE_SZ, kPipeBytes);
  process->last_progress_ = SteadyClock::now();
  return process;
}

StreamingProcess::~StreamingProcess() {
  if (pid_ > 0 && !reaped_) KillGroup();
  CloseFd(stdin_);
  CloseFd(stdout_);
  CloseFd(stderr_);
}

absl::Status StreamingProcess::WriteLine(std::initializer_list<absl::string_view> pieces) {
  if (!status_.ok()) return status_;
  if (input_closed_) return absl::OkStatus();  // the command stopped reading
  for (absl::string_view piece : pieces) input_.append(piece.data(), piece.size());
  input_.push_back('\n');
  if (input_.size() - input_offset_ < kFlushBytes) return absl::OkStatus();
  return Pump([this] { return input_closed_ || input_offset_ == input_.size(); });
}

absl::Status StreamingProcess::Finish() {
  if (finished_) return absl::FailedPreconditionError("StreamingProcess::Finish called twice");
  finished_ = true;
  if (!status_.ok()) return status_;
  absl::Status pumped = Pump([this] { return input_closed_ || input_offset_ == input_.size(); });
  if (!pumped.ok()) return pumped;
  CloseInput();
  pumped = Pump([this] { return stdout_ < 0 && stderr_ < 0; });
  if (!pumped.ok()) return pumped;
  // Both pipes are at their end; the command exits about now.
  const SteadyClock::time_point waiting_since = SteadyClock::now();
  for (auto nap = std::chrono::microseconds(100); !Exited();
       nap = std::min<std::chrono::microseconds>(nap * 2, kPollSlice)) {
    if (options_.cancelled != nullptr && options_.cancelled->load(std::memory_order_relaxed)) {
      return Fail(
          absl::CancelledError(absl::StrCat(Describe(), " stopped: the attempt was cancelled")));
    }
    if (SteadyClock::now() - waiting_since >= absl::ToChronoNanoseconds(options_.timeout)) {
      return Fail(absl::DeadlineExceededError(
          absl::StrCat(Describe(), " closed its output but did not exit for ",
                       absl::FormatDuration(options_.timeout))));
    }
    std::this_thread::sleep_for(nap);
  }
  const int status = KillGroup();  // stragglers of the group; the command itself has exited
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  std::string what = WIFEXITED(status) ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                                       : absl::StrCat("was killed by signal ", WTERMSIG(status),
                                                      " (", strsignal(WTERMSIG(status)), ")");
  return Fail(absl::AbortedError(absl::StrCat(Describe(), " ", what, StderrTail())));
}

template <typename Done>
absl::Status StreamingProcess::Pump(Done done) {
  const SteadyClock::time_point started = SteadyClock::now();
  while (!done()) {
    absl::Status pumped = PumpOnce(std::max(started, last_progress_));
    if (!pumped.ok()) return pumped;
  }
  return absl::OkStatus();
}

absl::Status StreamingProcess::PumpOnce(SteadyClock::time_point idle_since) {
  if (options_.cancelled != nullptr && options_.cancelled->load(std::memory_order_relaxed)) {
    return Fail(
        absl::CancelledError(absl::StrCat(Describe(), " stopped: the attempt was cancelled")));
  }
  const SteadyClock::time_point now = SteadyClock::now();
  const SteadyClock::time_point deadline = idle_since + absl::ToChronoNanoseconds(options_.timeout);
  if (now >= deadline) {
    return Fail(absl::DeadlineExceededError(absl::StrCat(
        Describe(), " made no progress for ", absl::FormatDuration(options_.timeout),
        " (it read no input, wrote no output and nothing to stderr); its process group was "
        "killed",
        StderrTail())));
  }
  pollfd fds[3];
  nfds_t count = 0;
  const bool want_write = stdin_ >= 0 && input_offset_ < input_.size();
  if (want_write) fds[count++] = pollfd{stdin_, POLLOUT, 0};
  const nfds_t out_index = count;
  if (stdout_ >= 0) fds[count++] = pollfd{stdout_, POLLIN, 0};
  const nfds_t err_index = count;
  if (stderr_ >= 0) fds[count++] = pollfd{stderr_, POLLIN, 0};
  const auto wait = std::min<SteadyClock::duration>(deadline - now, kPollSlice);
  const int ready = poll(
      fds, count, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count()));
  if (ready < 0 && errno != EINTR) return Fail(ErrnoError("poll"));
  if (ready <= 0) return absl::OkStatus();
  if (want_write && fds[0].revents != 0) WriteInput();
  if (out_index < count && fds[out_index].fd == stdout_ && fds[out_index].revents != 0) {
    if (!ReadOutput()) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat(
          Describe(), " wrote an output line longer than ", kMaxOutputLine >> 20, " MiB")));
    }
  }
  if (err_index < count && fds[err_index].fd == stderr_ && fds[err_index].revents != 0) {
    ReadErrors();
  }
  return absl::OkStatus();
}

void StreamingProcess::WriteInput() {
  // A write to a pipe whose reader is gone raises SIGPIPE in the writing thread: blocked here,
  // and consumed if it came, so that the worker lives on and sees EPIPE.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  bool broken = false;
  while (input_offset_ < input_.size()) {
    const ssize_t wrote =
        write(stdin_, input_.data() + input_offset_, input_.size() - input_offset_);
    if (wrote > 0) {
      input_offset_ += static_cast<size_t>(wrote);
      last_progress_ = SteadyClock::now();
      continue;
    }
    if (wrote < 0 && errno == EINTR) continue;
    broken = wrote < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
    break;
  }
  if (broken) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_signal, nullptr, &zero) > 0) {
    }
  }
  if (!sigismember(&previous, SIGPIPE)) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (broken) {
    CloseInput();  // the command no longer reads: what it did not take is dropped
  } else if (input_offset_ == input_.size()) {
    input_.clear();
    input_offset_ = 0;
  }
}

void StreamingProcess::CloseInput() {
  CloseFd(stdin_);
  input_closed_ = true;
  input_.clear();
  input_offset_ = 0;
}

bool StreamingProcess::ReadOutput() {
  bool progressed = false;
  LineReader::State state = output_.Read(
      stdout_, kReadsPerRound, [this](absl::string_view line) { listener_->OnOutputLine(line); },
      &progressed);
  if (progressed) last_progress_ = SteadyClock::now();
  if (state == LineReader::State::kLineTooLong) return false;
  if (state == LineReader::State::kEnd) CloseFd(stdout_);
  return true;
}

void StreamingProcess::ReadErrors() {
  bool progressed = false;
  LineReader::State state = errors_.Read(
      stderr_, kReadsPerRound,
      [this](absl::string_view line) {
        if (listener_->OnErrorLine(line)) return;
        tail_.append(line.data(), line.size());
        tail_.push_back('\n');
        if (tail_.size() > 2 * options_.stderr_tail_bytes) {
          tail_.erase(0, tail_.size() - options_.stderr_tail_bytes);
        }
      },
      &progressed);
  if (progressed) last_progress_ = SteadyClock::now();
  if (state != LineReader::State::kOpen) CloseFd(stderr_);
}

bool StreamingProcess::Exited() {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  return waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid_;
}

int StreamingProcess::Reap() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

int StreamingProcess::KillGroup() {
  if (!Exited()) {
    kill(-pid_, SIGTERM);
    const SteadyClock::time_point until =
        SteadyClock::now() + absl::ToChronoNanoseconds(options_.kill_grace);
    for (auto nap = std::chrono::microseconds(100); !Exited() && SteadyClock::now() < until;
         nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::milliseconds(20))) {
      std::this_thread::sleep_for(nap);
    }
  }
  // The command is a zombie or still running, so its group id cannot have been reused yet.
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  return Reap();
}

absl::Status StreamingProcess::Fail(absl::Status error) {
  status_ = error;
  if (!reaped_) KillGroup();
  CloseFd(stdin_);
  CloseFd(stdout_);
  CloseFd(stderr_);
  input_closed_ = true;
  return error;
}

std::string StreamingProcess::Describe() const {
  return absl::StrCat("command '", options_.command, "'");
}

std::string StreamingProcess::StderrTail() const {
  if (tail_.empty()) return "";
  absl::string_view tail = tail_;
  if (tail.size() > options_.stderr_tail_bytes) {
    tail.remove_prefix(tail.size() - options_.stderr_tail_bytes);
    const size_t newline = tail.find('\n');
    if (newline != absl::string_view::npos && newline + 1 < tail.size()) {
      tail.remove_prefix(newline + 1);
    }
  }
  if (tail.back() == '\n') tail.remove_suffix(1);
  return absl::StrCat("; its stderr ended with:\n", tail);
}

}  // namespace braid
