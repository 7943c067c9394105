#include "bench/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace braid::bench {
namespace {

// Per thread, so that counting costs the measured code next to nothing.
thread_local uint64_t allocations = 0;

void* Allocate(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

uint64_t AllocationCount() { return allocations; }

}  // namespace braid::bench

void* operator new(std::size_t size) { return braid::bench::Allocate(size); }
void* operator new[](std::size_t size) { return braid::bench::Allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
