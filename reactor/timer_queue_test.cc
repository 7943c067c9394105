// TimerQueue: deadline order, FIFO among equals, O(log n) removal that leaves nothing behind.

#include "reactor/timer_queue.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace braid {
namespace {

using ::testing::ElementsAre;

absl::Time At(int seconds) { return absl::UnixEpoch() + absl::Seconds(seconds); }

// Runs everything due at `now`, recording the order.
void RunDue(TimerQueue& queue, absl::Time now) {
  while (auto f = queue.PopDue(now)) (*f)();
}

TEST(TimerQueue, PopsInDeadlineOrder) {
  TimerQueue queue;
  std::vector<int> order;
  queue.Schedule(At(3), [&] { order.push_back(3); });
  queue.Schedule(At(1), [&] { order.push_back(1); });
  queue.Schedule(At(2), [&] { order.push_back(2); });
  RunDue(queue, At(10));
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
}

TEST(TimerQueue, CallsDueAtTheSameTimeComeOutFirstInFirstOut) {
  TimerQueue queue;
  std::vector<int> order;
  for (int i = 0; i < 20; ++i) queue.Schedule(At(5), [&order, i] { order.push_back(i); });
  RunDue(queue, At(5));
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(TimerQueue, NothingComesOutBeforeItIsDue) {
  TimerQueue queue;
  queue.Schedule(At(5), [] {});
  EXPECT_FALSE(queue.PopDue(At(4)).has_value());
  EXPECT_EQ(queue.NextDue(), At(5));
}

TEST(TimerQueue, CancelTellsACallThatRanFromOneCancelled) {
  TimerQueue queue;
  uint64_t ran = queue.Schedule(At(1), [] {});
  uint64_t cancelled = queue.Schedule(At(5), [] {});
  RunDue(queue, At(2));
  EXPECT_EQ(queue.Cancel(cancelled), CallEnd::kPending);
  EXPECT_EQ(queue.Cancel(ran), CallEnd::kRan);
  EXPECT_EQ(queue.Cancel(cancelled), CallEnd::kCancelled);
}

TEST(TimerQueue, PendingIdsListsTheCallsStillPending) {
  TimerQueue queue;
  uint64_t a = queue.Schedule(At(1), [] {});
  uint64_t b = queue.Schedule(At(2), [] {});
  uint64_t c = queue.Schedule(At(3), [] {});
  queue.Cancel(b);
  EXPECT_THAT(queue.PendingIds(), ::testing::UnorderedElementsAre(a, c));
}

TEST(TimerQueue, CancelRemovesTheCallForGood) {
  TimerQueue queue;
  bool ran = false;
  uint64_t id = queue.Schedule(At(1), [&] { ran = true; });
  EXPECT_TRUE(queue.Active(id));
  EXPECT_EQ(queue.Cancel(id), CallEnd::kPending);
  EXPECT_FALSE(queue.Active(id));
  EXPECT_EQ(queue.Cancel(id), CallEnd::kCancelled);
  RunDue(queue, At(10));
  EXPECT_FALSE(ran);
  EXPECT_TRUE(queue.empty());
}

TEST(TimerQueue, RescheduleMovesTheCallBothWays) {
  TimerQueue queue;
  std::vector<char> order;
  uint64_t a = queue.Schedule(At(1), [&] { order.push_back('a'); });
  queue.Schedule(At(2), [&] { order.push_back('b'); });
  uint64_t c = queue.Schedule(At(3), [&] { order.push_back('c'); });
  EXPECT_TRUE(queue.Reschedule(a, At(4)));
  EXPECT_TRUE(queue.Reschedule(c, At(0)));
  EXPECT_EQ(queue.When(a), At(4));
  RunDue(queue, At(10));
  EXPECT_THAT(order, ElementsAre('c', 'b', 'a'));
}

TEST(TimerQueue, IdsOfFinishedCallsStayInactiveWhenSlotsAreReused) {
  TimerQueue queue;
  uint64_t first = queue.Schedule(At(1), [] {});
  RunDue(queue, At(1));
  uint64_t second = queue.Schedule(At(2), [] {});
  EXPECT_NE(first, second);
  EXPECT_FALSE(queue.Active(first));
  // The slot serves `second` now: how `first` ended is forgotten.
  EXPECT_EQ(queue.Cancel(first), CallEnd::kUnknown);
  EXPECT_TRUE(queue.Active(second));
}

TEST(TimerQueue, StaleEntriesNeverOutnumberLiveCallsByMuch) {
  TimerQueue queue;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 100'000; ++i) ids.push_back(queue.Schedule(At(100 + i % 977), [] {}));
  // Every heartbeat is reset five times over, as a fleet's would be.
  for (int round = 0; round < 5; ++round) {
    for (uint64_t id : ids) ASSERT_TRUE(queue.Reschedule(id, At(2000 + round)));
  }
  EXPECT_EQ(queue.size(), 100'000u);
  EXPECT_LE(queue.entries(), 2 * queue.size() + 1024);
  for (uint64_t id : ids) ASSERT_EQ(queue.Cancel(id), CallEnd::kPending);
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_LE(queue.entries(), 1024u);
}

TEST(TimerQueue, AHundredThousandCancelledCallsLeaveNothingBehind) {
  TimerQueue queue;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 100'000; ++i) ids.push_back(queue.Schedule(At(i % 977), [] {}));
  for (size_t i = 0; i < ids.size(); i += 2) EXPECT_EQ(queue.Cancel(ids[i]), CallEnd::kPending);
  EXPECT_EQ(queue.size(), 50'000u);
  int ran = 0;
  absl::Time last = absl::InfinitePast();
  while (auto next = queue.NextDue()) {
    EXPECT_GE(*next, last);
    last = *next;
    ASSERT_TRUE(queue.PopDue(*next).has_value());
    ++ran;
  }
  EXPECT_EQ(ran, 50'000);
}

TEST(TimerQueue, ASequenceBoundHoldsBackCallsAddedLater) {
  TimerQueue queue;
  queue.Schedule(At(1), [] {});
  uint64_t bound = queue.next_sequence();
  queue.Schedule(At(0), [] {});
  // The earliest call (at 0) came after the bound: the turn stops there.
  EXPECT_FALSE(queue.PopDue(At(5), bound).has_value());
  EXPECT_TRUE(queue.PopDue(At(5)).has_value());
  EXPECT_TRUE(queue.PopDue(At(5), bound).has_value());  // the one at 1 was scheduled before
}

}  // namespace
}  // namespace braid
