#include "deferred/deferred_lock.h"

#include "glog/logging.h"

namespace braid {

DeferredSemaphore::DeferredSemaphore(size_t tokens) : limit_(tokens), tokens_(tokens) {
  CHECK_GT(tokens, 0u) << "a DeferredSemaphore needs at least one token";
}

DeferredSemaphore::~DeferredSemaphore() {
  liveness_.End();
  std::list<Deferred<Permit>> waiting = std::move(waiting_);
  for (Deferred<Permit>& waiter : waiting) {
    waiter.Errback(absl::CancelledError("DeferredSemaphore destroyed while waiting")).IgnoreError();
  }
}

Deferred<DeferredSemaphore::Permit> DeferredSemaphore::Acquire() {
  if (tokens_ > 0) {
    --tokens_;
    return Succeed(Permit(this, liveness_.token()));
  }
  Deferred<Permit> waiter([this](Deferred<Permit>& self) { waiting_.remove(self); });
  waiting_.push_back(waiter);
  return waiter;
}

void DeferredSemaphore::Give() {
  if (waiting_.empty()) {
    ++tokens_;
    return;
  }
  Deferred<Permit> next = std::move(waiting_.front());
  waiting_.pop_front();
  next.Callback(Permit(this, liveness_.token())).IgnoreError();  // unfired: it was waiting
}

absl::Status DeferredSemaphore::Permit::Release() {
  if (semaphore_ == nullptr) {
    return absl::FailedPreconditionError("this Permit holds no token (released or moved from)");
  }
  DeferredSemaphore* semaphore = std::exchange(semaphore_, nullptr);
  const bool alive = static_cast<bool>(*alive_);
  alive_.reset();
  if (alive) semaphore->Give();
  return absl::OkStatus();
}

}  // namespace braid
