// Deferred<T>: each test is one behaviour of Twisted's Deferred, in its C++ form.

#include "deferred/deferred.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "deferred/errors.h"
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

// ----------------------------------------------------------------------- callbacks and errbacks

TEST(Deferred, CallbackRunsWhenTheDeferredFires) {
  Deferred<int> d;
  int seen = 0;
  d.Then([&](int v) { seen = v; });
  EXPECT_EQ(seen, 0);
  EXPECT_THAT(d.Callback(7), IsOk());
  EXPECT_EQ(seen, 7);
}

TEST(Deferred, CallbackAddedAfterFiringRunsAtOnce) {
  Deferred<int> d = Succeed(7);
  int seen = 0;
  d.Then([&](int v) { seen = v; });
  EXPECT_EQ(seen, 7);
}

TEST(Deferred, EachCallbackReceivesWhatThePreviousOneReturned) {
  Deferred<int> d;
  std::vector<std::string> seen;
  d.Then([](int v) { return v + 1; })
      .Then([](int v) { return std::to_string(v * 10); })
      .Then([&](std::string s) { seen.push_back(s); });
  d.Callback(1).IgnoreError();
  EXPECT_THAT(seen, ElementsAre("20"));
}

TEST(Deferred, CallbacksOnVoidDeferredsTakeNoArgument) {
  Deferred<void> d;
  int calls = 0;
  d.Then([&] { ++calls; }).Then([&] { ++calls; });
  d.Callback().IgnoreError();
  EXPECT_EQ(calls, 2);
}

TEST(Deferred, AnErrorSkipsCallbacksUntilAnErrback) {
  Deferred<int> d;
  bool callback_ran = false;
  absl::Status caught;
  d.Then([&](int v) {
     callback_ran = true;
     return v;
   }).Catch([&](absl::Status e) -> absl::StatusOr<int> {
    caught = e;
    return 0;
  });
  d.Errback(absl::NotFoundError("gone")).IgnoreError();
  EXPECT_FALSE(callback_ran);
  EXPECT_THAT(caught, StatusIs(absl::StatusCode::kNotFound, "gone"));
}

TEST(Deferred, AnErrbackThatReturnsAValueRecovers) {
  Deferred<int> d;
  d.Catch([](absl::Status) { return 5; });
  d.Errback(absl::InternalError("x")).IgnoreError();
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(5)));
}

TEST(Deferred, AnErrbackThatReturnsAnErrorReplacesIt) {
  Deferred<int> d;
  d.Catch([](absl::Status e) -> absl::StatusOr<int> {
    return absl::UnavailableError(std::string(e.message()) + " (retry later)");
  });
  d.Errback(absl::InternalError("broken")).IgnoreError();
  EXPECT_THAT(ResultNow(d),
              Optional(StatusIs(absl::StatusCode::kUnavailable, "broken (retry later)")));
}

TEST(Deferred, ValuesPassErrbacksBy) {
  Deferred<int> d = Succeed(3);
  bool errback_ran = false;
  d.Catch([&](absl::Status) {
    errback_ran = true;
    return 0;
  });
  EXPECT_FALSE(errback_ran);
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(3)));
}

TEST(Deferred, ACallbackThatReturnsAnErrorSwitchesToTheErrbackPath) {
  Deferred<int> d;
  auto end = d.Then([](int) -> absl::StatusOr<std::string> {
                return absl::InvalidArgumentError("odd");
              }).Catch([](absl::Status e) -> absl::StatusOr<std::string> {
    return std::string("recovered from ") + std::string(e.message());
  });
  d.Callback(1).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(IsOkAndHolds("recovered from odd")));
}

TEST(Deferred, ACallbackReturningStatusContinuesAsVoid) {
  Deferred<int> d;
  Deferred<void> end = d.Then(
      [](int v) { return v > 0 ? absl::OkStatus() : absl::OutOfRangeError("not positive"); });
  d.Callback(-1).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(StatusIs(absl::StatusCode::kOutOfRange)));
}

TEST(Deferred, AnErrbackOfTheSamePairDoesNotSeeItsCallbacksError) {
  // Twisted's addCallbacks: an error raised by the callback goes to the *next* errback.
  Deferred<int> d;
  bool same_pair_errback = false;
  bool next_errback = false;
  d.Then([](int) -> absl::StatusOr<int> { return absl::InternalError("cb failed"); },
         [&](absl::Status) -> absl::StatusOr<int> {
           same_pair_errback = true;
           return 0;
         })
      .Catch([&](absl::Status) {
        next_errback = true;
        return 0;
      });
  d.Callback(1).IgnoreError();
  EXPECT_FALSE(same_pair_errback);
  EXPECT_TRUE(next_errback);
}

TEST(Deferred, ThenWithBothRunsTheErrbackOnError) {
  Deferred<int> d;
  auto end = d.Then([](int v) { return std::to_string(v); },
                    [](absl::Status e) { return std::string(e.message()); });
  d.Errback(absl::AbortedError("stop")).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(IsOkAndHolds("stop")));
}

TEST(Deferred, BothSeesValuesAndErrors) {
  std::vector<std::string> seen;
  auto record = [&](Result<int> r) {
    seen.push_back(r.ok() ? std::to_string(*r) : std::string(r.status().message()));
  };
  Succeed(1).Both(record);
  Fail<int>(absl::InternalError("two")).Both(record);
  EXPECT_THAT(seen, ElementsAre("1", "two"));
}

TEST(Deferred, MoveOnlyValuesTravelTheChain) {
  Deferred<std::unique_ptr<int>> d;
  auto end = d.Then([](std::unique_ptr<int> p) {
    *p += 1;
    return p;
  });
  d.Callback(std::make_unique<int>(41)).IgnoreError();
  std::optional<Result<std::unique_ptr<int>>> result = ResultNow(end);
  ASSERT_TRUE(result.has_value());
  ASSERT_THAT(*result, IsOk());
  EXPECT_EQ(*std::move(*result).value(), 42);
}

TEST(Deferred, LargeValuesTravelTheChain) {
  struct Big {
    char bytes[256];
    std::string name;
  };
  Deferred<Big> d;
  auto end = d.Then([](Big b) { return b.name + std::to_string(b.bytes[200]); });
  Big big{};
  big.bytes[200] = 9;
  big.name = "big";
  d.Callback(std::move(big)).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(IsOkAndHolds("big9")));
}

// ---------------------------------------------------------------------------------- firing once

TEST(Deferred, FiringTwiceIsRefusedAndChangesNothing) {
  Deferred<int> d;
  d.Callback(1).IgnoreError();
  EXPECT_THAT(d.Callback(2),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Deferred already called"));
  EXPECT_THAT(d.Errback(absl::InternalError("late")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "Deferred already called"));
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(1)));
}

TEST(Deferred, ErrbackWithAnOkStatusIsRefusedAndFiresNothing) {
  Deferred<int> d;
  EXPECT_THAT(d.Errback(absl::OkStatus()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("OK status")));
  EXPECT_FALSE(d.called());
  EXPECT_THAT(d.Callback(3), IsOk());
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(3)));
}

TEST(Deferred, FireTakesEitherKindOfResult) {
  Deferred<int> a;
  Deferred<int> b;
  a.Fire(3).IgnoreError();
  b.Fire(absl::DataLossError("torn")).IgnoreError();
  EXPECT_THAT(ResultNow(a), Optional(IsOkAndHolds(3)));
  EXPECT_THAT(ResultNow(b), Optional(StatusIs(absl::StatusCode::kDataLoss)));
}

// ------------------------------------------------------------------------------------- chaining

TEST(Deferred, ACallbackReturningAnUnfiredDeferredPausesTheChain) {
  Deferred<int> outer;
  Deferred<std::string> inner;
  std::vector<std::string> seen;
  outer.Then([&](int) { return inner; }).Then([&](std::string s) { seen.push_back(s); });
  outer.Callback(1).IgnoreError();
  EXPECT_THAT(seen, IsEmpty());
  EXPECT_TRUE(outer.paused());
  inner.Callback("inner's value").IgnoreError();
  EXPECT_THAT(seen, ElementsAre("inner's value"));
  EXPECT_FALSE(outer.paused());
}

TEST(Deferred, TheChainContinuesWithTheInnerDeferredsError) {
  Deferred<int> outer;
  Deferred<int> inner;
  auto end = outer.Then([&](int) { return inner; });
  outer.Callback(1).IgnoreError();
  inner.Errback(absl::ResourceExhaustedError("full")).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(StatusIs(absl::StatusCode::kResourceExhausted)));
}

TEST(Deferred, ACallbackReturningAFiredDeferredContinuesAtOnce) {
  Deferred<int> d = Succeed(2);
  auto end = d.Then([](int v) { return Succeed(v * 3); });
  EXPECT_THAT(ResultNow(end), Optional(IsOkAndHolds(6)));
}

TEST(Deferred, AnErrbackReturningADeferredChainsToo) {
  Deferred<int> inner;
  auto end = Fail<int>(absl::UnavailableError("down")).Catch([&](absl::Status) { return inner; });
  EXPECT_FALSE(HasResult(end));
  inner.Callback(11).IgnoreError();
  EXPECT_THAT(ResultNow(end), Optional(IsOkAndHolds(11)));
}

TEST(Deferred, AnErrorHandedToAnotherDeferredIsReportedOnlyThere) {
  UnhandledErrorCapture capture;
  {
    Deferred<int> inner = Fail<int>(absl::InternalError("once"));
    Deferred<int> outer = Succeed(1).Then([&](int) { return inner; });
  }
  EXPECT_THAT(capture.errors(), ElementsAre(StatusIs(absl::StatusCode::kInternal, "once")));
}

TEST(Deferred, AMillionStageChainDoesNotRecurse) {
  constexpr int kStages = 1'000'000;
  Deferred<int> d;
  for (int i = 0; i < kStages; ++i) d.Then([](int v) { return v + 1; });
  d.Callback(0).IgnoreError();
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(kStages)));
}

TEST(Deferred, AMillionDeferredsWaitingOnEachOtherDoNotRecurse) {
  constexpr int kDeferreds = 1'000'000;
  std::vector<Deferred<int>> ds(kDeferreds + 1);
  for (int i = 0; i < kDeferreds; ++i) {
    ds[i].Then([next = ds[i + 1]](int) { return next; });
  }
  // Each fires and then waits for the next, which has not fired yet.
  for (int i = 0; i < kDeferreds; ++i) ds[i].Callback(i).IgnoreError();
  ds[kDeferreds].Callback(-1).IgnoreError();
  EXPECT_THAT(ResultNow(ds[0]), Optional(IsOkAndHolds(-1)));
}

TEST(Deferred, AMillionDeferredsFiredInnermostFirstDoNotRecurse) {
  constexpr int kDeferreds = 1'000'000;
  std::vector<Deferred<int>> ds(kDeferreds + 1);
  for (int i = 0; i < kDeferreds; ++i) {
    ds[i].Then([next = ds[i + 1]](int) { return next; });
  }
  for (int i = kDeferreds; i >= 0; --i) ds[i].Callback(i).IgnoreError();
  EXPECT_THAT(ResultNow(ds[0]), Optional(IsOkAndHolds(kDeferreds)));
}

// --- A Deferred whose result went to another one stays usable (Twisted: its result is None).

TEST(Deferred, CallbacksAddedToAnInnerDeferredAfterItWasChainedRunWithNoValue) {
  Deferred<int> inner;
  Deferred<int> outer = Succeed(1).Then([&](int) { return inner; });
  std::vector<std::string> steps;
  inner.Then([&] { steps.push_back("inner, after"); });
  outer.Then([&](int v) { steps.push_back("outer got " + std::to_string(v)); });
  inner.Callback(7).IgnoreError();
  // The waiting Deferred gets the value first, then the inner one goes on with none.
  EXPECT_THAT(steps, ElementsAre("outer got 7", "inner, after"));
}

TEST(Deferred, CallbacksAddedToAFiredChainedDeferredRunAtOnce) {
  Deferred<std::string> inner;
  Deferred<std::string> outer = Succeed(1).Then([&](int) { return inner; });
  inner.Callback("x").IgnoreError();
  EXPECT_THAT(ResultNow(outer), Optional(IsOkAndHolds("x")));
  bool ran = false;
  inner.Then([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(Deferred, TheMiddleOfAChainOfThreeStaysUsable) {
  Deferred<int> last;
  Deferred<int> middle = Succeed(0).Then([&](int) { return last; });
  Deferred<int> first = Succeed(0).Then([&](int) { return middle; });
  std::vector<std::string> steps;
  middle.Then([&] { steps.push_back("middle"); });
  first.Then([&](int v) { steps.push_back("first " + std::to_string(v)); });
  last.Callback(3).IgnoreError();
  EXPECT_THAT(steps, ElementsAre("first 3", "middle"));
}

TEST(Deferred, AStageAddedAfterChainingMayItselfWaitWithoutLosingTheOuterResult) {
  Deferred<int> inner;
  Deferred<int> outer = Succeed(0).Then([&](int) { return inner; });
  Deferred<void> later;
  bool after_later = false;
  inner.Then([&] { return later; }).Then([&] { after_later = true; });
  inner.Callback(9).IgnoreError();
  EXPECT_THAT(ResultNow(outer), Optional(IsOkAndHolds(9)));
  EXPECT_FALSE(after_later);
  later.Callback().IgnoreError();
  EXPECT_TRUE(after_later);
}

TEST(Deferred, ADeepSeriesOfChainedDeferredsRunsEveryLaterStageOuterFirst) {
  constexpr int kDepth = 12;  // more Cores to come back to than RunChain keeps inline
  std::vector<Deferred<int>> chain(kDepth);
  for (int i = kDepth - 2; i >= 0; --i) {
    chain[i] = Succeed(0).Then([inner = chain[i + 1]](int) { return inner; });
  }
  std::vector<int> order;
  for (int i = 1; i < kDepth; ++i) chain[i].Then([&order, i] { order.push_back(i); });
  int outermost = -1;
  chain[0].Then([&](int v) { outermost = v; });
  chain[kDepth - 1].Callback(5).IgnoreError();
  EXPECT_EQ(outermost, 5);
  std::vector<int> expected;
  for (int i = 1; i < kDepth; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST(Deferred, ErrbacksAndBothOnAChainedDeferredSeeNoError) {
  Deferred<int> inner;
  Deferred<int> outer = Succeed(0).Then([&](int) { return inner; });
  bool errback_ran = false;
  absl::Status seen = absl::UnknownError("unset");
  inner
      .Catch([&](absl::Status e) {
        errback_ran = true;
        return e;
      })
      .Both([&](absl::Status s) { seen = s; });
  inner.Errback(absl::DataLossError("bad")).IgnoreError();
  EXPECT_THAT(ResultNow(outer), Optional(StatusIs(absl::StatusCode::kDataLoss)));
  EXPECT_FALSE(errback_ran);
  EXPECT_THAT(seen, IsOk());
}

TEST(Deferred, ACallbackReturningItsOwnDeferredFailsTheChain) {
  Deferred<int> d;
  Deferred<int> self = d;
  Deferred<int> chain = d.Then([&](int) { return self; });
  d.Callback(1).IgnoreError();
  EXPECT_THAT(ResultNow(chain),
              Optional(StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("returned the Deferred it was added"))));
}

TEST(Deferred, AnErrbackReturningItsOwnDeferredFailsTheChain) {
  Deferred<void> d;
  Deferred<void> self = d;
  Deferred<void> chain = d.Catch([&](absl::Status) { return self; });
  d.Errback(absl::InternalError("x")).IgnoreError();
  EXPECT_THAT(ResultNow(chain), Optional(StatusIs(absl::StatusCode::kFailedPrecondition)));
}

TEST(Deferred, ChainDeferredHandsTheResultToAnother) {
  Deferred<int> source;
  Deferred<int> target;
  source.ChainDeferred(target);
  source.Callback(8).IgnoreError();
  EXPECT_THAT(ResultNow(target), Optional(IsOkAndHolds(8)));
}

// ---------------------------------------------------------------------------------------- pause

TEST(Deferred, APausedDeferredHoldsItsResultUntilUnpaused) {
  Deferred<int> d;
  int seen = 0;
  d.Pause();
  d.Then([&](int v) { seen = v; });
  d.Callback(4).IgnoreError();
  EXPECT_EQ(seen, 0);
  d.Unpause();
  EXPECT_EQ(seen, 4);
}

TEST(Deferred, PausingInsideACallbackStopsTheChainAfterIt) {
  Deferred<int> d;
  std::vector<int> seen;
  d.Then([&](int v) {
     seen.push_back(v);
     d.Pause();
     return v + 1;
   }).Then([&](int v) { seen.push_back(v); });
  d.Callback(1).IgnoreError();
  EXPECT_THAT(seen, ElementsAre(1));
  d.Unpause();
  EXPECT_THAT(seen, ElementsAre(1, 2));
}

TEST(Deferred, NestedPausesNeedAsManyUnpauses) {
  Deferred<void> d;
  bool ran = false;
  d.Pause();
  d.Pause();
  d.Then([&] { ran = true; });
  d.Callback().IgnoreError();
  d.Unpause();
  EXPECT_FALSE(ran);
  d.Unpause();
  EXPECT_TRUE(ran);
}

TEST(Deferred, AnUnpauseWithoutAPauseIsIgnored) {
  Deferred<int> d;
  d.Unpause();
  d.Pause();
  int seen = 0;
  d.Then([&](int v) { seen = v; });
  d.Callback(1).IgnoreError();
  EXPECT_EQ(seen, 0);
  d.Unpause();
  EXPECT_EQ(seen, 1);
}

TEST(Deferred, CallbacksAddedByACallbackRunInTheSamePass) {
  Deferred<int> d;
  std::vector<int> order;
  Deferred<void> end;
  end = d.Then([&](int) {
    order.push_back(1);
    end.Then([&] { order.push_back(2); });
  });
  d.Callback(0).IgnoreError();
  EXPECT_THAT(order, ElementsAre(1, 2));
}

// --------------------------------------------------------------------------------- cancellation

TEST(Deferred, CancelCallsTheCanceller) {
  int calls = 0;
  Deferred<int> d([&](Deferred<int>&) { ++calls; });
  d.Cancel();
  EXPECT_EQ(calls, 1);
}

TEST(Deferred, CancelFailsAnUnfiredDeferredWithCancelledError) {
  Deferred<int> d;
  d.Cancel();
  EXPECT_THAT(ResultNow(d),
              Optional(StatusIs(absl::StatusCode::kCancelled, "Deferred was cancelled")));
}

TEST(Deferred, ACancellerThatFiresDecidesTheResult) {
  Deferred<int> d([](Deferred<int>& self) { self.Callback(-1).IgnoreError(); });
  d.Cancel();
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(-1)));
}

TEST(Deferred, ACancellerThatFiresMayGoOnUsingWhatItCaptured) {
  std::string seen;
  std::string label(64, 'x');  // on the heap: freed memory would show under ASan
  Deferred<int> d([label, &seen](Deferred<int>& self) {
    self.Callback(1).IgnoreError();
    seen = label;
  });
  d.Cancel();
  EXPECT_EQ(seen, label);
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(1)));
}

TEST(Deferred, TheLateResultOfACancelledOperationIsDroppedOnce) {
  Deferred<int> d;  // no canceller: the operation does not know it was cancelled
  d.Cancel();
  EXPECT_THAT(d.Callback(1), IsOk());
  EXPECT_THAT(d.Callback(2), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(Deferred, WithACancellerALateResultIsRefused) {
  Deferred<int> d([](Deferred<int>&) {});
  d.Cancel();
  EXPECT_THAT(d.Callback(1), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Deferred, CancellingAFiredDeferredDoesNothing) {
  int calls = 0;
  Deferred<int> d([&](Deferred<int>&) { ++calls; });
  d.Callback(5).IgnoreError();
  d.Cancel();
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(5)));
}

TEST(Deferred, CancellingTwiceCallsTheCancellerOnce) {
  int calls = 0;
  Deferred<int> d([&](Deferred<int>&) { ++calls; });
  d.Cancel();
  d.Cancel();
  EXPECT_EQ(calls, 1);
}

TEST(Deferred, CancellingADeferredThatWaitsCancelsTheOneItWaitsFor) {
  int inner_cancels = 0;
  Deferred<int> inner([&](Deferred<int>&) { ++inner_cancels; });
  Deferred<int> outer;
  auto end = outer.Then([&](int) { return inner; });
  outer.Callback(0).IgnoreError();
  outer.Cancel();
  EXPECT_EQ(inner_cancels, 1);
  EXPECT_THAT(ResultNow(end), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

// ----------------------------------------------------------------------------- unhandled errors

TEST(Deferred, DestroyingAnUnhandledErrorReportsIt) {
  UnhandledErrorCapture capture;
  { Deferred<int> d = Fail<int>(absl::InternalError("nobody looked")); }
  EXPECT_THAT(capture.errors(),
              ElementsAre(StatusIs(absl::StatusCode::kInternal, "nobody looked")));
}

TEST(Deferred, TheDefaultReportSaysUnhandledErrorInDeferred) {
  ::testing::internal::CaptureStderr();
  { Deferred<int> d = Fail<int>(absl::InternalError("lost")); }
  EXPECT_THAT(::testing::internal::GetCapturedStderr(),
              HasSubstr("Unhandled error in Deferred: INTERNAL: lost"));
}

TEST(Deferred, AnErrorAnErrbackConsumedIsNotReported) {
  UnhandledErrorCapture capture;
  {
    Deferred<int> d = Fail<int>(absl::InternalError("handled"));
    d.Catch([](absl::Status) { return 0; });
  }
  EXPECT_THAT(capture.errors(), IsEmpty());
}

TEST(Deferred, AnUnfiredDeferredReportsNothing) {
  UnhandledErrorCapture capture;
  { Deferred<int> d; }
  EXPECT_THAT(capture.errors(), IsEmpty());
}

TEST(Deferred, TheReportWaitsForTheLastHandle) {
  UnhandledErrorCapture capture;
  Deferred<int> kept;
  {
    Deferred<int> d = Fail<int>(absl::InternalError("still held"));
    kept = d;
  }
  EXPECT_THAT(capture.errors(), IsEmpty());
  kept = Succeed(0);
  EXPECT_THAT(capture.errors(), ElementsAre(StatusIs(absl::StatusCode::kInternal)));
}

// --------------------------------------------------------------------------------------- makers

TEST(Deferred, SucceedAndFailAreAlreadyFired) {
  EXPECT_THAT(ResultNow(Succeed(std::string("s"))), Optional(IsOkAndHolds("s")));
  EXPECT_THAT(ResultNow(Succeed()), Optional(IsOk()));
  EXPECT_THAT(ResultNow(Fail<int>(absl::AbortedError("f"))),
              Optional(StatusIs(absl::StatusCode::kAborted)));
}

TEST(Deferred, MaybeDeferredWrapsValuesErrorsAndDeferreds) {
  EXPECT_THAT(ResultNow(MaybeDeferred([] { return 1; })), Optional(IsOkAndHolds(1)));
  EXPECT_THAT(
      ResultNow(MaybeDeferred([]() -> absl::StatusOr<int> { return absl::NotFoundError("x"); })),
      Optional(StatusIs(absl::StatusCode::kNotFound)));
  Deferred<int> later;
  Deferred<int> wrapped = MaybeDeferred([&] { return later; });
  EXPECT_FALSE(HasResult(wrapped));
  later.Callback(3).IgnoreError();
  EXPECT_THAT(ResultNow(wrapped), Optional(IsOkAndHolds(3)));
}

// ------------------------------------------------------------------------------------- misuse

TEST(DeferredDeathTest, AddingThroughAStaleHandleStopsWithAMessage) {
  Deferred<int> d;
  d.Then([](int v) { return std::to_string(v); });
  EXPECT_DEATH(d.Then([](int) { return 0; }), "chain is at std::.*string");
}

TEST(DeferredDeathTest, ResultNowThroughAStaleHandleStopsWithAMessage) {
  Deferred<int> d = Succeed(1);
  d.Then([](int v) { return std::to_string(v); });
  EXPECT_DEATH(ResultNow(d), "chain is at std::.*string");
}

TEST(DeferredDeathTest, ATypedCallbackOnAResultHandedOnStopsWithAMessage) {
  Deferred<int> inner;
  Succeed(1).Then([&](int) { return inner; });
  EXPECT_DEATH(inner.Then([](int) { return 0; }), "chain is at void: its value has moved on");
}

TEST(DeferredDeathTest, ACallbackTakingNoValueOnAValuedChainStopsWithAMessage) {
  Deferred<int> d;
  EXPECT_DEATH(d.Then([] {}), "needs a chain at void, but the chain is at int");
}

}  // namespace
}  // namespace braid
