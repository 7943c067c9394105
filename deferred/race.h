// Race: the first of several Deferreds to succeed — Twisted's race (23.8).
//
// Race fires with the first success and its index, and cancels every other input once; results
// that arrive after the winner are swallowed. If every input fails, it fails with a FailureGroup
// of their errors in input order (see errors.h). Cancelling the race cancels all inputs. An empty
// race never fires, as in Twisted. The coordinator runs a task's backup attempt this way:
//
//   Race<TaskResult>({RunAttempt(task, worker_a), RunAttempt(task, worker_b)})
//       .Then([](RaceWinner<TaskResult> winner) { Commit(winner.value); });
//
// The race takes the inputs' results; their chains go on as Deferred<void>.

#ifndef BRAID_DEFERRED_RACE_H_
#define BRAID_DEFERRED_RACE_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/internal/fan_in.h"

namespace braid {

// What a Race fires with: the index of the input that won, and its value.
template <typename T>
struct RaceWinner {
  size_t index;
  T value;
};
template <>
struct RaceWinner<void> {
  size_t index;
};

template <typename T>
Deferred<RaceWinner<T>> Race(std::vector<Deferred<T>> inputs);

// ===================================================================================== internals

namespace deferred_internal {

template <typename T>
class RaceState final : public FanIn {
 public:
  RaceState(Core* output, size_t inputs) : FanIn(output, inputs), failures_(inputs) {}

  absl::Status OnInput(size_t index, Result<T> result) {
    if (won_) return absl::OkStatus();
    if (!StatusOf(result).ok()) {
      failures_[index] = StatusOf(result);
      if (++failed_ == failures_.size()) Output().Errback(FailureGroup(failures_)).IgnoreError();
      return absl::OkStatus();
    }
    won_ = true;
    CancelPending(/*spared=*/index);
    if constexpr (std::is_void_v<T>) {
      Output().Callback(RaceWinner<void>{index}).IgnoreError();
    } else {
      Output().Callback(RaceWinner<T>{index, *std::move(result)}).IgnoreError();
    }
    return absl::OkStatus();
  }

 private:
  Deferred<RaceWinner<T>> Output() {
    output()->AddRef();
    return Access::Wrap<RaceWinner<T>>(CoreRef(output()));
  }

  std::vector<absl::Status> failures_;
  size_t failed_ = 0;
  bool won_ = false;
};

}  // namespace deferred_internal

template <typename T>
Deferred<RaceWinner<T>> Race(std::vector<Deferred<T>> inputs) {
  Deferred<RaceWinner<T>> output;
  auto* state =
      new deferred_internal::RaceState<T>(deferred_internal::Access::CoreOf(output), inputs.size());
  deferred_internal::ObserveAll(state, inputs);
  state->Release();
  return output;
}

}  // namespace braid

#endif  // BRAID_DEFERRED_RACE_H_
