// The allocation budget of the Deferred hot path: creating a Deferred, adding one callback and
// firing it costs at most one heap allocation (the Deferred's state; the first callback lives
// inside it). This binary replaces the global operator new to count.

#include <cstdlib>
#include <new>

#include "deferred/deferred.h"
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

TEST(DeferredAllocations, CreateCallbackFireAllocatesAtMostOnce) {
  EXPECT_LE(AllocationsOfCreateCallbackFire(), 1);  // cold: the state itself
  EXPECT_LE(AllocationsOfCreateCallbackFire(), 1);  // warm: reused, where pooling is on
}

TEST(DeferredAllocations, AFiredDeferredAllocatesAtMostOnce) {
  long before = allocations;
  { Deferred<int> d = Succeed(1); }
  EXPECT_LE(allocations - before, 1);
}

}  // namespace
}  // namespace braid
