// DeferredQueue<T>: a queue whose Get returns a Deferred — Twisted's DeferredQueue.
//
// Put hands a value to the longest-waiting Get, or keeps it; Get fires at once with the oldest
// kept value, or waits for the next Put. Both sides can be bounded: `size` limits the values kept
// (Put beyond it fails with kResourceExhausted, Twisted's QueueOverflow) and `backlog` the Gets
// waiting (Get beyond it fails, Twisted's QueueUnderflow). Cancelling a waiting Get takes it out of
// the line. Destroying the queue fails the Gets still waiting with kCancelled.
//
//   DeferredQueue<Task> ready(/*size=*/1000);
//   RETURN_IF_ERROR(ready.Put(task));        // producer
//   ready.Get().Then([](Task t) { ... });    // consumer
//
// Threading: single-threaded, like every Deferred.

#ifndef BRAID_DEFERRED_DEFERRED_QUEUE_H_
#define BRAID_DEFERRED_DEFERRED_QUEUE_H_

#include <cstddef>
#include <deque>
#include <list>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "deferred/deferred.h"

namespace braid {

template <typename T>
class DeferredQueue {
 public:
  // Unbounded unless `size` (values kept) or `backlog` (Gets waiting) is given.
  explicit DeferredQueue(std::optional<size_t> size = std::nullopt,
                         std::optional<size_t> backlog = std::nullopt)
      : size_(size), backlog_(backlog) {}
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;
  ~DeferredQueue() {
    std::list<Deferred<T>> waiting = std::move(waiting_);
    for (Deferred<T>& getter : waiting) {
      getter.Errback(absl::CancelledError("DeferredQueue destroyed while waiting")).IgnoreError();
    }
  }

  // Values kept, waiting for a Get.
  size_t size() const { return pending_.size(); }
  // Gets waiting for a value.
  size_t waiting() const { return waiting_.size(); }

  // Gives `value` to the longest-waiting Get, or keeps it. kResourceExhausted (and `value` is
  // dropped) if `size` values are kept already.
  absl::Status Put(T value) {
    if (!waiting_.empty()) {
      Deferred<T> getter = std::move(waiting_.front());
      waiting_.pop_front();
      return getter.Callback(std::move(value));
    }
    if (size_.has_value() && pending_.size() >= *size_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("DeferredQueue is full: ", *size_, " values waiting for a Get"));
    }
    pending_.push_back(std::move(value));
    return absl::OkStatus();
  }

  // The oldest kept value, or the next one Put. A failed Deferred (kResourceExhausted) if
  // `backlog` Gets are waiting already.
  Deferred<T> Get() {
    if (!pending_.empty()) {
      T value = std::move(pending_.front());
      pending_.pop_front();
      return Succeed(std::move(value));
    }
    if (backlog_.has_value() && waiting_.size() >= *backlog_) {
      return Fail<T>(absl::ResourceExhaustedError(
          absl::StrCat("DeferredQueue backlog is full: ", *backlog_, " Gets waiting")));
    }
    Deferred<T> getter([this](Deferred<T>& self) { waiting_.remove(self); });
    waiting_.push_back(getter);
    return getter;
  }

 private:
  std::optional<size_t> size_;
  std::optional<size_t> backlog_;
  std::deque<T> pending_;
  std::list<Deferred<T>> waiting_;
};

}  // namespace braid

#endif  // BRAID_DEFERRED_DEFERRED_QUEUE_H_
