// Deferred<T> against std::promise/std::future, per operation, in the same run.
//
//   bazel run -c opt //bench:deferred_bench
//
// Each benchmark reports `allocs` (heap allocations per operation; 0 once the thread's block pools
// are warm). BM_Deferred_Size reports the memory of a Deferred: the handle's sizeof and the heap
// bytes of its state, unfired and with no stages, for a few value types, and of one stage.
// Targets: an unfired Deferred<void> with no stages <= 64 heap bytes; create + one callback +
// fire <= 12 ns; each further stage <= 6 ns (the slope between Chain/1 and Chain/10); a
// DeferredList <= 30 ns per input (DeferredList_1000 / 1000).

#include <future>
#include <string>
#include <vector>

#include "bench/allocation_counter.h"
#include "benchmark/benchmark.h"
#include "deferred/deferred.h"
#include "deferred/deferred_list.h"

namespace braid {
namespace {

// Reports allocations per iteration over the benchmark's whole run.
class AllocationsPerOp {
 public:
  explicit AllocationsPerOp(benchmark::State& state)
      : state_(state), start_(bench::AllocationCount()) {}
  ~AllocationsPerOp() {
    state_.counters["allocs"] = benchmark::Counter(
        static_cast<double>(bench::AllocationCount() - start_), benchmark::Counter::kAvgIterations);
  }

 private:
  benchmark::State& state_;
  uint64_t start_;
};

template <typename T>
double HeapBytesOfUnfired() {
  Deferred<T> d;
  return static_cast<double>(deferred_internal::Access::CoreOf(d)->block_bytes());
}

void BM_Deferred_Size(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(HeapBytesOfUnfired<void>());
  state.counters["handle_sizeof"] = sizeof(Deferred<void>);
  state.counters["void_heap_bytes"] = HeapBytesOfUnfired<void>();
  state.counters["int_heap_bytes"] = HeapBytesOfUnfired<int>();
  state.counters["string_heap_bytes"] = HeapBytesOfUnfired<std::string>();
  state.counters["small_stage_block_bytes"] = deferred_internal::Core::kSmallStageBlockBytes;
  state.counters["stage_block_bytes"] = deferred_internal::Core::kStageBlockBytes;
}
BENCHMARK(BM_Deferred_Size);

void BM_StdPromise_CreateSetGet(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  long sink = 0;
  for (auto _ : state) {
    std::promise<int> promise;
    std::future<int> future = promise.get_future();
    promise.set_value(1);
    sink += future.get();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_StdPromise_CreateSetGet);

void BM_Deferred_CreateCallbackFire(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  long sink = 0;
  for (auto _ : state) {
    Deferred<int> d;
    d.Then([&sink](int v) { sink += v; });
    d.Callback(1).IgnoreError();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_Deferred_CreateCallbackFire);

// A chain of `range(0)` stages: the per-stage cost is the slope between the 1- and 10-stage runs.
void BM_Deferred_Chain(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  const int stages = static_cast<int>(state.range(0));
  long sink = 0;
  for (auto _ : state) {
    Deferred<int> d;
    for (int i = 0; i < stages; ++i) d.Then([](int v) { return v + 1; });
    d.Callback(0).IgnoreError();
    d.Then([&sink](int v) { sink += v; });
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_Deferred_Chain)->Arg(1)->Arg(10);

void BM_StdFuture_Chain(benchmark::State& state) {
  // The std:: equivalent of a chain: each stage a promise fulfilled from the previous future.
  AllocationsPerOp allocs(state);
  const int stages = static_cast<int>(state.range(0));
  long sink = 0;
  for (auto _ : state) {
    std::promise<int> first;
    std::future<int> f = first.get_future();
    first.set_value(0);
    for (int i = 0; i < stages; ++i) {
      std::promise<int> next;
      std::future<int> g = next.get_future();
      next.set_value(f.get() + 1);
      f = std::move(g);
    }
    sink += f.get();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_StdFuture_Chain)->Arg(1)->Arg(10);

void BM_DeferredList_1000(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  long sink = 0;
  for (auto _ : state) {
    std::vector<Deferred<int>> inputs(1000);
    Deferred<DeferredListResult<int>> list = DeferredList(inputs);
    for (int i = 0; i < 1000; ++i) inputs[i].Callback(i).IgnoreError();
    list.Then([&sink](DeferredListResult<int> r) { sink += r.results.size(); });
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_DeferredList_1000);

void BM_GatherResults_1000(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  long sink = 0;
  for (auto _ : state) {
    std::vector<Deferred<int>> inputs(1000);
    auto all = GatherResults(inputs);
    for (int i = 0; i < 1000; ++i) inputs[i].Callback(i).IgnoreError();
    all.Then([&sink](std::vector<int> values) { sink += values.size(); });
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_GatherResults_1000);

void BM_StdFuture_Wait1000(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  long sink = 0;
  for (auto _ : state) {
    std::vector<std::promise<int>> promises(1000);
    std::vector<std::future<int>> futures;
    futures.reserve(1000);
    for (auto& p : promises) futures.push_back(p.get_future());
    for (int i = 0; i < 1000; ++i) promises[i].set_value(i);
    for (auto& f : futures) sink += f.get();
  }
  benchmark::DoNotOptimize(sink);
}
BENCHMARK(BM_StdFuture_Wait1000);

// One coroutine awaiting `kAwaits` Deferreds that have already fired (each made with Succeed).
constexpr int kAwaits = 1000;

Deferred<long> AwaitFired() {
  long sum = 0;
  for (int i = 0; i < kAwaits; ++i) sum += *co_await Succeed(1L);
  co_return sum;
}

void BM_CoAwait_FiredDeferred(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  for (auto _ : state) {
    Deferred<long> d = AwaitFired();
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations() * kAwaits);
}
BENCHMARK(BM_CoAwait_FiredDeferred);

// The part of the above that is only making the fired Deferreds.
void BM_Succeed(benchmark::State& state) {
  AllocationsPerOp allocs(state);
  for (auto _ : state) {
    for (int i = 0; i < kAwaits; ++i) {
      Deferred<long> d = Succeed(1L);
      benchmark::DoNotOptimize(d);
    }
  }
  state.SetItemsProcessed(state.iterations() * kAwaits);
}
BENCHMARK(BM_Succeed);

}  // namespace
}  // namespace braid

BENCHMARK_MAIN();
