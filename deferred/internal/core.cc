#include "deferred/internal/core.h"

#include <optional>

#include "absl/container/inlined_vector.h"
#include "deferred/errors.h"
#include "deferred/unhandled_error.h"

namespace braid::deferred_internal {
namespace {

// The stage a Core appends to the Core it waits for. It never runs as a stage: RunChain
// recognises it and hands the result back to the waiting Core. Unrun (the inner Core died
// unfired), it lets go of the waiting Core, which then never resumes — as in Twisted.
class ContinuationStage final : public StageOf<ContinuationStage> {
 public:
  Core* Run(Core&) noexcept { return nullptr; }
};

}  // namespace

Core::~Core() {
  // The common case — no stage left, no hook, nothing held — stays short.
  if (head_ != nullptr) [[unlikely]]
    DropStages();
  if (hook_owned_) [[unlikely]]
    delete hook_;
  if (value_ops_ != nullptr) value().Reset();
  if (called_ && !error_.ok()) [[unlikely]]
    ReportUnhandledError(error_);
}

void Core::DropStages() {
  while (Stage* stage = PopStage()) {
    Core* outer = stage->continuation_of_;
    FreeStage(stage);
    if (outer != nullptr) {
      outer->waiting_on_ = nullptr;
      outer->Release();
    }
  }
}

static_assert(sizeof(Core) == 56, "a Core's header is 56 bytes; its value's storage follows");

size_t Core::BlockBytes(size_t capacity) {
  const size_t bytes = kHeaderBytes + capacity;
  if (bytes <= kSmallCoreBytes) return kSmallCoreBytes;
  if (bytes <= kLargeCoreBytes) return kLargeCoreBytes;
  return bytes;
}

void Core::Destroy() {
  const size_t bytes = kHeaderBytes + capacity();
  this->~Core();
  if (bytes <= kSmallCoreBytes) {
    SmallCorePool::Free(this);
  } else if (bytes <= kLargeCoreBytes) {
    LargeCorePool::Free(this);
  } else {
    ::operator delete(this);
  }
}

void Core::Fire() {
  called_ = true;
  waiting_on_ = nullptr;  // the head type is no longer needed; the field now says what it waits on
  // A fired Deferred never calls its canceller again; dropping it here also breaks the cycles of
  // combinators whose canceller refers back to their own state. (A canceller that fires its own
  // Deferred is still running: Cancel drops it once it returns.)
  if (hook_ != nullptr && !cancelling_) {
    if (hook_owned_) delete hook_;
    hook_ = nullptr;
  }
  if (head_ != nullptr && paused_ == 0) RunChain(this);
}

absl::Status Core::RefuseSecondFire() {
  if (suppress_already_called_) {
    suppress_already_called_ = false;
    return absl::OkStatus();
  }
  return AlreadyCalledError();
}

void Core::Unpause() {
  if (paused_ == 0) return;
  if (--paused_ == 0 && called_ && !running_ && head_ != nullptr) RunChain(this);
}

void Core::Cancel() {
  if (called_) {
    if (waiting_on_ != nullptr) {
      CoreRef inner(waiting_on_);
      inner->AddRef();
      inner->Cancel();
    }
    return;
  }
  CoreRef self(this);
  AddRef();
  bool fail_if_unfired = true;
  if (hook_ != nullptr) {
    cancelling_ = true;
    fail_if_unfired = hook_->OnCancel(*this);
    cancelling_ = false;
    // A hook that is not owned may have cleared itself (and be gone); an owned one that fired
    // this Core is no longer needed.
    if (called_ && hook_ != nullptr) {
      if (hook_owned_) delete hook_;
      hook_ = nullptr;
      hook_owned_ = false;
    }
  } else {
    suppress_already_called_ = true;
  }
  if (!called_ && fail_if_unfired) {
    error_ = CancelledError();
    Fire();
  }
}

void Core::SetCancelHook(CancelHook* hook, bool owned) {
  if (hook_owned_) delete hook_;
  hook_ = hook;
  hook_owned_ = owned;
}

void Core::ClearCancelHook(CancelHook* hook) {
  if (hook_ == hook) {
    if (hook_owned_) delete hook_;
    hook_ = nullptr;
    hook_owned_ = false;
  }
}

void Core::TakeResultFrom(Core& from) {
  error_ = std::move(from.error_);
  from.error_ = absl::OkStatus();
  value().MoveFrom(from.value());
  from.MarkHandedOn();
}

void Core::WaitFor(Core* inner) {
  ++paused_;
  waiting_on_ = inner;
  AddRef();
  Stage* continuation = inner->NewStage<ContinuationStage>();
  continuation->continuation_of_ = this;
  inner->Append(continuation);
  inner->MarkHandedOn();
}

void Core::RunChain(Core* start) {
  // Twisted's _runCallbacks keeps an explicit stack of Deferreds. Here each step leaves at most
  // one Core to go on with — the one it now waits for, or the one its result went to — so one
  // pointer does, plus a stack for the rare Core that handed its result on and still has stages
  // of its own: as in Twisted, the Core that received the result goes first, then this one's
  // remaining stages run, on no value.
  if (start->running_ || !start->called_) return;  // an outer frame will find the new stages
  start->AddRef();
  Core* core = start;  // holds a reference
  // Made only when needed: most chains never come back to a Core.
  std::optional<absl::InlinedVector<Core*, 4>> come_back;
  while (true) {
    core->running_ = true;
    Core* next = nullptr;  // with a reference
    bool later = false;
    while (core->paused_ == 0) {
      Stage* stage = core->PopStage();
      if (stage == nullptr) break;
      if (Core* outer = stage->continuation_of_) [[unlikely]] {
        stage->continuation_of_ = nullptr;
        core->FreeStage(stage);  // not run: it only marks where the result goes
        outer->TakeResultFrom(*core);
        outer->waiting_on_ = nullptr;
        --outer->paused_;
        next = outer;  // takes over the continuation's reference
        later = core->head_ != nullptr;
        break;
      }
      Stage::Origin origin = stage->origin_;
      Core* inner = stage->RunAndDestroy(*core);
      core->FreeStageMemory(stage, origin);
      if (inner == nullptr) [[likely]]
        continue;
      if (inner->ready()) {
        core->TakeResultFrom(*inner);
        inner->Release();
        continue;
      }
      core->WaitFor(inner);
      // If the inner Core has fired but still has stages to run before the continuation, run
      // them now; otherwise whoever fires or unpauses it will.
      if (inner->called_ && inner->paused_ == 0 && !inner->running_) {
        next = inner;
      } else {
        inner->Release();
      }
      break;
    }
    if (later) [[unlikely]] {
      if (!come_back.has_value()) come_back.emplace();
      come_back->push_back(core);  // keeps its reference, and running_ so that nobody else runs it
    } else {
      core->running_ = false;
      core->Release();
    }
    // Find the next Core to run: the one this step led to, else one that is waiting to be come
    // back to. One that an outer frame is already running, or that has not fired, is skipped:
    // whoever runs or fires it will find its stages.
    if (next != nullptr) {
      if (next->running_ || !next->called_) {
        next->Release();
        next = nullptr;
      }
    }
    if (next == nullptr) {
      if (!come_back.has_value() || come_back->empty()) [[likely]]
        return;
      next = come_back->back();
      come_back->pop_back();
    }
    core = next;
  }
}

}  // namespace braid::deferred_internal
