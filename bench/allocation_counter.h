// Counts calls to the global operator new in this process (a binary that links this library
// replaces it), so that a benchmark can report heap allocations per operation.

#ifndef BRAID_BENCH_ALLOCATION_COUNTER_H_
#define BRAID_BENCH_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace braid::bench {

// Allocations made by the calling thread so far.
uint64_t AllocationCount();

}  // namespace braid::bench

#endif  // BRAID_BENCH_ALLOCATION_COUNTER_H_
