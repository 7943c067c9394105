// ThreadPool.

#include "reactor/thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;

// A gate a test opens by hand, to hold pool threads still.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

TEST(ThreadPool, RunsSubmittedWorkOnItsThreads) {
  std::atomic<int> done{0};
  Gate all_done;
  {
    ThreadPool pool(3, 100);
    for (int i = 0; i < 50; ++i) {
      ASSERT_THAT(pool.Submit([&] {
        if (++done == 50) all_done.Open();
      }),
                  IsOk());
    }
    all_done.Wait();
  }
  EXPECT_EQ(done, 50);
}

TEST(ThreadPool, RefusesWorkBeyondTheQueueLimit) {
  Gate release;
  Gate started;
  ThreadPool pool(1, 1);
  ASSERT_THAT(pool.Submit([&] {
    started.Open();
    release.Wait();
  }),
              IsOk());
  started.Wait();
  EXPECT_THAT(pool.Submit([] {}), IsOk());  // waits in the queue
  EXPECT_THAT(pool.Submit([] {}), StatusIs(absl::StatusCode::kResourceExhausted));
  release.Open();
}

TEST(ThreadPool, ShutdownDropsQueuedWorkAndRefusesMore) {
  Gate release;
  Gate started;
  bool queued_ran = false;
  ThreadPool pool(1, 1 << 20);
  ASSERT_THAT(pool.Submit([&] {
    started.Open();
    release.Wait();
  }),
              IsOk());
  started.Wait();
  ASSERT_THAT(pool.Submit([&] { queued_ran = true; }), IsOk());
  std::thread stopper([&] { pool.Shutdown(); });
  // Once Submit is refused, Shutdown has taken the queue; only then let the running work end.
  while (!absl::IsFailedPrecondition(pool.Submit([] {}))) {
  }
  release.Open();
  stopper.join();
  EXPECT_FALSE(queued_ran);
}

}  // namespace
}  // namespace braid
