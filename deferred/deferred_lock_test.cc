// DeferredSemaphore and DeferredLock.

#include "deferred/deferred_lock.h"

#include <optional>
#include <string>
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

using Permit = DeferredLock::Permit;

TEST(DeferredLock, AcquireFiresAtOnceWhenFree) {
  DeferredLock lock;
  std::optional<Result<Permit>> held = ResultNow(lock.Acquire());
  ASSERT_TRUE(held.has_value());
  ASSERT_THAT(*held, IsOk());
  EXPECT_TRUE((*held)->held());
  EXPECT_TRUE(lock.locked());
}

TEST(DeferredLock, WaitersGetTheLockInTurn) {
  DeferredLock lock;
  std::vector<int> order;
  std::vector<Permit> permits;
  for (int i = 1; i <= 3; ++i) {
    lock.Acquire().Then([&, i](Permit permit) {
      order.push_back(i);
      permits.push_back(std::move(permit));
    });
  }
  EXPECT_THAT(order, ElementsAre(1));
  EXPECT_THAT(permits.back().Release(), IsOk());
  EXPECT_THAT(order, ElementsAre(1, 2));
  EXPECT_THAT(permits.back().Release(), IsOk());
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
  EXPECT_THAT(permits.back().Release(), IsOk());
  EXPECT_FALSE(lock.locked());
}

TEST(DeferredLock, APermitReleasesTheLockWhenDestroyed) {
  DeferredLock lock;
  bool second = false;
  {
    std::optional<Result<Permit>> held = ResultNow(lock.Acquire());
    lock.Acquire().Then([&](Permit) { second = true; });
    EXPECT_FALSE(second);
  }
  EXPECT_TRUE(second);
  EXPECT_FALSE(lock.locked());  // the second Permit died with its callback
}

TEST(DeferredLock, ACoroutineHoldsTheLockForItsScope) {
  DeferredLock lock;
  Deferred<void> inside;
  std::vector<std::string> steps;
  auto critical = [&](std::string name) -> Deferred<void> {
    Result<Permit> permit = co_await lock.Acquire();
    steps.push_back(name + " in");
    co_await inside;
    steps.push_back(name + " out");
  };
  Deferred<void> first = critical("first");
  Deferred<void> second = critical("second");
  EXPECT_THAT(steps, ElementsAre("first in"));
  inside.Callback().IgnoreError();
  // The second waits on `inside`, which has fired, so it runs straight through.
  EXPECT_THAT(steps, ElementsAre("first in", "first out", "second in", "second out"));
  EXPECT_FALSE(lock.locked());
}

TEST(DeferredLock, ReleasingAPermitTwiceIsRefused) {
  DeferredLock lock;
  std::optional<Result<Permit>> held = ResultNow(lock.Acquire());
  ASSERT_TRUE(held.has_value() && held->ok());
  EXPECT_THAT((*held)->Release(), IsOk());
  EXPECT_THAT((*held)->Release(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(lock.locked());
}

TEST(DeferredLock, APermitMayOutliveItsLock) {
  std::optional<Result<Permit>> held;
  {
    DeferredLock lock;
    held = ResultNow(lock.Acquire());
  }
  ASSERT_TRUE(held.has_value() && held->ok());
  EXPECT_THAT((*held)->Release(), IsOk());
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
  std::optional<Result<Permit>> held = ResultNow(lock.Acquire());
  Deferred<Permit> second = lock.Acquire();
  bool third_got_it = false;
  lock.Acquire().Then([&](Permit) { third_got_it = true; });
  second.Cancel();
  EXPECT_THAT(ResultNow(second), Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_EQ(lock.waiting(), 1u);
  EXPECT_THAT((*held)->Release(), IsOk());
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
  Deferred<DeferredSemaphore::Permit> waiter;
  Deferred<DeferredSemaphore::Permit> held;  // outlives the semaphore, token and all
  {
    DeferredSemaphore semaphore(1);
    held = semaphore.Acquire();
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
