// FanIn: the shared state of a combinator over several input Deferreds (DeferredList,
// GatherResults, Race).
//
// Each input gets one InputStage, which hands its result to the combinator and leaves the input's
// chain with no value (Deferred<void>): with OK, or with the error the combinator tells it to
// keep. The state lives while any InputStage does; it knows its inputs (without owning them) only
// so that it can cancel the ones still pending. The combinator's own Deferred is cancelled through
// a non-owning hook that the state removes when it dies.
//
// Not for use outside deferred/.

#ifndef BRAID_DEFERRED_INTERNAL_FAN_IN_H_
#define BRAID_DEFERRED_INTERNAL_FAN_IN_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "deferred/deferred.h"
#include "deferred/internal/core.h"

namespace braid::deferred_internal {

[[noreturn]] void DieOnRepeatedInput(size_t index);

class FanIn : public CancelHook {
 public:
  FanIn(const FanIn&) = delete;
  FanIn& operator=(const FanIn&) = delete;

  void AddRef() { ++refs_; }
  void Release() {
    if (--refs_ == 0) delete this;
  }

  // Called by an input's stage once it has run or been destroyed.
  void InputGone(size_t index) { inputs_[index] = nullptr; }

  // Cancels every input still pending, except `spared`, each at most once.
  void CancelPending(size_t spared = SIZE_MAX);

  // The combinator's Deferred was cancelled: cancel the inputs.
  bool OnCancel(Core&) override {
    CancelPending();
    return true;
  }

  // Registers input `index` (its Core, not owned).
  void SetInput(size_t index, Core* input) { inputs_[index] = input; }

 protected:
  // The state starts with one reference, which the constructor of the combinator drops once the
  // inputs hold theirs.
  FanIn(Core* output, size_t inputs);
  ~FanIn() override;

  Core* output() const { return output_.get(); }

 private:
  uint32_t refs_ = 1;
  CoreRef output_;
  std::vector<Core*> inputs_;
  std::vector<bool> cancelled_;
};

// Observes input `index` of a FanIn State: calls `state->OnInput(index, Result<T>)` (which
// returns the error the input keeps, or OK) and leaves the input's chain as Deferred<void>.
template <typename T, typename State>
class InputStage final : public StageOf<InputStage<T, State>> {
 public:
  InputStage(State* state, size_t index) : state_(state), index_(index) { state_->AddRef(); }
  ~InputStage() override {
    state_->InputGone(index_);
    state_->Release();
  }

  Core* Run(Core& core) noexcept {
    state_->InputGone(index_);
    core.error() = state_->OnInput(index_, TakeResult<T>(core));
    return nullptr;
  }

 private:
  State* state_;
  size_t index_;
};

// Attaches `inputs` to `state`. All are registered before any is observed, so that a result that
// arrives at once (from an input that had already fired) can cancel inputs further down the list.
template <typename T, typename State>
void ObserveAll(State* state, std::vector<Deferred<T>>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    Core* core = Access::CoreOf(inputs[i]);
    if (core->tail_type() != TypeIdOf<T>()) {
      DieOnTypeMismatch(TypeIdOf<T>(), core->tail_type(), "observe");
    }
    state->SetInput(i, core);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    Core* core = Access::CoreOf(inputs[i]);
    // Checked again: the same Deferred given twice, or an input handed on by a callback that an
    // earlier input's result ran, has left this chain already.
    if (core->tail_type() != TypeIdOf<T>()) DieOnRepeatedInput(i);
    core->set_tail_type(TypeIdOf<void>());
    core->AddStage<InputStage<T, State>>(state, i);
  }
}

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_FAN_IN_H_
