// StreamingProcess: one run of a streaming command — `/bin/sh -c COMMAND` with pipes on its
// stdin, stdout and stderr, driven from the calling thread.
//
//   StreamingProcess::Options options;
//   options.command = "sort | uniq -c";
//   ...
//   absl::StatusOr<std::unique_ptr<StreamingProcess>> process =
//       StreamingProcess::Start(options, listener);
//   for (...) RETURN_IF_ERROR((*process)->WriteLine({key, "\t", value}));
//   RETURN_IF_ERROR((*process)->Finish());  // OK only if the command exited with status 0
//
// Nothing blocks on the command: its pipes are non-blocking on this side, and whenever input
// waits to be written, or the run is finishing, one poll() loop writes stdin while it reads
// stdout and stderr, handing each complete line to the listener. So a command that writes much
// without reading, or reads everything before writing, never deadlocks with its feeder; one
// that exits without reading its input only loses that input (EPIPE: SIGPIPE is blocked for the
// writing thread and the pending signal consumed), and its exit status decides the outcome.
//
// The command runs in its own process group, in `working_directory`, with exactly
// `environment`, default signal dispositions and an empty signal mask; it is SIGKILLed if the
// thread that started it exits. Everything left of its group is killed when the run ends: on
// success (stragglers of a finished command), on failure, on cancellation and on destruction —
// SIGTERM to the group, up to `kill_grace` for the command to exit, then SIGKILL; the command is
// always reaped (no zombies).
//
// The run fails, and the group is killed, when:
//   - the command exits non-zero or dies of a signal (kAborted: the command, its exit status or
//     signal, and the tail of its stderr);
//   - for `timeout`, it neither read input, nor wrote output, nor wrote to stderr, while this
//     side waited on it (kDeadlineExceeded); time spent elsewhere, between calls, is not counted;
//   - `*cancelled` becomes true (kCancelled), which is checked at least every 100 ms of waiting.
// After a failure every call returns the same error.
//
// Threading: one thread at a time, which must be the one that called Start; the listener is
// called on it, inside WriteLine and Finish.

#ifndef BRAID_WORKER_STREAMING_PROCESS_H_
#define BRAID_WORKER_STREAMING_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "worker/line_reader.h"

namespace braid {

class StreamingProcess {
 public:
  struct Options {
    std::string command;
    // Must exist.
    std::string working_directory;
    // NAME=VALUE entries: the command's whole environment.
    std::vector<std::string> environment;
    // No progress for this long fails the run.
    absl::Duration timeout = absl::Minutes(10);
    // Between SIGTERM and SIGKILL when the group is killed.
    absl::Duration kill_grace = absl::Milliseconds(500);
    // May be null. Not owned; must outlive the process object.
    const std::atomic<bool>* cancelled = nullptr;
    // Bytes of the stderr tail kept for the error message.
    size_t stderr_tail_bytes = 2048;
  };

  // What the command writes, line by line (without the newline; a last line without one counts
  // too). The views live for the call.
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnOutputLine(absl::string_view line) = 0;
    // Returns true if the line was a control line (it is then left out of the stderr tail).
    virtual bool OnErrorLine(absl::string_view line) = 0;
  };

  // Starts the command. `listener` is not owned and must outlive the process object. Fails with
  // kInternal or kResourceExhausted if pipes or the process cannot be made, and with kNotFound if
  // the working directory cannot be entered.
  static absl::StatusOr<std::unique_ptr<StreamingProcess>> Start(Options options,
                                                                 Listener* listener);

  StreamingProcess(const StreamingProcess&) = delete;
  StreamingProcess& operator=(const StreamingProcess&) = delete;
  // Kills the group and reaps the command if the run has not ended.
  ~StreamingProcess();

  // Queues `pieces` and a newline for the command's stdin; once enough input waits, writes it
  // all out (reading the command's output meanwhile). Input the command no longer reads is
  // dropped silently.
  absl::Status WriteLine(std::initializer_list<absl::string_view> pieces);

  // Writes out the queued input, closes stdin, reads stdout and stderr to their ends and waits
  // for the command to exit. OK if it exited with status 0. Call once.
  absl::Status Finish();

  pid_t pid() const { return pid_; }

 private:
  using SteadyClock = std::chrono::steady_clock;

  StreamingProcess(Options options, Listener* listener) noexcept;

  // Runs the poll loop until `done()` or a failure.
  template <typename Done>
  absl::Status Pump(Done done);
  // One poll() round. Fails on timeout or cancellation.
  absl::Status PumpOnce(SteadyClock::time_point idle_since);
  void WriteInput();
  void CloseInput();
  bool ReadOutput();
  void ReadErrors();
  // The whole group: SIGTERM, grace, SIGKILL; then reaps the command. Returns the wait status.
  int KillGroup();
  // The wait status, once the command has exited (not reaped), without blocking.
  bool Exited();
  int Reap();
  absl::Status Fail(absl::Status error);
  std::string Describe() const;
  std::string StderrTail() const;

  Options options_;
  Listener* listener_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  std::string input_;        // queued for stdin
  size_t input_offset_ = 0;  // of the first byte not yet written
  bool input_closed_ = false;
  LineReader output_;
  LineReader errors_;
  std::string tail_;  // the last bytes of ordinary stderr lines
  SteadyClock::time_point last_progress_;
  absl::Status status_;
  bool finished_ = false;
};

}  // namespace braid

#endif  // BRAID_WORKER_STREAMING_PROCESS_H_
