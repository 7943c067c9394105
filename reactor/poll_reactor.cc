#include "reactor/poll_reactor.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "deferred/deferred_list.h"
#include "glog/logging.h"

namespace braid {
namespace {

// A reader whose on_readable fails this many times in a row is removed and reported, rather than
// spun on.
constexpr int kMaxConsecutiveReaderFailures = 64;

// The process-wide end of the signal self-pipe: the one reactor that catches signals.
std::atomic<int> signal_pipe_write_fd{-1};
std::atomic<PollReactor*> signal_owner{nullptr};

void OnSignal(int signal) {
  int saved_errno = errno;
  int fd = signal_pipe_write_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] ssize_t written = write(fd, &byte, 1);
  }
  errno = saved_errno;
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

zmq_pollitem_t* Items(std::vector<uint8_t>& bytes) {
  return reinterpret_cast<zmq_pollitem_t*>(bytes.data());
}

}  // namespace

PollReactor::PollReactor(PollReactorOptions options) : options_(options) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  PCHECK(wake_fd_ >= 0) << "eventfd";
  AddReader(
      wake_fd_, "call-from-thread wakeup", [this] { return DrainThreadCalls(); },
      [](absl::Status error) {
        LOG(FATAL) << "the reactor's wakeup descriptor failed: " << error;
      });
}

PollReactor::~PollReactor() {
  CHECK(state_ != State::kRunning && state_ != State::kStopping)
      << "a PollReactor must not be destroyed while it runs";
  if (pool_ != nullptr) pool_->Shutdown();
  std::deque<absl::AnyInvocable<void()>> thread_calls;
  {
    std::lock_guard<std::mutex> lock(thread_calls_mutex_);
    accepting_thread_calls_ = false;
    thread_calls.swap(thread_calls_);
  }
  thread_calls.clear();
  FailPendingWork(absl::CancelledError("the reactor shut down before the work ran"));
  // Destroy pending functions while the timer queue can still answer their destructors.
  std::vector<TimerQueue::Function> timers = timers_.TakeAll();
  timers.clear();
  soon_.clear();
  triggers_.clear();
  readers_.clear();
  removed_readers_.clear();
  ReleaseSignals();
  close(wake_fd_);
  zmq_context_.reset();
}

absl::Time PollReactor::Now() const {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

DelayedCall PollReactor::CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) {
  if (delay < absl::ZeroDuration()) return RefuseNegativeDelay(delay);
  return DelayedCall(this, timers_.Schedule(Now() + delay, std::move(f)));
}

std::vector<DelayedCall> PollReactor::DelayedCalls() { return timers_.PendingCalls(this); }

void PollReactor::CallSoon(absl::AnyInvocable<void()> f) { soon_.push_back(std::move(f)); }

void PollReactor::CallWhenRunning(absl::AnyInvocable<void()> f) {
  if (running()) {
    f();
    return;
  }
  AddStartupTrigger(StartupPhase::kAfter, [f = std::move(f)]() mutable {
    f();
    return Succeed();
  });
}

bool PollReactor::CallFromThread(absl::AnyInvocable<void()> f) {
  std::lock_guard<std::mutex> lock(thread_calls_mutex_);
  if (!accepting_thread_calls_) return false;
  const bool wake = thread_calls_.empty();
  thread_calls_.push_back(std::move(f));
  // Written under the lock, so that the reactor cannot close the descriptor in between.
  if (wake) Wake();
  return true;
}

void PollReactor::Wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
}

absl::Status PollReactor::DrainThreadCalls() {
  uint64_t count;
  [[maybe_unused]] ssize_t got = read(wake_fd_, &count, sizeof(count));
  std::deque<absl::AnyInvocable<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(thread_calls_mutex_);
    calls.swap(thread_calls_);
  }
  while (!calls.empty() && !exit_ && !cut_turn_) {
    absl::AnyInvocable<void()> call = std::move(calls.front());
    calls.pop_front();
    call();
  }
  if (!calls.empty()) {
    // Stop() cut the turn short: the rest run on the next turn, ahead of newer calls.
    std::lock_guard<std::mutex> lock(thread_calls_mutex_);
    for (auto& call : thread_calls_) calls.push_back(std::move(call));
    thread_calls_.swap(calls);
    Wake();
  }
  return absl::OkStatus();
}

absl::Status PollReactor::SubmitToPool(absl::AnyInvocable<void()> work) {
  if (state_ == State::kStopped) {
    return absl::CancelledError("the reactor has stopped: the work will not run");
  }
  if (pool_ == nullptr) {
    size_t threads = options_.thread_pool_size;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    pool_ = std::make_unique<ThreadPool>(threads, options_.thread_pool_queue_limit);
  }
  return pool_->Submit(std::move(work));
}

Reactor::ReaderId PollReactor::AddReader(zmq::socket_ref socket, std::string name,
                                         OnReadable on_readable, OnReaderError on_error) {
  return AddReaderImpl(socket.handle(), -1, std::move(name), std::move(on_readable),
                       std::move(on_error));
}

Reactor::ReaderId PollReactor::AddReader(int fd, std::string name, OnReadable on_readable,
                                         OnReaderError on_error) {
  return AddReaderImpl(nullptr, fd, std::move(name), std::move(on_readable), std::move(on_error));
}

Reactor::ReaderId PollReactor::AddReaderImpl(void* socket, int fd, std::string name,
                                             OnReadable on_readable, OnReaderError on_error) {
  ReaderId id = next_reader_id_++;
  auto reader = std::make_unique<Reader>();
  reader->id = id;
  reader->socket = socket;
  reader->fd = fd;
  reader->name = std::move(name);
  reader->on_readable = std::move(on_readable);
  reader->on_error = std::move(on_error);
  readers_.emplace(id, std::move(reader));
  poll_items_stale_ = true;
  return id;
}

void PollReactor::RemoveReader(ReaderId id) {
  auto it = readers_.find(id);
  if (it == readers_.end()) return;
  it->second->removed = true;
  // A handler may be removing its own reader: keep it alive until the dispatch is over.
  removed_readers_.push_back(std::move(it->second));
  readers_.erase(it);
  poll_items_stale_ = true;
}

absl::Status PollReactor::Run() {
  if (state_ != State::kIdle) return absl::FailedPreconditionError("the reactor already ran");
  state_ = State::kRunning;
  if (options_.stop_on_signals) {
    for (int signal : {SIGINT, SIGTERM}) {
      if (signal_handlers_.contains(signal)) continue;
      absl::Status caught = CatchSignal(signal, [this] { Stop().IgnoreError(); });
      if (!caught.ok()) LOG(WARNING) << "not stopping on signal " << signal << ": " << caught;
    }
  }
  CallSoon([this] { RunStartupPhase(StartupPhase::kBefore); });
  while (!exit_) Turn();
  state_ = State::kStopped;
  ReleaseSignals();  // nothing reads the signal pipe any more
  // Work running on the pool finishes and posts its result; work still queued is dropped.
  if (pool_ != nullptr) pool_->Shutdown();
  std::vector<absl::AnyInvocable<void()>> last_calls;
  {
    std::lock_guard<std::mutex> lock(thread_calls_mutex_);
    accepting_thread_calls_ = false;
    for (auto& call : thread_calls_) last_calls.push_back(std::move(call));
    thread_calls_.clear();
  }
  for (auto& call : last_calls) call();  // among them, the results of finished work
  FailPendingWork(absl::CancelledError("the reactor shut down before the work ran"));
  return absl::OkStatus();
}

void PollReactor::Turn() {
  cut_turn_ = false;
  // Calls queued during this batch run next turn, so that a call that queues another cannot
  // starve the loop.
  for (size_t n = soon_.size(); n > 0 && !exit_ && !cut_turn_; --n) {
    absl::AnyInvocable<void()> f = std::move(soon_.front());
    soon_.pop_front();
    f();
  }
  if (exit_) return;
  const uint64_t timers_before = timers_.next_sequence();
  if (poll_items_stale_) {
    poll_items_.assign(readers_.size() * sizeof(zmq_pollitem_t), 0);
    poll_readers_.clear();
    zmq_pollitem_t* items = Items(poll_items_);
    for (auto& [id, reader] : readers_) {
      items[poll_readers_.size()] = {reader->socket, reader->fd, ZMQ_POLLIN, 0};
      poll_readers_.push_back(reader.get());
    }
    poll_items_stale_ = false;
  }
  int ready =
      zmq_poll(Items(poll_items_), static_cast<int>(poll_readers_.size()), PollTimeoutMillis());
  if (ready < 0 && zmq_errno() != EINTR) {
    LOG(ERROR) << "zmq_poll failed: " << zmq_strerror(zmq_errno());
  }
  if (ready > 0) DispatchReaders(static_cast<size_t>(ready));
  std::vector<std::unique_ptr<Reader>> removed;
  removed.swap(removed_readers_);
  removed.clear();  // may run destructors that remove more readers
  if (!exit_ && !cut_turn_) RunDueTimers(timers_before);
}

int PollReactor::PollTimeoutMillis() const {
  if (!soon_.empty() || cut_turn_) return 0;
  std::optional<absl::Time> next = timers_.NextDue();
  if (!next.has_value()) return -1;
  absl::Duration wait = *next - Now();
  if (wait <= absl::ZeroDuration()) return 0;
  // Round up, so that the timer is due when the poll returns rather than spun on.
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(wait + absl::Milliseconds(1) - absl::Nanoseconds(1)), INT32_MAX));
}

void PollReactor::DispatchReaders(size_t ready) {
  zmq_pollitem_t* items = Items(poll_items_);
  for (size_t i = 0; i < poll_readers_.size() && ready > 0; ++i) {
    if (items[i].revents == 0) continue;
    --ready;
    if (exit_ || cut_turn_) return;
    Reader* reader = poll_readers_[i];
    if (reader->removed) continue;
    RunReader(*reader, items[i].revents);
  }
}

void PollReactor::RunReader(Reader& reader, short revents) {
  const bool descriptor = reader.socket == nullptr;
  if (descriptor && (revents & ZMQ_POLLERR) != 0 && (revents & ZMQ_POLLIN) == 0) {
    FailReader(reader,
               absl::UnavailableError(absl::StrCat("reader '", reader.name, "': descriptor ",
                                                   reader.fd, " failed or hung up")));
    return;
  }
  absl::Status status = reader.on_readable();
  if (status.ok()) {
    reader.consecutive_failures = 0;
    return;
  }
  // The first failure of a streak is logged; a streak that does not end is reported below.
  if (reader.consecutive_failures == 0) {
    LOG(ERROR) << "reader '" << reader.name << "' failed: " << status;
  }
  if (++reader.consecutive_failures >= kMaxConsecutiveReaderFailures && !reader.removed) {
    FailReader(reader, absl::AbortedError(absl::StrCat(
                           "reader '", reader.name, "' failed ", reader.consecutive_failures,
                           " times in a row; last: ", status.ToString())));
  }
}

void PollReactor::FailReader(Reader& reader, absl::Status error) {
  LOG(ERROR) << error;
  OnReaderError on_error = std::move(reader.on_error);
  RemoveReader(reader.id);
  if (on_error) on_error(std::move(error));
}

void PollReactor::RunDueTimers(uint64_t before_sequence) {
  const absl::Time now = Now();
  while (!exit_ && !cut_turn_) {
    std::optional<TimerQueue::Function> f = timers_.PopDue(now, before_sequence);
    if (!f.has_value()) return;
    (*f)();
  }
}

absl::Status PollReactor::Stop() {
  if (state_ != State::kRunning) {
    return absl::FailedPreconditionError(state_ == State::kStopping
                                             ? "reactor not running: it is stopping already"
                                             : "reactor not running: it cannot be stopped");
  }
  cut_turn_ = true;
  state_ = State::kStopping;
  CallSoon([this] { RunShutdownPhase(ShutdownPhase::kBefore); });
  return absl::OkStatus();
}

std::vector<Deferred<void>> PollReactor::RunTriggers(bool startup, int phase) {
  std::vector<Deferred<void>> waits;
  while (true) {
    auto next = std::find_if(triggers_.begin(), triggers_.end(), [&](const Trigger& t) {
      return t.startup == startup && t.phase == phase;
    });
    if (next == triggers_.end()) break;
    absl::AnyInvocable<Deferred<void>()> trigger = std::move(next->f);
    triggers_.erase(next);
    waits.push_back(MaybeDeferred(std::move(trigger)));
  }
  return waits;
}

void PollReactor::RunStartupPhase(StartupPhase phase) {
  if (state_ != State::kRunning) return;  // stopped while starting up: startup ends here
  startup_phase_ = phase;
  DeferredList(RunTriggers(/*startup=*/true, static_cast<int>(phase)), {.consume_errors = true})
      .Then([this, phase](DeferredListResult<void> outcome) {
        for (const absl::Status& result : outcome.results) {
          if (!result.ok()) LOG(WARNING) << "startup trigger failed: " << result;
        }
        if (phase == StartupPhase::kDuring) started_ = true;
        if (phase == StartupPhase::kAfter) {
          startup_done_ = true;
          return;
        }
        RunStartupPhase(static_cast<StartupPhase>(static_cast<int>(phase) + 1));
      });
}

void PollReactor::RunShutdownPhase(ShutdownPhase phase) {
  DeferredList(RunTriggers(/*startup=*/false, static_cast<int>(phase)), {.consume_errors = true})
      .AddTimeout(*this, options_.shutdown_timeout)
      .Both([this, phase](Result<DeferredListResult<void>> outcome) {
        if (!outcome.ok()) {
          LOG(WARNING) << "shutdown phase " << static_cast<int>(phase)
                       << " gave up waiting: " << outcome.status();
        } else {
          for (const absl::Status& result : outcome->results) {
            if (!result.ok()) LOG(WARNING) << "shutdown trigger failed: " << result;
          }
        }
        if (phase == ShutdownPhase::kAfter) {
          exit_ = true;
        } else {
          RunShutdownPhase(static_cast<ShutdownPhase>(static_cast<int>(phase) + 1));
        }
      });
}

Reactor::TriggerId PollReactor::AddShutdownTrigger(ShutdownPhase phase,
                                                   absl::AnyInvocable<Deferred<void>()> trigger) {
  TriggerId id = next_trigger_id_++;
  triggers_.push_back(Trigger{id, /*startup=*/false, static_cast<int>(phase), std::move(trigger)});
  return id;
}

Reactor::TriggerId PollReactor::AddStartupTrigger(StartupPhase phase,
                                                  absl::AnyInvocable<Deferred<void>()> trigger) {
  TriggerId id = next_trigger_id_++;
  if (startup_done_ || (state_ != State::kIdle && phase < startup_phase_)) {
    LOG(WARNING) << "startup trigger added after its phase: it will not run";
    return id;
  }
  triggers_.push_back(Trigger{id, /*startup=*/true, static_cast<int>(phase), std::move(trigger)});
  return id;
}

absl::Status PollReactor::RemoveTrigger(TriggerId id) {
  if (std::erase_if(triggers_, [id](const Trigger& t) { return t.id == id; }) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no trigger ", id, " to remove (unknown, removed, or run already)"));
  }
  return absl::OkStatus();
}

absl::Status PollReactor::CatchSignal(int signal, absl::AnyInvocable<void()> handler) {
  if (signal_read_fd_ < 0) {
    PollReactor* expected = nullptr;
    if (!signal_owner.compare_exchange_strong(expected, this)) {
      return absl::FailedPreconditionError("another reactor in this process catches signals");
    }
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      signal_owner.store(nullptr);
      return ErrnoError("pipe2");
    }
    signal_read_fd_ = fds[0];
    signal_write_fd_ = fds[1];
    signal_pipe_write_fd.store(signal_write_fd_);
    AddReader(
        signal_read_fd_, "signals", [this] { return DrainSignals(); },
        [](absl::Status error) { LOG(ERROR) << "the reactor's signal pipe failed: " << error; });
  }
  if (!saved_signal_actions_.contains(signal)) {
    struct ::sigaction action {};
    action.sa_handler = &OnSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    auto saved = std::make_unique<struct ::sigaction>();
    if (sigaction(signal, &action, saved.get()) != 0) return ErrnoError("sigaction");
    saved_signal_actions_.emplace(signal, std::move(saved));
  }
  signal_handlers_[signal] = std::move(handler);
  return absl::OkStatus();
}

absl::Status PollReactor::DrainSignals() {
  unsigned char signals[64];
  ssize_t got;
  while ((got = read(signal_read_fd_, signals, sizeof(signals))) > 0) {
    for (ssize_t i = 0; i < got; ++i) {
      auto it = signal_handlers_.find(signals[i]);
      if (it == signal_handlers_.end() || !it->second) continue;
      // Moved out while it runs: it may replace itself with CatchSignal.
      absl::AnyInvocable<void()> handler = std::move(it->second);
      handler();
      auto again = signal_handlers_.find(signals[i]);
      if (again != signal_handlers_.end() && !again->second) again->second = std::move(handler);
    }
  }
  return absl::OkStatus();
}

void PollReactor::ReleaseSignals() {
  if (signal_read_fd_ < 0) return;
  // The default actions come back first, so no handler starts writing to the pipe once it closes.
  for (auto& [signal, saved] : saved_signal_actions_) sigaction(signal, saved.get(), nullptr);
  saved_signal_actions_.clear();
  signal_handlers_.clear();
  signal_pipe_write_fd.store(-1);
  close(signal_read_fd_);
  close(signal_write_fd_);
  signal_read_fd_ = signal_write_fd_ = -1;
  signal_owner.store(nullptr);
}

zmq::context_t& PollReactor::zmq_context() {
  if (zmq_context_ == nullptr) zmq_context_ = std::make_unique<zmq::context_t>();
  return *zmq_context_;
}

}  // namespace braid
