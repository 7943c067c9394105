// PollReactor: the real Reactor, waiting with zmq_poll on ZeroMQ sockets and file descriptors
// together (level-triggered; Debian's libzmq has no zmq_poller).
//
// Each turn of the loop runs the CallSoon calls queued before the turn, waits for input or the
// next timer, runs the readers that have input, then the timers that were due when the turn
// began. Time is monotonic (steady_clock), with the poll's millisecond resolution. Calls from
// other threads wake the loop through an eventfd; signals through a self-pipe.
//
// Threading: everything on the loop's thread, except CallFromThread.

#ifndef BRAID_REACTOR_POLL_REACTOR_H_
#define BRAID_REACTOR_POLL_REACTOR_H_

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "reactor/reactor.h"
#include "reactor/thread_pool.h"
#include "reactor/timer_queue.h"

namespace braid {

struct PollReactorOptions {
  // Threads for DeferToThread (started on first use), and how much work may wait for them.
  size_t thread_pool_size = 0;  // 0: the number of cores
  size_t thread_pool_queue_limit = 1 << 20;
  // How long each shutdown phase waits for its triggers' Deferreds.
  absl::Duration shutdown_timeout = absl::Seconds(30);
  // While Run() runs, SIGINT and SIGTERM call Stop() (unless caught with CatchSignal). Signal
  // handling of either kind ends when Run returns: the signals' previous actions come back.
  bool stop_on_signals = true;
};

class PollReactor final : public Reactor {
 public:
  explicit PollReactor(PollReactorOptions options = {});
  PollReactor(const PollReactor&) = delete;
  PollReactor& operator=(const PollReactor&) = delete;
  // REQUIRES: not running, and every socket made from zmq_context() closed.
  ~PollReactor() override;

  absl::Time Now() const override;
  DelayedCall CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) override;

  void CallSoon(absl::AnyInvocable<void()> f) override;
  void CallWhenRunning(absl::AnyInvocable<void()> f) override;
  bool CallFromThread(absl::AnyInvocable<void()> f) override;

  ReaderId AddReader(zmq::socket_ref socket, std::string name, OnReadable on_readable,
                     OnReaderError on_error = nullptr) override;
  ReaderId AddReader(int fd, std::string name, OnReadable on_readable,
                     OnReaderError on_error = nullptr) override;
  void RemoveReader(ReaderId id) override;

  absl::Status Run() override;
  absl::Status Stop() override;
  bool running() const override {
    return started_ && (state_ == State::kRunning || state_ == State::kStopping);
  }

  TriggerId AddShutdownTrigger(ShutdownPhase phase,
                               absl::AnyInvocable<Deferred<void>()> trigger) override;
  TriggerId AddStartupTrigger(StartupPhase phase,
                              absl::AnyInvocable<Deferred<void>()> trigger) override;
  absl::Status RemoveTrigger(TriggerId id) override;
  std::vector<DelayedCall> DelayedCalls() override;

  absl::Status CatchSignal(int signal, absl::AnyInvocable<void()> handler) override;

  zmq::context_t& zmq_context() override;

 protected:
  bool CallActive(uint64_t id) const override { return timers_.Active(id); }
  absl::Time CallTime(uint64_t id) const override { return timers_.When(id); }
  CallEnd CancelCall(uint64_t id) override { return timers_.Cancel(id); }
  bool RescheduleCall(uint64_t id, absl::Time when) override {
    return timers_.Reschedule(id, when);
  }
  absl::Status SubmitToPool(absl::AnyInvocable<void()> work) override;

 private:
  enum class State { kIdle, kRunning, kStopping, kStopped };

  struct Reader {
    ReaderId id;
    void* socket;  // a zmq socket, or null for a descriptor
    int fd;
    std::string name;
    OnReadable on_readable;
    OnReaderError on_error;
    int consecutive_failures = 0;
    bool removed = false;
  };
  struct Trigger {
    TriggerId id;
    bool startup;
    int phase;  // a StartupPhase or ShutdownPhase
    absl::AnyInvocable<Deferred<void>()> f;
  };

  ReaderId AddReaderImpl(void* socket, int fd, std::string name, OnReadable on_readable,
                         OnReaderError on_error);
  void Turn();
  int PollTimeoutMillis() const;
  void DispatchReaders(size_t ready);
  void RunReader(Reader& reader, short revents);
  void FailReader(Reader& reader, absl::Status error);
  void RunDueTimers(uint64_t before_sequence);
  absl::Status DrainThreadCalls();
  // Makes the wakeup descriptor readable. REQUIRES: thread_calls_mutex_ held.
  void Wake();
  absl::Status DrainSignals();
  void RunStartupPhase(StartupPhase phase);
  void RunShutdownPhase(ShutdownPhase phase);
  // Runs and takes out the triggers of one phase, one at a time (a trigger may add or remove
  // triggers; those added to this phase run in it too, as in Twisted); their Deferreds.
  std::vector<Deferred<void>> RunTriggers(bool startup, int phase);
  void ReleaseSignals();

  PollReactorOptions options_;
  State state_ = State::kIdle;
  bool started_ = false;                                // startup's kDuring phase has ended
  StartupPhase startup_phase_ = StartupPhase::kBefore;  // the phase running or next
  bool startup_done_ = false;
  bool exit_ = false;      // Run returns at the next check
  bool cut_turn_ = false;  // Stop() was called: the rest of this turn's handlers wait
  TimerQueue timers_;
  std::deque<absl::AnyInvocable<void()>> soon_;

  ReaderId next_reader_id_ = 1;
  absl::flat_hash_map<ReaderId, std::unique_ptr<Reader>> readers_;
  std::vector<std::unique_ptr<Reader>> removed_readers_;  // freed after the current dispatch
  bool poll_items_stale_ = true;
  std::vector<uint8_t> poll_items_;  // zmq_pollitem_t[], kept opaque to spare this header zmq.h
  std::vector<Reader*> poll_readers_;

  TriggerId next_trigger_id_ = 1;
  std::vector<Trigger> triggers_;

  std::mutex thread_calls_mutex_;
  std::deque<absl::AnyInvocable<void()>> thread_calls_;  // guarded by thread_calls_mutex_
  bool accepting_thread_calls_ = true;                   // guarded by thread_calls_mutex_
  int wake_fd_ = -1;

  int signal_read_fd_ = -1;
  int signal_write_fd_ = -1;
  absl::flat_hash_map<int, absl::AnyInvocable<void()>> signal_handlers_;
  absl::flat_hash_map<int, std::unique_ptr<struct ::sigaction>> saved_signal_actions_;

  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<zmq::context_t> zmq_context_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_POLL_REACTOR_H_
