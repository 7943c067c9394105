// Core: the untyped state of one Deferred — Twisted's Deferred object itself.
//
// A Core holds the chain's current result (an error, or a value in a ValueSlot), the stages not
// yet run, the pause count and the canceller. Deferred<T> handles are typed views of a Core;
// several handles may share one. The typed code in deferred.h guarantees that each stage reads
// the type the previous one wrote; Core only sequences them.
//
// Size: a Core is a 56-byte header followed by the storage of its value, sized for the type the
// chain starts with (8 bytes at least: a Deferred<void> or Deferred<int> is 64 bytes in all).
// Stages live outside it, each in a pooled block, so a Deferred pays for stages only as they are
// added.
//
// Reference counting is intrusive and non-atomic: a Core belongs to one thread.
//
// Not for use outside deferred/.

#ifndef BRAID_DEFERRED_INTERNAL_CORE_H_
#define BRAID_DEFERRED_INTERNAL_CORE_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

#include "absl/status/status.h"
#include "deferred/internal/block_pool.h"
#include "deferred/internal/value_slot.h"

namespace braid::deferred_internal {

// A unique address per type, without RTTI, with the type's name for messages: checks that a
// handle's type matches its chain.
struct TypeInfo {
  const char* name;
};
using TypeId = const TypeInfo*;
template <typename T>
constexpr const char* TypeName() {
  return __PRETTY_FUNCTION__;
}
template <typename T>
struct TypeTag {
  static constexpr TypeInfo kInfo{TypeName<T>()};
};
template <typename T>
constexpr TypeId TypeIdOf() {
  return &TypeTag<T>::kInfo;
}
class Core;

// One step of a chain: a callback, an errback, both, or a continuation. Stages are allocated by
// their Core, run once in order, and destroyed as they run (or with the Core, unrun). Concrete
// stages derive from StageOf<Derived> and define `Core* Run(Core&) noexcept`.
class Stage {
 public:
  Stage() = default;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  virtual ~Stage() = default;

  // Runs the stage on `core`'s current result, transforming it in place, and destroys the stage
  // (not its memory). Returns a Core with one reference owned by the caller when the stage
  // produced a Deferred that the chain must adopt (wait for, then continue with its result);
  // nullptr otherwise.
  virtual Core* RunAndDestroy(Core& core) noexcept = 0;

 private:
  friend class Core;
  enum class Origin : unsigned char { kSmallPool, kPool, kHeap };
  Origin origin_ = Origin::kHeap;
  Stage* next_ = nullptr;
  Stage* last_ = nullptr;  // on the first stage of a Core: its last
  // A continuation hands the result to the outer Core that waits on this one (see Core::Adopt).
  Core* continuation_of_ = nullptr;
};

// Runs and destroys with one virtual call.
template <typename Derived>
class StageOf : public Stage {
 public:
  Core* RunAndDestroy(Core& core) noexcept final {
    Derived* self = static_cast<Derived*>(this);
    Core* adopted = self->Run(core);
    self->~Derived();
    return adopted;
  }
};

// What Cancel() does to an unfired Core before (maybe) failing it with CancelledError.
class CancelHook {
 public:
  virtual ~CancelHook() = default;
  // Returns whether Cancel should go on to fail the Core with CancelledError if it is still
  // unfired — true for a user's canceller (Twisted's rule); false when the hook hands the result
  // to someone else (a coroutine resuming with the cancellation).
  virtual bool OnCancel(Core& core) = 0;
};

class Core {
 public:
  // A new unfired Core whose chain starts with a T, with one reference.
  template <typename T>
  static Core* New() {
    constexpr size_t capacity = CapacityFor<T>();
    static_assert(capacity / kValueAlignment <= UINT8_MAX);
    return ::new (Allocate(capacity)) Core(TypeIdOf<T>(), capacity);
  }

  // The heap bytes of a Core whose value storage is `capacity` bytes (its block's size).
  static size_t BlockBytes(size_t capacity);
  size_t block_bytes() const { return BlockBytes(capacity()); }
  // The heap bytes of a stage: a callback capturing up to three pointers fits the small block
  // (most do, and so do the stages of DeferredList and coroutines), up to ten the larger one.
  static constexpr size_t kSmallStageBlockBytes = 64;
  static constexpr size_t kStageBlockBytes = 120;
  template <typename S>
  static constexpr size_t StageBytes() {
    if (sizeof(S) <= kSmallStageBlockBytes) return kSmallStageBlockBytes;
    if (sizeof(S) <= kStageBlockBytes) return kStageBlockBytes;
    return sizeof(S);
  }

  void AddRef() { ++refs_; }
  void Release() {
    if (--refs_ == 0) Destroy();
  }

  // The current result: an error, or (when error().ok()) the value in value(), if the current
  // type is not void.
  absl::Status& error() { return error_; }
  ValueSlot value() { return ValueSlot(value_ops_, storage(), capacity()); }

  bool called() const { return called_; }
  bool paused() const { return paused_ > 0; }
  // Whether a stage added now would run at once: fired, not paused, not already running.
  bool runs_stages_now() const { return called_ && paused_ == 0 && !running_; }
  // Whether the result can be taken now, without waiting: fired, not paused, no stage pending.
  bool ready() const { return called_ && !running_ && paused_ == 0 && head_ == nullptr; }

  // The type the chain started with. REQUIRES: !called() (afterwards it is not kept).
  TypeId head_type() const { return head_type_; }
  TypeId tail_type() const { return tail_type_; }
  void set_tail_type(TypeId type) { tail_type_ = type; }
  // The stage appended last (for a caller that must reach a stage it just added to an unfired
  // Core).
  Stage* last_stage() const { return head_ == nullptr ? nullptr : head_->last_; }

  // Fires the Core with the result the caller put in error()/value(). REQUIRES: !called().
  void Fire();
  // What a second fire gets: OK once after a Cancel that had no canceller (Twisted ignores the
  // late result of a cancelled operation), AlreadyCalledError otherwise. Changes nothing else.
  absl::Status RefuseSecondFire();

  // Appends a stage built in place and, if the Core has fired and is not paused, runs the chain.
  template <typename S, typename... Args>
  void AddStage(Args&&... args) {
    Append(NewStage<S>(std::forward<Args>(args)...));
    if (called_ && paused_ == 0 && !running_) RunChain(this);
  }

  void Pause() { ++paused_; }
  void Unpause();

  // Twisted's cancel(): on an unfired Core, calls the hook, then fails the Core with
  // CancelledError if it is still unfired (and the hook agrees); on a Core waiting for another
  // one, cancels that one; otherwise nothing.
  void Cancel();

  // Installs `hook`, which Cancel calls while the Core is unfired. With `owned`, the Core deletes
  // it; otherwise the hook must call ClearCancelHook before it dies.
  void SetCancelHook(CancelHook* hook, bool owned);
  void ClearCancelHook(CancelHook* hook);

  // Moves the current result out of `from` into this Core; `from` goes on with no value.
  void TakeResultFrom(Core& from);
  // Marks the result as handed on at the chain's current end: stages added from here on run
  // after it has moved on, with no value (Twisted's None) — the chain is at void.
  void MarkHandedOn() { tail_type_ = TypeIdOf<void>(); }

 private:
  // Stages that fit a pooled block (most callbacks capture a pointer or two) come from the pool.

  // Cores come in two block sizes: values up to 8 bytes, and up to 72; larger ones are boxed.
  static constexpr size_t kHeaderBytes = 56;
  static constexpr size_t kSmallCoreBytes = 64;
  static constexpr size_t kLargeCoreBytes = 128;
  static_assert(kHeaderBytes + kMaxValueCapacity <= kLargeCoreBytes);
  using SmallCorePool = BlockPool<kSmallCoreBytes, 2048>;
  using LargeCorePool = BlockPool<kLargeCoreBytes, 512>;
  using SmallStagePool = BlockPool<kSmallStageBlockBytes, 4096>;
  using StagePool = BlockPool<kStageBlockBytes, 1024>;

  static void* Allocate(size_t capacity) {
    const size_t bytes = kHeaderBytes + capacity;
    if (bytes <= kSmallCoreBytes) return SmallCorePool::Allocate();
    if (bytes <= kLargeCoreBytes) return LargeCorePool::Allocate();
    return ::operator new(bytes);
  }

  Core(TypeId type, size_t capacity)
      : capacity_units_(static_cast<uint8_t>(capacity / kValueAlignment)),
        tail_type_(type),
        head_type_(type) {}

  size_t capacity() const { return size_t{capacity_units_} * kValueAlignment; }
  unsigned char* storage() { return reinterpret_cast<unsigned char*>(this) + kHeaderBytes; }
  ~Core();
  // Destroys the stages never run (letting go of the Cores their continuations name).
  void DropStages();
  // Out of line: the destruction path is cold, and keeping `delete` out of inlined Release calls
  // spares GCC's use-after-free analysis from false alarms on shared Cores.
  void Destroy();

  template <typename S, typename... Args>
  Stage* NewStage(Args&&... args) {
    static_assert(alignof(S) <= alignof(std::max_align_t));
    void* memory;
    Stage::Origin origin;
    if constexpr (sizeof(S) <= kSmallStageBlockBytes) {
      memory = SmallStagePool::Allocate();
      origin = Stage::Origin::kSmallPool;
    } else if constexpr (sizeof(S) <= kStageBlockBytes) {
      memory = StagePool::Allocate();
      origin = Stage::Origin::kPool;
    } else {
      memory = ::operator new(sizeof(S));
      origin = Stage::Origin::kHeap;
    }
    Stage* stage = ::new (memory) S(std::forward<Args>(args)...);
    stage->origin_ = origin;
    return stage;
  }
  // Destroys an unrun stage and frees its memory.
  void FreeStage(Stage* stage) {
    Stage::Origin origin = stage->origin_;
    stage->~Stage();
    FreeStageMemory(stage, origin);
  }
  void FreeStageMemory(void* stage, Stage::Origin origin) {
    if (origin == Stage::Origin::kSmallPool) {
      SmallStagePool::Free(stage);
    } else if (origin == Stage::Origin::kPool) {
      StagePool::Free(stage);
    } else {
      ::operator delete(stage);
    }
  }
  // The stages form a list through `next_` from head_; the first stage knows the last.
  void Append(Stage* stage) {
    stage->next_ = nullptr;
    if (head_ == nullptr) {
      head_ = stage;
    } else {
      head_->last_->next_ = stage;
    }
    head_->last_ = stage;
  }
  Stage* PopStage() {
    Stage* stage = head_;
    if (stage != nullptr) {
      head_ = stage->next_;
      if (head_ != nullptr) head_->last_ = stage->last_;
    }
    return stage;
  }
  // Waits for `inner`: pauses this Core and appends to `inner` a continuation that hands its
  // result back. Takes over the caller's reference to `inner`.
  void WaitFor(Core* inner);

  // Runs the stages of `start` and of every Core whose result it hands on — Twisted's
  // _runCallbacks, iterative, so that neither long chains nor long series of Deferreds waiting on
  // each other recurse.
  static void RunChain(Core* start);

  // The header: 56 bytes, the value's storage (capacity() bytes) right after it.
  uint32_t refs_ = 1;
  uint16_t paused_ = 0;
  bool called_ : 1 = false;
  bool running_ : 1 = false;
  bool suppress_already_called_ : 1 = false;
  bool hook_owned_ : 1 = false;
  bool cancelling_ : 1 = false;  // inside the hook's OnCancel: firing must not delete the hook
  uint8_t capacity_units_;
  TypeId tail_type_;
  union {
    TypeId head_type_;  // until fired
    // Once fired: the Core this one waits for (not owned: the continuation appended to it owns
    // this one), or nullptr.
    Core* waiting_on_;
  };
  absl::Status error_;
  Stage* head_ = nullptr;
  CancelHook* hook_ = nullptr;
  const ValueOps* value_ops_ = nullptr;
};

// A reference to a Core: the owning pointer type of the combinators' internals.
class CoreRef {
 public:
  CoreRef() = default;
  // Adopts one reference.
  explicit CoreRef(Core* core) : core_(core) {}
  CoreRef(const CoreRef& other) : core_(other.core_) {
    if (core_ != nullptr) core_->AddRef();
  }
  CoreRef(CoreRef&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  CoreRef& operator=(CoreRef other) noexcept {
    std::swap(core_, other.core_);
    return *this;
  }
  ~CoreRef() {
    if (core_ != nullptr) core_->Release();
  }
  Core* get() const { return core_; }
  Core* operator->() const { return core_; }
  Core& operator*() const { return *core_; }
  Core* release() { return std::exchange(core_, nullptr); }
  explicit operator bool() const { return core_ != nullptr; }

 private:
  Core* core_ = nullptr;
};

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_CORE_H_
