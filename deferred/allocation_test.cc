// The memory budget of the Deferred hot path: creating a Deferred, adding one callback and firing
// it costs at most two heap allocations the first time (the Deferred's state and its stage) and
// none once the thread's pools hold freed blocks; an unfired Deferred<void> with no stages holds
// at most 64 bytes of heap. This binary replaces the global operator new to count.

#include <cstdlib>
#include <new>

#include "deferred/deferred.h"
#include "deferred/deferred_list.h"
#include "gtest/gtest.h"

namespace {

thread_local long allocations = 0;

}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace braid {
namespace {

long AllocationsOfCreateCallbackFire() {
  long before = allocations;
  long sink = 0;
  {
    Deferred<int> d;
    d.Then([&sink](int v) { sink += v; });
    d.Callback(1).IgnoreError();
  }
  EXPECT_EQ(sink, 1);
  return allocations - before;
}

TEST(DeferredAllocations, CreateCallbackFireAllocatesAtMostTwice) {
  EXPECT_LE(AllocationsOfCreateCallbackFire(), 2);  // cold: the state and the stage
  if (deferred_internal::kPoolBlocks) {
    EXPECT_EQ(AllocationsOfCreateCallbackFire(), 0);  // warm: both blocks reused
  }
}

TEST(DeferredAllocations, AnUnfiredDeferredWithNoStagesHoldsAtMost64Bytes) {
  Deferred<void> d;
  EXPECT_LE(deferred_internal::Access::CoreOf(d)->block_bytes(), 64u);
  Deferred<int> i;
  EXPECT_LE(deferred_internal::Access::CoreOf(i)->block_bytes(), 64u);
}

TEST(DeferredAllocations, LargeValuesGetALargerBlockOrABox) {
  struct Medium {
    char bytes[40];
  };
  struct Huge {
    char bytes[4096];
  };
  EXPECT_EQ(deferred_internal::Access::CoreOf(Deferred<Medium>())->block_bytes(), 128u);
  // Too large to hold inline: boxed when it arrives; the state stays small.
  EXPECT_EQ(deferred_internal::Access::CoreOf(Deferred<Huge>())->block_bytes(), 64u);
}

TEST(DeferredAllocations, CommonStagesTakeTheSmallBlock) {
  using deferred_internal::Core;
  long* sink = nullptr;
  auto callback = [sink](int v) { *sink += v; };
  using Then =
      deferred_internal::ThenStage<int, void, decltype(callback), deferred_internal::Absent>;
  EXPECT_EQ(Core::StageBytes<Then>(), Core::kSmallStageBlockBytes);
  using Input = deferred_internal::InputStage<int, deferred_internal::DeferredListState<int>>;
  EXPECT_EQ(Core::StageBytes<Input>(), Core::kSmallStageBlockBytes);
  EXPECT_EQ(Core::kSmallStageBlockBytes, 64u);
}

TEST(DeferredAllocations, AStageCostsNothingUntilItIsAdded) {
  long before = allocations;
  Deferred<void> d;
  long made = allocations - before;
  d.Then([] {});
  EXPECT_LE(allocations - before, made + 1);
  d.Callback().IgnoreError();
}

TEST(DeferredAllocations, AFiredDeferredAllocatesAtMostOnce) {
  long before = allocations;
  { Deferred<int> d = Succeed(1); }
  EXPECT_LE(allocations - before, 1);
}

}  // namespace
}  // namespace braid
