// Core: the untyped state of one Deferred — Twisted's Deferred object itself.
//
// A Core holds the chain's current result (an error, or a value in a ValueSlot), the stages not
// yet run, the pause count and the canceller. Deferred<T> handles are typed views of a Core;
// several handles may share one. The typed code in deferred.h guarantees that each stage reads
// the type the previous one wrote; Core only sequences them.
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
  enum class Origin : unsigned char { kInline, kPool, kHeap };
  Origin origin_ = Origin::kHeap;
  Stage* next_ = nullptr;
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
  // A new unfired Core whose first stage will read a `type` value, with one reference.
  static Core* New(TypeId type) { return ::new (CorePool::Allocate()) Core(type); }

  void AddRef() { ++refs_; }
  void Release() {
    if (--refs_ == 0) Destroy();
  }

  // The current result: an error, or (when error().ok()) the value in value(), if the current
  // type is not void.
  absl::Status& error() { return error_; }
  ValueSlot& value() { return value_; }

  bool called() const { return called_; }
  bool paused() const { return paused_ > 0; }
  // Whether a stage added now would run at once: fired, not paused, not already running.
  bool runs_stages_now() const { return called_ && paused_ == 0 && !running_; }
  // Whether the result can be taken now, without waiting: fired, not paused, no stage pending.
  bool ready() const { return called_ && !running_ && paused_ == 0 && head_ == nullptr; }

  TypeId head_type() const { return head_type_; }
  TypeId tail_type() const { return tail_type_; }
  void set_tail_type(TypeId type) { tail_type_ = type; }
  // The stage appended last (for a caller that must reach a stage it just added to an unfired
  // Core).
  Stage* last_stage() const { return tail_; }

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
  static constexpr size_t kInlineStageSize = 64;
  // Stages that fit a pooled block (most callbacks capture a pointer or two) come from the pool.
  static constexpr size_t kPooledStageSize = 96;
  using CorePool = BlockPool<256, 1024>;
  using StagePool = BlockPool<kPooledStageSize, 4096>;

  explicit Core(TypeId type) : head_type_(type), tail_type_(type) {}
  ~Core();
  // Out of line: the destruction path is cold, and keeping `delete` out of inlined Release calls
  // spares GCC's use-after-free analysis from false alarms on shared Cores.
  void Destroy();

  template <typename S, typename... Args>
  Stage* NewStage(Args&&... args) {
    static_assert(alignof(S) <= alignof(std::max_align_t));
    void* memory;
    Stage::Origin origin;
    if (sizeof(S) <= kInlineStageSize && !inline_stage_in_use_) {
      inline_stage_in_use_ = true;
      memory = inline_stage_;
      origin = Stage::Origin::kInline;
    } else if (sizeof(S) <= kPooledStageSize) {
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
    if (origin == Stage::Origin::kInline) {
      inline_stage_in_use_ = false;
    } else if (origin == Stage::Origin::kPool) {
      StagePool::Free(stage);
    } else {
      ::operator delete(stage);
    }
  }
  void Append(Stage* stage) {
    if (tail_ == nullptr) {
      head_ = stage;
    } else {
      tail_->next_ = stage;
    }
    tail_ = stage;
  }
  Stage* PopStage() {
    Stage* stage = head_;
    if (stage != nullptr) {
      head_ = stage->next_;
      if (head_ == nullptr) tail_ = nullptr;
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

  uint32_t refs_ = 1;
  uint32_t paused_ = 0;
  bool called_ = false;
  bool running_ = false;
  bool suppress_already_called_ = false;
  bool hook_owned_ = false;
  bool cancelling_ = false;  // inside the hook's OnCancel: firing must not delete the hook
  bool inline_stage_in_use_ = false;
  TypeId head_type_;
  TypeId tail_type_;
  absl::Status error_;
  ValueSlot value_;
  Stage* head_ = nullptr;
  Stage* tail_ = nullptr;
  // The Core this one waits for (not owned: the continuation appended to it owns this one).
  Core* waiting_on_ = nullptr;
  CancelHook* hook_ = nullptr;
  alignas(std::max_align_t) unsigned char inline_stage_[kInlineStageSize];
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
