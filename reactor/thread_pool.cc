#include "reactor/thread_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace braid {

ThreadPool::ThreadPool(size_t threads, size_t queue_limit) : queue_limit_(queue_limit) {
  threads = std::max<size_t>(threads, 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

absl::Status ThreadPool::Submit(absl::AnyInvocable<void()> work) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return absl::FailedPreconditionError("thread pool is shut down");
    if (queue_.size() >= queue_limit_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("thread pool queue is full (", queue_limit_, " waiting)"));
    }
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
  return absl::OkStatus();
}

void ThreadPool::Shutdown() {
  std::deque<absl::AnyInvocable<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void ThreadPool::Work() {
  while (true) {
    absl::AnyInvocable<void()> work;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace braid
