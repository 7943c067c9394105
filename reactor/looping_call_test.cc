// LoopingCall and DeferLater on the FakeClock.

#include "reactor/looping_call.h"

#include <vector>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/defer_later.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(LoopingCall, CallsNowAndThenEveryInterval) {
  FakeClock clock;
  int calls = 0;
  LoopingCall loop(clock, [&] { ++calls; });
  loop.Start(absl::Seconds(1));
  EXPECT_EQ(calls, 1);
  clock.Pump({absl::Seconds(1), absl::Seconds(1), absl::Seconds(1)});
  EXPECT_EQ(calls, 4);
}

TEST(LoopingCall, WithoutNowTheFirstCallIsOneIntervalLater) {
  FakeClock clock;
  int calls = 0;
  LoopingCall loop(clock, [&] { ++calls; });
  loop.Start(absl::Seconds(1), /*now=*/false);
  EXPECT_EQ(calls, 0);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(calls, 1);
}

TEST(LoopingCall, SkipsMissedBeatsAndCountsThem) {
  FakeClock clock;
  std::vector<int64_t> beats;
  LoopingCall loop(clock, CountBeats{}, [&](int64_t n) { beats.push_back(n); });
  loop.Start(absl::Seconds(1));
  clock.Advance(absl::Seconds(1));
  clock.Advance(absl::Milliseconds(3500));  // the loop was stalled past three beats
  clock.Advance(absl::Milliseconds(500));   // back on the grid
  EXPECT_THAT(beats, ElementsAre(1, 1, 3, 1));
}

TEST(LoopingCall, StaysOnTheGridOfItsStartTime) {
  FakeClock clock;
  std::vector<absl::Duration> at;
  absl::Time start = clock.Now();
  LoopingCall loop(clock, [&] { at.push_back(clock.Now() - start); });
  loop.Start(absl::Seconds(2));
  clock.Advance(absl::Seconds(3));  // beat 1 runs late, at 3 s
  clock.Advance(absl::Seconds(1));  // beat 2 at 4 s
  EXPECT_THAT(at, ElementsAre(absl::ZeroDuration(), absl::Seconds(3), absl::Seconds(4)));
}

TEST(LoopingCall, WaitsForTheDeferredItsFunctionReturns) {
  FakeClock clock;
  int calls = 0;
  Deferred<void> work;
  LoopingCall loop(clock, [&] {
    ++calls;
    return work;
  });
  loop.Start(absl::Seconds(1));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(calls, 1);
  work.Callback().IgnoreError();
  work = Deferred<void>();
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(calls, 2);
}

TEST(LoopingCall, StopFiresTheStartDeferredAndEndsTheCalls) {
  FakeClock clock;
  int calls = 0;
  LoopingCall loop(clock, [&] { ++calls; });
  Deferred<void> done = loop.Start(absl::Seconds(1));
  ASSERT_TRUE(loop.Stop().ok());
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
  EXPECT_FALSE(loop.running());
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(LoopingCall, StoppingALoopThatIsNotRunningIsAnError) {
  FakeClock clock;
  int calls = 0;
  LoopingCall loop(clock, [&] { ++calls; });
  EXPECT_THAT(loop.Stop(), StatusIs(absl::StatusCode::kFailedPrecondition));
  Deferred<void> done = loop.Start(absl::Seconds(1));
  EXPECT_THAT(loop.Stop(), IsOk());
  EXPECT_THAT(loop.Stop(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
  EXPECT_EQ(calls, 1);
}

TEST(LoopingCall, AFailingFunctionStopsTheLoopWithItsError) {
  FakeClock clock;
  int calls = 0;
  LoopingCall loop(clock, [&]() -> absl::Status {
    return ++calls == 2 ? absl::InternalError("second call failed") : absl::OkStatus();
  });
  Deferred<void> done = loop.Start(absl::Seconds(1));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(ResultNow(done), Optional(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_FALSE(loop.running());
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(calls, 2);
}

TEST(LoopingCall, StoppingDuringACallFiresWhenTheCallEnds) {
  FakeClock clock;
  Deferred<void> work;
  LoopingCall loop(clock, [&] { return work; });
  Deferred<void> done = loop.Start(absl::Seconds(1));
  ASSERT_TRUE(loop.Stop().ok());
  EXPECT_FALSE(HasResult(done));
  work.Callback().IgnoreError();
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
}

TEST(LoopingCall, DestroyingItStopsIt) {
  FakeClock clock;
  int calls = 0;
  Deferred<void> done;
  {
    LoopingCall loop(clock, [&] { ++calls; });
    done = loop.Start(absl::Seconds(1));
  }
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
}

TEST(LoopingCall, StartedAgainDuringAStoppedRunsLastCallRunsOnce) {
  FakeClock clock;
  int calls = 0;
  Deferred<void> slow;
  LoopingCall loop(clock, [&]() -> Deferred<void> {
    ++calls;
    return calls == 1 ? slow : Succeed();
  });
  Deferred<void> first = loop.Start(absl::Seconds(1));
  ASSERT_TRUE(loop.Stop().ok());
  Deferred<void> second = loop.Start(absl::Seconds(1));
  EXPECT_THAT(ResultNow(first), Optional(IsOk()));
  EXPECT_EQ(calls, 2);
  slow.Callback().IgnoreError();  // the first run's call ends: no second chain of calls
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(calls, 3);
  ASSERT_TRUE(loop.Stop().ok());
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(calls, 3);
  EXPECT_THAT(ResultNow(second), Optional(IsOk()));
}

TEST(DeferLater, FiresWithTheResultAfterTheDelay) {
  FakeClock clock;
  Deferred<int> d = DeferLater(clock, absl::Seconds(2), [] { return 7; });
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(HasResult(d));
  clock.Advance(absl::Seconds(1));
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(7)));
}

TEST(DeferLater, ANegativeDelayIsRefusedAndTheFunctionNeverRuns) {
  FakeClock clock;
  bool ran = false;
  Deferred<void> d = DeferLater(clock, absl::Seconds(-1), [&] { ran = true; });
  clock.Advance(absl::Seconds(5));
  EXPECT_FALSE(ran);
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kInvalidArgument)));
}

TEST(DeferLater, CancellingItCancelsTheCall) {
  FakeClock clock;
  bool ran = false;
  Deferred<void> d = DeferLater(clock, absl::Seconds(2), [&] { ran = true; });
  d.Cancel();
  EXPECT_EQ(clock.pending(), 0u);
  clock.Advance(absl::Seconds(2));
  EXPECT_FALSE(ran);
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(DeferLater, CancellingAfterTheDelayCancelsWhatTheCallReturned) {
  FakeClock clock;
  bool inner_cancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { inner_cancelled = true; });
  UnhandledErrorCapture capture;
  Deferred<int> d = DeferLater(clock, absl::Seconds(1), [&] { return inner; });
  clock.Advance(absl::Seconds(1));
  d.Cancel();
  EXPECT_TRUE(inner_cancelled);
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_THAT(capture.errors(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace braid
