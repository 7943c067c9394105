#include "base/allocator_memory.h"

#include <malloc.h>

#include <cstddef>

// gperftools' C interface, if tcmalloc is linked in (weak: null otherwise).
extern "C" int MallocExtension_GetNumericProperty(const char* property, size_t* value)
    __attribute__((weak));
extern "C" void MallocExtension_ReleaseFreeMemory() __attribute__((weak));

namespace braid {

std::optional<uint64_t> AllocatorFreeBytes() {
  size_t bytes = 0;
  if (MallocExtension_GetNumericProperty == nullptr ||
      !MallocExtension_GetNumericProperty("tcmalloc.pageheap_free_bytes", &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

void ReleaseAllocatorFreeMemory() {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    malloc_trim(0);
  }
}

}  // namespace braid
