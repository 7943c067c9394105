// DeferredSemaphore and DeferredLock.

#include "deferred/deferred_lock.h"

#include <vector>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(DeferredLock, AcquireFiresAtOnceWhenFree) {
  DeferredLock lock;
  EXPECT_THAT(ResultNow(lock.Acquire()), Optional(IsOk()));
  EXPECT_TRUE(lock.locked());
}

TEST(DeferredLock, WaitersGetTheLockInTurn) {
  DeferredLock lock;
  std::vector<int> order;
  lock.Acquire().Then([&] { order.push_back(1); });
  lock.Acquire().Then([&] { order.push_back(2); });
  lock.Acquire().Then([&] { order.push_back(3); });
  EXPECT_THAT(order, ElementsAre(1));
  EXPECT_THAT(lock.Release(), IsOk());
  EXPECT_THAT(order, ElementsAre(1, 2));
  EXPECT_THAT(lock.Release(), IsOk());
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
  EXPECT_THAT(lock.Release(), IsOk());
  EXPECT_FALSE(lock.locked());
}

TEST(DeferredLock, ReleasingAnUnheldLockIsRefused) {
  DeferredLock lock;
  EXPECT_THAT(lock.Release(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(lock.locked());
}

TEST(DeferredLock, RunHoldsTheLockUntilTheResultIsIn) {
  DeferredLock lock;
  Deferred<int> work;
  Deferred<int> result = lock.Run([&] { return work; });
  EXPECT_TRUE(lock.locked());
  work.Callback(9).IgnoreError();
  EXPECT_FALSE(lock.locked());
  EXPECT_THAT(ResultNow(result), Optional(IsOkAndHolds(9)));
}

TEST(DeferredLock, RunReleasesOnError) {
  DeferredLock lock;
  Deferred<void> result = lock.Run([] { return absl::InternalError("failed inside"); });
  EXPECT_FALSE(lock.locked());
  EXPECT_THAT(ResultNow(result), Optional(StatusIs(absl::StatusCode::kInternal)));
}

TEST(DeferredLock, CancellingAWaitingAcquireTakesItOutOfLine) {
  DeferredLock lock;
  Deferred<void> held = lock.Acquire();
  Deferred<void> second = lock.Acquire();
  bool third_got_it = false;
  lock.Acquire().Then([&] { third_got_it = true; });
  second.Cancel();
  EXPECT_THAT(ResultNow(second), Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(lock.waiting(), 1u);
  EXPECT_THAT(lock.Release(), IsOk());
  EXPECT_TRUE(third_got_it);
}

TEST(DeferredSemaphore, LetsLimitHoldersInAtOnce) {
  DeferredSemaphore semaphore(2);
  int running = 0;
  std::vector<Deferred<void>> works(3);
  for (Deferred<void>& work : works) {
    semaphore.Run([&running, work] {
      ++running;
      return work;
    });
  }
  EXPECT_EQ(running, 2);
  EXPECT_EQ(semaphore.waiting(), 1u);
  works[0].Callback().IgnoreError();
  EXPECT_EQ(running, 3);
  EXPECT_EQ(semaphore.tokens(), 0u);
  works[1].Callback().IgnoreError();
  works[2].Callback().IgnoreError();
  EXPECT_EQ(semaphore.tokens(), 2u);
}

TEST(DeferredSemaphore, DestroyingItFailsTheWaiters) {
  Deferred<void> waiter;
  {
    DeferredSemaphore semaphore(1);
    Deferred<void> held = semaphore.Acquire();
    waiter = semaphore.Acquire();
  }
  EXPECT_THAT(ResultNow(waiter), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(DeferredSemaphore, WorkStartedByRunMayOutliveIt) {
  Deferred<int> work;
  Deferred<int> result;
  {
    DeferredSemaphore semaphore(1);
    result = semaphore.Run([&] { return work; });
  }
  work.Callback(3).IgnoreError();
  EXPECT_THAT(ResultNow(result), Optional(IsOkAndHolds(3)));
}

}  // namespace
}  // namespace braid
