// ThreadPool: a fixed set of threads for blocking work the loop must not do (user map functions,
// file I/O). The reactor's DeferToThread runs on one.
//
// Threading: Submit may be called from any thread; Shutdown (and destruction) by the owner. The
// work runs on the pool's threads and must not touch loop-thread state (Deferreds included);
// results go back through the reactor's CallFromThread.

#ifndef BRAID_REACTOR_THREAD_POOL_H_
#define BRAID_REACTOR_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace braid {

class ThreadPool {
 public:
  // Starts `threads` threads (at least one). At most `queue_limit` pieces of work wait for a
  // thread; Submit refuses more.
  ThreadPool(size_t threads, size_t queue_limit);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() { Shutdown(); }

  // Queues `work`. kResourceExhausted if the queue is full, kFailedPrecondition after Shutdown;
  // either way `work` is dropped (destroyed on the calling thread).
  absl::Status Submit(absl::AnyInvocable<void()> work);

  // Stops taking work, lets the threads finish what they are running, drops what is still queued
  // (destroying it on the calling thread) and joins the threads. Idempotent.
  void Shutdown();

  size_t threads() const { return threads_.size(); }

 private:
  void Work();

  const size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<absl::AnyInvocable<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                         // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace braid

#endif  // BRAID_REACTOR_THREAD_POOL_H_
