#include "deferred/internal/fan_in.h"

#include <cstdlib>

#include "glog/logging.h"

namespace braid::deferred_internal {

void DieOnRepeatedInput(size_t index) {
  LOG(FATAL) << "input " << index << " of a DeferredList/GatherResults/Race was given twice, or "
             << "its result was handed on before the combinator took it; each Deferred may be an "
             << "input once";
  std::abort();
}

FanIn::FanIn(Core* output, size_t inputs)
    : output_(output), inputs_(inputs, nullptr), cancelled_(inputs, false) {
  output->AddRef();
  output->SetCancelHook(this, /*owned=*/false);
}

FanIn::~FanIn() { output_->ClearCancelHook(this); }

void FanIn::CancelPending(size_t spared) {
  AddRef();  // a cancelled input's stage may drop the last other reference
  for (size_t i = 0; i < inputs_.size(); ++i) {
    Core* input = inputs_[i];
    if (input == nullptr || i == spared || cancelled_[i]) continue;
    cancelled_[i] = true;
    input->AddRef();
    CoreRef keep(input);
    input->Cancel();
  }
  Release();
}

}  // namespace braid::deferred_internal
