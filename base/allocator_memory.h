// AllocatorMemory: the memory a process's allocator holds free for reuse, which still counts in
// the process's RSS, and returning it to the system.
//
// Braid's binaries allocate with tcmalloc (gperftools), which returns free pages only when told;
// a burst of large messages (a stranger announcing 64 MiB frames and stalling) would otherwise
// keep the process at its peak for good. Without tcmalloc (the sanitizer builds), glibc's malloc
// is trimmed instead, and the free bytes are not known.

#ifndef BRAID_BASE_ALLOCATOR_MEMORY_H_
#define BRAID_BASE_ALLOCATOR_MEMORY_H_

#include <cstdint>
#include <optional>

namespace braid {

// Bytes the allocator holds free (tcmalloc's page heap), if it says.
std::optional<uint64_t> AllocatorFreeBytes();

// Returns the allocator's free memory to the system (tcmalloc's ReleaseFreeMemory, or glibc's
// malloc_trim). Takes time in proportion to what is free; memory in use is untouched.
void ReleaseAllocatorFreeMemory();

}  // namespace braid

#endif  // BRAID_BASE_ALLOCATOR_MEMORY_H_
