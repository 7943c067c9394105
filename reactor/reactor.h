// Reactor: the single-threaded event loop that every Braid process runs — Twisted's reactor.
//
// One thread waits for events (a ZeroMQ socket or a file descriptor becoming readable, a timer
// coming due, a call from another thread, a signal) and runs their handlers one at a time, each to
// completion. Handlers never block: blocking work goes to a thread pool with DeferToThread and
// comes back as a Deferred. Everything here is called on the loop's thread, except
// CallFromThread, which is the one thread-safe entry.
//
//   PollReactor reactor;
//   reactor.CallWhenRunning([&] { StartServing(reactor); });
//   reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] { return DrainWork(); });
//   return reactor.Run();   // until Stop(), SIGINT or SIGTERM
//
// Time is a ReactorTime (deferred/reactor_time.h), so code written against ReactorTime runs on
// the FakeClock in tests and on a Reactor in production.

#ifndef BRAID_REACTOR_REACTOR_H_
#define BRAID_REACTOR_REACTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/reactor_time.h"

namespace zmq {
class context_t;
class socket_ref;
}  // namespace zmq

namespace braid {

// Twisted's system event trigger phases around startup and shutdown.
enum class StartupPhase { kBefore, kDuring, kAfter };
enum class ShutdownPhase { kBefore, kDuring, kAfter };

// What a reader runs: `on_readable` when the socket or descriptor has input (an error it returns
// is logged with the reader's name and the loop goes on); `on_error`, if given, when the descriptor
// failed (POLLERR, POLLNVAL, or POLLHUP with nothing to read) or `on_readable` kept failing — the
// reader has then been removed.
using OnReadable = absl::AnyInvocable<absl::Status()>;
using OnReaderError = absl::AnyInvocable<void(absl::Status)>;

class Reactor : public ReactorTime {
 public:
  using ReaderId = uint64_t;
  using TriggerId = uint64_t;

  // --- Calls.

  // Runs `f` on the loop's next turn, before it waits for events again.
  virtual void CallSoon(absl::AnyInvocable<void()> f) = 0;

  // Runs `f` once the loop is running — after startup's kDuring phase, as a kAfter startup
  // trigger — or at once, before returning, if it already is (Twisted's callWhenRunning).
  virtual void CallWhenRunning(absl::AnyInvocable<void()> f) = 0;

  // Runs `f` on the loop's thread. The only method that may be called from any thread. Calls from
  // one thread run in the order made. After the reactor has stopped, `f` is dropped (destroyed on
  // the calling thread) and false is returned.
  virtual bool CallFromThread(absl::AnyInvocable<void()> f) = 0;

  // Runs `f()` on the reactor's thread pool and fires the returned Deferred on the loop with what
  // it returned (a value, an absl::StatusOr or an absl::Status). `f` must not touch loop state. The
  // Deferred fails with kResourceExhausted if the pool's queue is full, and with kCancelled if the
  // reactor stops before `f` has started (work already running finishes, and its result is
  // delivered as Run returns). Cancelling the Deferred cannot stop `f`; its result is then
  // dropped.
  template <typename F>
  auto DeferToThread(F f);

  // --- Readers.

  // Watches a ZeroMQ socket (level-triggered: `on_readable` runs while messages wait; it should
  // read what it can without blocking). REQUIRES: the socket outlives the reader.
  virtual ReaderId AddReader(zmq::socket_ref socket, std::string name, OnReadable on_readable,
                             OnReaderError on_error = nullptr) = 0;
  // Watches a file descriptor for input. REQUIRES: the descriptor stays open while watched.
  virtual ReaderId AddReader(int fd, std::string name, OnReadable on_readable,
                             OnReaderError on_error = nullptr) = 0;
  // Stops watching; safe from inside any handler, including the reader's own. Unknown or removed
  // ids are ignored.
  virtual void RemoveReader(ReaderId id) = 0;

  // --- Running and stopping.

  // Runs the loop until Stop() (or SIGINT/SIGTERM, unless the program caught them itself) and the
  // shutdown triggers have finished. It starts up first, on its first turn: the kBefore startup
  // triggers run and the loop waits for the Deferreds they returned, then kDuring, after which
  // running() is true, then kAfter (with the CallWhenRunning functions, in the order added).
  // Events are served meanwhile. kFailedPrecondition if the reactor already ran.
  virtual absl::Status Run() = 0;

  // Begins an orderly shutdown: the kBefore triggers run and the loop waits for the Deferreds they
  // returned, then kDuring, then kAfter; then Run returns. Each phase waits at most the reactor's
  // shutdown timeout. Safe from any handler; the rest of the current turn (the other handlers due,
  // the other calls from threads) waits for the next turn. kFailedPrecondition ("reactor not
  // running", Twisted's ReactorNotRunning) before Run, once stopping has begun, and after.
  virtual absl::Status Stop() = 0;

  // True from the end of startup's kDuring phase until Run returns.
  virtual bool running() const = 0;

  // Adds a shutdown trigger (Twisted's addSystemEventTrigger for "shutdown"). Returns an id for
  // RemoveShutdownTrigger.
  virtual TriggerId AddShutdownTrigger(ShutdownPhase phase,
                                       absl::AnyInvocable<Deferred<void>()> trigger) = 0;
  // Adds a startup trigger (addSystemEventTrigger for "startup"); run by Run, see there. Added
  // once startup has passed its phase, it never runs.
  virtual TriggerId AddStartupTrigger(StartupPhase phase,
                                      absl::AnyInvocable<Deferred<void>()> trigger) = 0;
  // Removes a startup or shutdown trigger that has not run. kNotFound for an id that is unknown,
  // already removed or already run (Twisted raises there too).
  virtual absl::Status RemoveTrigger(TriggerId id) = 0;
  absl::Status RemoveShutdownTrigger(TriggerId id) { return RemoveTrigger(id); }

  // The calls scheduled with CallLater and still pending, in no particular order (Twisted's
  // getDelayedCalls).
  virtual std::vector<DelayedCall> DelayedCalls() = 0;

  // Runs `handler` on the loop whenever `signal` arrives, instead of the signal's previous
  // action, until Run returns (or the reactor is destroyed). The handler may replace itself.
  // Replaces the reactor's own SIGINT/SIGTERM handling for that signal. kFailedPrecondition if
  // another reactor in this process catches signals.
  virtual absl::Status CatchSignal(int signal, absl::AnyInvocable<void()> handler) = 0;

  // The ZeroMQ context that sockets watched by this reactor belong to. REQUIRES: sockets made from
  // it are closed before the reactor is destroyed.
  virtual zmq::context_t& zmq_context() = 0;

 protected:
  // Queues `work` on the thread pool; kResourceExhausted or kFailedPrecondition if it will not run.
  virtual absl::Status SubmitToPool(absl::AnyInvocable<void()> work) = 0;

  // The loop-side half of DeferToThread: the Deferreds waiting for pool work, by id. A completion
  // fires its Deferred with `*result` (a Result<T> of its type) or, if `result` is null, with
  // `error`.
  using Completion = absl::AnyInvocable<void(void* result, const absl::Status& error)>;
  uint64_t AddPendingWork(Completion completion);
  // Completes pending work `id`, if it is still pending.
  void CompletePendingWork(uint64_t id, void* result, const absl::Status& error);
  // Fails every pending work's Deferred with `error` (at shutdown).
  void FailPendingWork(const absl::Status& error);

 private:
  uint64_t next_work_id_ = 1;
  absl::flat_hash_map<uint64_t, Completion> pending_work_;
};

template <typename F>
auto Reactor::DeferToThread(F f) {
  using Returned = std::invoke_result_t<F&>;
  static_assert(!deferred_internal::IsDeferred<std::remove_cvref_t<Returned>>::value,
                "DeferToThread runs blocking work; a function returning a Deferred belongs on "
                "the loop");
  using T = deferred_internal::ChainValue<Returned>;
  Deferred<T> deferred;
  uint64_t id = AddPendingWork([deferred](void* result, const absl::Status& error) mutable {
    if (result == nullptr) {
      deferred.Errback(error).IgnoreError();
    } else {
      deferred.Fire(std::move(*static_cast<Result<T>*>(result))).IgnoreError();
    }
  });
  absl::Status submitted = SubmitToPool([this, id, f = std::move(f)]() mutable {
    auto result = std::make_unique<Result<T>>([&f]() -> Result<T> {
      if constexpr (std::is_void_v<Returned>) {
        f();
        return absl::OkStatus();
      } else {
        return f();
      }
    }());
    CallFromThread([this, id, result = std::move(result)]() mutable {
      CompletePendingWork(id, result.get(), absl::OkStatus());
    });
  });
  if (!submitted.ok()) CompletePendingWork(id, nullptr, submitted);
  return deferred;
}

}  // namespace braid

#endif  // BRAID_REACTOR_REACTOR_H_
