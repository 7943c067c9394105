#include "deferred/deferred_lock.h"

#include "glog/logging.h"

namespace braid {

DeferredSemaphore::DeferredSemaphore(size_t tokens) : limit_(tokens), tokens_(tokens) {
  CHECK_GT(tokens, 0u) << "a DeferredSemaphore needs at least one token";
}

DeferredSemaphore::~DeferredSemaphore() {
  *alive_ = false;
  std::list<Deferred<void>> waiting = std::move(waiting_);
  for (Deferred<void>& waiter : waiting) {
    waiter.Errback(absl::CancelledError("DeferredSemaphore destroyed while waiting")).IgnoreError();
  }
}

Deferred<void> DeferredSemaphore::Acquire() {
  if (tokens_ > 0) {
    --tokens_;
    return Succeed();
  }
  Deferred<void> waiter([this](Deferred<void>& self) { waiting_.remove(self); });
  waiting_.push_back(waiter);
  return waiter;
}

absl::Status DeferredSemaphore::Release() {
  if (tokens_ == limit_) {
    return absl::FailedPreconditionError("DeferredSemaphore released more often than acquired");
  }
  if (waiting_.empty()) {
    ++tokens_;
    return absl::OkStatus();
  }
  Deferred<void> next = std::move(waiting_.front());
  waiting_.pop_front();
  return next.Callback();
}

}  // namespace braid
