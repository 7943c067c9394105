// DeferredQueue: Twisted's DeferredQueue.

#include "deferred/deferred_queue.h"

#include <string>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(DeferredQueue, GetFiresAtOnceWithAKeptValue) {
  DeferredQueue<std::string> queue;
  EXPECT_THAT(queue.Put("first"), IsOk());
  EXPECT_THAT(queue.Put("second"), IsOk());
  EXPECT_THAT(ResultNow(queue.Get()), Optional(IsOkAndHolds("first")));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(DeferredQueue, GetWaitsForTheNextPut) {
  DeferredQueue<int> queue;
  Deferred<int> a = queue.Get();
  Deferred<int> b = queue.Get();
  EXPECT_FALSE(HasResult(a));
  EXPECT_THAT(queue.Put(1), IsOk());
  EXPECT_THAT(queue.Put(2), IsOk());
  EXPECT_THAT(ResultNow(a), Optional(IsOkAndHolds(1)));
  EXPECT_THAT(ResultNow(b), Optional(IsOkAndHolds(2)));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(DeferredQueue, PutBeyondTheSizeIsRefused) {
  DeferredQueue<int> queue(/*size=*/1);
  EXPECT_THAT(queue.Put(1), IsOk());
  EXPECT_THAT(queue.Put(2), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("full")));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(DeferredQueue, GetBeyondTheBacklogFails) {
  DeferredQueue<int> queue(std::nullopt, /*backlog=*/1);
  Deferred<int> first = queue.Get();
  EXPECT_THAT(ResultNow(queue.Get()),
              Optional(StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("backlog"))));
  EXPECT_EQ(queue.waiting(), 1u);
}

TEST(DeferredQueue, CancellingAWaitingGetTakesItOutOfLine) {
  DeferredQueue<int> queue;
  Deferred<int> cancelled = queue.Get();
  Deferred<int> next = queue.Get();
  cancelled.Cancel();
  EXPECT_EQ(queue.waiting(), 1u);
  EXPECT_THAT(queue.Put(5), IsOk());
  EXPECT_THAT(ResultNow(next), Optional(IsOkAndHolds(5)));
  EXPECT_THAT(ResultNow(cancelled), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(DeferredQueue, DestroyingItFailsTheWaitingGets) {
  Deferred<int> waiting;
  {
    DeferredQueue<int> queue;
    waiting = queue.Get();
  }
  EXPECT_THAT(ResultNow(waiting), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

}  // namespace
}  // namespace braid
