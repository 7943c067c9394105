// HeldBlockingCalls: BlockingCalls for tests — each call waits until the test runs it, on the
// test's thread, so that a test can look at what happens while a slow call is under way.

#ifndef BRAID_REACTOR_HELD_BLOCKING_CALLS_H_
#define BRAID_REACTOR_HELD_BLOCKING_CALLS_H_

#include <deque>
#include <utility>

#include "reactor/blocking_calls.h"

namespace braid {

class HeldBlockingCalls final : public BlockingCalls {
 public:
  Deferred<void> Run(absl::AnyInvocable<absl::Status()> call) override {
    held_.push_back(Held{std::move(call), Deferred<void>()});
    return held_.back().done;
  }

  // Calls waiting to be run.
  size_t held() const { return held_.size(); }
  // Runs the oldest waiting call and fires its Deferred with its status. REQUIRES: held() > 0.
  void RunNext() {
    Held next = std::move(held_.front());
    held_.pop_front();
    next.done.Fire(next.call()).IgnoreError();  // a cancelled call's Deferred has fired already
  }

 private:
  struct Held {
    absl::AnyInvocable<absl::Status()> call;
    Deferred<void> done;
  };
  std::deque<Held> held_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_HELD_BLOCKING_CALLS_H_
