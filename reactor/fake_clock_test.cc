// FakeClock: Twisted's task.Clock.

#include "reactor/fake_clock.h"

#include <vector>

#include "deferred/deferred.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

TEST(FakeClock, TimeMovesOnlyWhenAdvanced) {
  FakeClock clock;
  absl::Time start = clock.Now();
  clock.Advance(absl::Seconds(3));
  EXPECT_EQ(clock.Now() - start, absl::Seconds(3));
}

TEST(FakeClock, CallsRunWhenTheirTimeComes) {
  FakeClock clock;
  std::vector<int> ran;
  clock.CallLater(absl::Seconds(2), [&] { ran.push_back(2); });
  clock.CallLater(absl::Seconds(1), [&] { ran.push_back(1); });
  clock.Advance(absl::Milliseconds(999));
  EXPECT_THAT(ran, IsEmpty());
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(ran, ElementsAre(1, 2));
}

TEST(FakeClock, CallsDueTogetherRunFirstInFirstOut) {
  FakeClock clock;
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i) clock.CallLater(absl::Seconds(1), [&ran, i] { ran.push_back(i); });
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(ran, ElementsAre(0, 1, 2, 3, 4));
}

TEST(FakeClock, ACallScheduledDuringAdvanceForAPassedTimeRunsInThatAdvance) {
  FakeClock clock;
  std::vector<std::string> ran;
  clock.CallLater(absl::Seconds(1), [&] {
    ran.push_back("first");
    clock.CallLater(absl::ZeroDuration(), [&] { ran.push_back("scheduled by first"); });
    clock.CallLater(absl::Seconds(10), [&] { ran.push_back("much later"); });
  });
  clock.Advance(absl::Seconds(2));
  EXPECT_THAT(ran, ElementsAre("first", "scheduled by first"));
}

TEST(FakeClock, AdvanceByZeroRunsWhatIsDueNow) {
  FakeClock clock;
  bool ran = false;
  clock.CallLater(absl::ZeroDuration(), [&] { ran = true; });
  EXPECT_FALSE(ran);
  clock.Advance(absl::ZeroDuration());
  EXPECT_TRUE(ran);
}

TEST(FakeClock, PumpAdvancesStepByStep) {
  FakeClock clock;
  std::vector<absl::Duration> seen;
  absl::Time start = clock.Now();
  for (int i = 1; i <= 3; ++i) {
    clock.CallLater(absl::Seconds(i), [&] { seen.push_back(clock.Now() - start); });
  }
  clock.Pump({absl::Seconds(1), absl::Seconds(1), absl::Seconds(1)});
  EXPECT_THAT(seen, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(3)));
}

TEST(FakeClock, AdvanceToNextCallJumpsToIt) {
  FakeClock clock;
  bool ran = false;
  absl::Time start = clock.Now();
  clock.CallLater(absl::Hours(5), [&] { ran = true; });
  EXPECT_TRUE(clock.AdvanceToNextCall());
  EXPECT_TRUE(ran);
  EXPECT_EQ(clock.Now() - start, absl::Hours(5));
  EXPECT_FALSE(clock.AdvanceToNextCall());
}

TEST(FakeClock, DelayedCallsCanBeCancelledResetAndDelayed) {
  FakeClock clock;
  std::vector<std::string> ran;
  DelayedCall cancelled = clock.CallLater(absl::Seconds(1), [&] { ran.push_back("cancelled"); });
  DelayedCall reset = clock.CallLater(absl::Seconds(1), [&] { ran.push_back("reset"); });
  DelayedCall delayed = clock.CallLater(absl::Seconds(1), [&] { ran.push_back("delayed"); });
  EXPECT_THAT(cancelled.Cancel(), IsOk());
  EXPECT_FALSE(cancelled.Active());
  EXPECT_THAT(reset.Reset(absl::Seconds(3)), IsOk());
  EXPECT_THAT(delayed.Delay(absl::Seconds(1)), IsOk());
  EXPECT_EQ(delayed.Time(), clock.Now() + absl::Seconds(2));
  clock.Advance(absl::Seconds(2));
  EXPECT_THAT(ran, ElementsAre("delayed"));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(ran, ElementsAre("delayed", "reset"));
  EXPECT_FALSE(reset.Active());
  EXPECT_THAT(reset.Reset(absl::Seconds(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(IsAlreadyCalled(reset.Cancel()));
}

TEST(FakeClock, CancellingTwiceSaysItWasCancelledAlready) {
  FakeClock clock;
  DelayedCall call = clock.CallLater(absl::Seconds(1), [] {});
  DelayedCall copy = call;
  EXPECT_THAT(call.Cancel(), IsOk());
  absl::Status again = copy.Cancel();
  EXPECT_TRUE(IsAlreadyCancelled(again)) << again;
  EXPECT_FALSE(IsAlreadyCalled(again));
}

TEST(FakeClock, CancellingACallThatRanSaysItAlreadyRan) {
  FakeClock clock;
  DelayedCall call = clock.CallLater(absl::Seconds(1), [] {});
  clock.Advance(absl::Seconds(1));
  absl::Status late = call.Cancel();
  EXPECT_TRUE(IsAlreadyCalled(late)) << late;
  EXPECT_FALSE(IsAlreadyCancelled(late));
}

TEST(FakeClock, ANegativeDelayIsRefusedAndTheFunctionNeverRuns) {
  FakeClock clock;
  bool ran = false;
  DelayedCall call = clock.CallLater(absl::Seconds(-1), [&] { ran = true; });
  EXPECT_THAT(call.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(call.Active());
  EXPECT_EQ(clock.pending(), 0u);
  clock.Advance(absl::Seconds(5));
  EXPECT_FALSE(ran);
  EXPECT_THAT(call.Cancel(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FakeClock, DelayedCallsListsThePendingCalls) {
  FakeClock clock;
  clock.CallLater(absl::Seconds(1), [] {});
  DelayedCall b = clock.CallLater(absl::Seconds(2), [] {});
  clock.Advance(absl::Seconds(1));
  std::vector<DelayedCall> pending = clock.DelayedCalls();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].Time(), b.Time());
  EXPECT_THAT(pending[0].Cancel(), IsOk());
  EXPECT_FALSE(b.Active());
}

TEST(FakeClock, AHandlerMayCancelOrResetOtherCallsDueInTheSameAdvance) {
  FakeClock clock;
  std::vector<std::string> ran;
  DelayedCall second;
  DelayedCall third;
  clock.CallLater(absl::Seconds(1), [&] {
    ran.push_back("first");
    second.Cancel().IgnoreError();
    third.Reset(absl::Seconds(5)).IgnoreError();
  });
  second = clock.CallLater(absl::Seconds(1), [&] { ran.push_back("second"); });
  third = clock.CallLater(absl::Seconds(1), [&] { ran.push_back("third"); });
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(ran, ElementsAre("first"));
  clock.Advance(absl::Seconds(5));
  EXPECT_THAT(ran, ElementsAre("first", "third"));
}

TEST(FakeClock, IsTheTimeOfDeferredTimeouts) {
  FakeClock clock;
  Deferred<int> d;
  d.AddTimeout(clock, absl::Seconds(30));
  clock.Advance(absl::Seconds(30));
  EXPECT_THAT(*ResultNow(d), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(FakeClock, DestroyingItDropsPendingCallsAndTheirDeferreds) {
  UnhandledErrorCapture capture;
  Deferred<int> d;
  {
    FakeClock clock;
    d.AddTimeout(clock, absl::Seconds(1));
  }
  EXPECT_FALSE(HasResult(d));
  EXPECT_THAT(capture.errors(), IsEmpty());
  EXPECT_THAT(d.Callback(1), IsOk());  // the timeout went with the clock
}

TEST(FakeClock, ATimeoutThatHasPassedAlreadyComesDueAtOnce) {
  FakeClock clock;
  Deferred<int> never;
  never.AddTimeout(clock, absl::Seconds(-3));
  clock.Advance(absl::ZeroDuration());
  EXPECT_THAT(ResultNow(never), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

}  // namespace
}  // namespace braid
