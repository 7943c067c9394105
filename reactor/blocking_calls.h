// BlockingCalls: where code that runs on a loop sends the calls too slow for it (removing a large
// directory tree), so that one slow disk does not stall every peer the loop serves. The code
// takes a BlockingCalls as it takes a ReactorTime: a process gives it the reactor's thread pool,
// a test or a simulation runs the calls inline.
//
// A call runs on another thread: it must touch nothing of the loop's (capture copies, and
// thread-safe objects such as an Env). Its Deferred fires on the loop.
//
// Threading: Run is called on the loop.

#ifndef BRAID_REACTOR_BLOCKING_CALLS_H_
#define BRAID_REACTOR_BLOCKING_CALLS_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "deferred/deferred.h"
#include "reactor/reactor.h"

namespace braid {

class BlockingCalls {
 public:
  virtual ~BlockingCalls() = default;
  // Runs `call`; fires with its status (or with the reason it could not be run).
  virtual Deferred<void> Run(absl::AnyInvocable<absl::Status()> call) = 0;

  // Runs `call`; fires with what it returns (or with the reason it could not be run).
  template <typename T>
  Deferred<T> Compute(absl::AnyInvocable<absl::StatusOr<T>()> call) {
    auto result = std::make_shared<absl::StatusOr<T>>(absl::UnknownError("not run"));
    return Run([result, call = std::move(call)]() mutable {
             *result = call();
             return absl::OkStatus();
           })
        .Then([result]() -> absl::StatusOr<T> { return std::move(*result); });
  }
};

// Runs each call at once, on the caller's thread.
class InlineBlockingCalls final : public BlockingCalls {
 public:
  Deferred<void> Run(absl::AnyInvocable<absl::Status()> call) override {
    absl::Status status = call();
    return status.ok() ? Succeed() : Fail<void>(std::move(status));
  }
};

// Runs each call on `reactor`'s thread pool (DeferToThread).
class PoolBlockingCalls final : public BlockingCalls {
 public:
  explicit PoolBlockingCalls(Reactor& reactor) : reactor_(reactor) {}
  Deferred<void> Run(absl::AnyInvocable<absl::Status()> call) override {
    return reactor_.DeferToThread(std::move(call));
  }

 private:
  Reactor& reactor_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_BLOCKING_CALLS_H_
