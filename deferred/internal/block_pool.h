// BlockPool: a per-thread free list of fixed-size memory blocks, for the small objects every
// Deferred allocates (its Core, its stages beyond the first). Freed blocks are kept, up to a cap,
// for the next allocation on the same thread; a block may be freed on another thread than the
// one that allocated it. Under the sanitizers the pool is bypassed, so that they see every
// allocation and every use after free.
//
// Not for use outside deferred/.

#ifndef BRAID_DEFERRED_INTERNAL_BLOCK_POOL_H_
#define BRAID_DEFERRED_INTERNAL_BLOCK_POOL_H_

#include <cstddef>
#include <new>

namespace braid::deferred_internal {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kPoolBlocks = false;
#else
inline constexpr bool kPoolBlocks = true;
#endif

template <size_t kBlockSize, size_t kMaxFree>
class BlockPool {
 public:
  static_assert(kBlockSize >= sizeof(void*));

  static void* Allocate() {
    if constexpr (kPoolBlocks) {
      if (FreeBlock* block = list_.head) {
        list_.head = block->next;
        --list_.size;
        return block;
      }
    }
    return ::operator new(kBlockSize);
  }

  static void Free(void* memory) {
    if constexpr (kPoolBlocks) {
      if (list_.size < kMaxFree) {
        if (!list_.reaper_armed) ArmReaper();
        list_.head = ::new (memory) FreeBlock{list_.head};
        ++list_.size;
        return;
      }
    }
    ::operator delete(memory);
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  // Trivially destructible, so that the fast paths touch thread-local storage without the guard
  // a destructor would add; the Reaper frees the blocks when the thread exits.
  struct FreeList {
    FreeBlock* head;
    size_t size;
    bool reaper_armed;
  };
  struct Reaper {
    ~Reaper() {
      while (FreeBlock* block = list_.head) {
        list_.head = block->next;
        ::operator delete(block);
      }
      list_.size = kMaxFree;  // blocks freed after this point go straight back to the heap
    }
  };

  static void ArmReaper() {
    thread_local Reaper reaper;
    (void)reaper;
    list_.reaper_armed = true;
  }

  // initial-exec: our code is linked into executables or into libraries loaded with them, never
  // dlopen()ed, so the fast model applies.
  static inline thread_local FreeList list_ __attribute__((tls_model("initial-exec"))) = {};
};

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_BLOCK_POOL_H_
