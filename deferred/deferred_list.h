// DeferredList and GatherResults: waiting for several Deferreds at once.
//
// DeferredList is Twisted's DeferredList: it fires once every input has, with each input's
// outcome in input order, or earlier under its options:
//   fire_on_one_callback  fire with the first success (its value and index);
//   fire_on_one_errback   fail with the first error, as FirstError (which carries its index);
//   consume_errors        the inputs' errors stop at the list; without it they stay in the
//                         inputs too, and are reported as unhandled if nothing else handles them.
// An empty list fires at once (never, under fire_on_one_callback — as in Twisted). Cancelling the
// list cancels every input still pending. The coordinator gathers a job's map tasks this way:
//
//   DeferredList(map_tasks, {.fire_on_one_errback = true, .consume_errors = true})
//       .Then([](DeferredListResult<MapOutput> maps) { return StartReduce(maps); });
//
// The list takes the inputs' values; their chains go on as Deferred<void>.
//
// GatherResults is Twisted's gatherResults: all the values in order, or the first error (a
// FirstError). It also comes in a form for Deferreds of different types, giving a tuple.

#ifndef BRAID_DEFERRED_DEFERRED_LIST_H_
#define BRAID_DEFERRED_DEFERRED_LIST_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/internal/fan_in.h"

namespace braid {

struct DeferredListOptions {
  bool fire_on_one_callback = false;
  bool fire_on_one_errback = false;
  bool consume_errors = false;
};

// What a DeferredList fires with.
template <typename T>
struct DeferredListResult {
  // One entry per input, in input order: its value or its error. When the list fired early
  // (fire_on_one_callback), an input that had not fired by then holds kUnavailable.
  std::vector<Result<T>> results;
  // Under fire_on_one_callback, the index of the input whose success fired the list; its value is
  // results[*first_success] (Twisted's (result, index)). Otherwise nullopt.
  std::optional<size_t> first_success;
};

template <typename T>
Deferred<DeferredListResult<T>> DeferredList(std::vector<Deferred<T>> inputs,
                                             DeferredListOptions options = {});

// The values of `inputs` in order, or the first error as a FirstError. Deferred<void> inputs give
// a Deferred<void>.
template <typename T>
auto GatherResults(std::vector<Deferred<T>> inputs, bool consume_errors = false);

// The values of Deferreds of different (non-void) types, as a tuple, or the first error (which
// the inputs do not keep).
template <typename... Ts>
Deferred<std::tuple<Ts...>> GatherResults(Deferred<Ts>... inputs);

// ===================================================================================== internals

namespace deferred_internal {

template <typename T>
class DeferredListState final : public FanIn {
 public:
  DeferredListState(Core* output, size_t inputs, DeferredListOptions options)
      : FanIn(output, inputs), results_(inputs), options_(options) {}

  absl::Status OnInput(size_t index, Result<T> result) {
    absl::Status kept = options_.consume_errors ? absl::OkStatus() : StatusOf(result);
    ++finished_;
    if (output()->called()) return kept;
    const bool ok = StatusOf(result).ok();
    if (!ok && options_.fire_on_one_errback) {
      Output().Errback(FirstError(StatusOf(result), index)).IgnoreError();
      return kept;
    }
    results_[index] = std::move(result);
    if (ok && options_.fire_on_one_callback) {
      FireList(index);
    } else if (finished_ == results_.size()) {
      FireList(std::nullopt);
    }
    return kept;
  }

  // Fires an empty list.
  void FireIfEmpty() {
    if (results_.empty() && !options_.fire_on_one_callback) FireList(std::nullopt);
  }

 private:
  Deferred<DeferredListResult<T>> Output() {
    output()->AddRef();
    return Access::Wrap<DeferredListResult<T>>(CoreRef(output()));
  }

  void FireList(std::optional<size_t> first_success) {
    DeferredListResult<T> list;
    list.results.reserve(results_.size());
    for (std::optional<Result<T>>& result : results_) {
      if (result.has_value()) {
        list.results.push_back(*std::move(result));
      } else {
        list.results.push_back(
            Result<T>(absl::UnavailableError("had not fired when the DeferredList fired")));
      }
    }
    list.first_success = first_success;
    Output().Callback(std::move(list)).IgnoreError();
  }

  std::vector<std::optional<Result<T>>> results_;
  DeferredListOptions options_;
  size_t finished_ = 0;
};

template <typename... Ts, size_t... I>
Deferred<std::tuple<Ts...>> GatherTuple(std::index_sequence<I...>, Deferred<Ts>... inputs) {
  auto slots = std::make_shared<std::tuple<std::optional<Ts>...>>();
  std::vector<Deferred<void>> stored;
  stored.reserve(sizeof...(Ts));
  (stored.push_back(std::move(inputs).Then(
       [slots](Ts value) { std::get<I>(*slots).emplace(std::move(value)); })),
   ...);
  // The inputs' chains are internal here, so nobody else could handle their errors.
  return GatherResults(std::move(stored), /*consume_errors=*/true).Then([slots] {
    return std::tuple<Ts...>(*std::move(std::get<I>(*slots))...);
  });
}

}  // namespace deferred_internal

template <typename T>
Deferred<DeferredListResult<T>> DeferredList(std::vector<Deferred<T>> inputs,
                                             DeferredListOptions options) {
  Deferred<DeferredListResult<T>> output;
  auto* state = new deferred_internal::DeferredListState<T>(
      deferred_internal::Access::CoreOf(output), inputs.size(), options);
  deferred_internal::ObserveAll(state, inputs);
  state->FireIfEmpty();
  state->Release();
  return output;
}

template <typename T>
auto GatherResults(std::vector<Deferred<T>> inputs, bool consume_errors) {
  return DeferredList(std::move(inputs),
                      {.fire_on_one_errback = true, .consume_errors = consume_errors})
      .Then([](DeferredListResult<T> list) {
        if constexpr (std::is_void_v<T>) {
          return;
        } else {
          std::vector<T> values;
          values.reserve(list.results.size());
          for (Result<T>& result : list.results) values.push_back(*std::move(result));
          return values;
        }
      });
}

template <typename... Ts>
Deferred<std::tuple<Ts...>> GatherResults(Deferred<Ts>... inputs) {
  static_assert(sizeof...(Ts) > 0 && (!std::is_void_v<Ts> && ...),
                "the tuple form of GatherResults takes Deferreds of non-void types");
  return deferred_internal::GatherTuple(std::index_sequence_for<Ts...>(), std::move(inputs)...);
}

}  // namespace braid

#endif  // BRAID_DEFERRED_DEFERRED_LIST_H_
