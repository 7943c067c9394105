// DeferredList and GatherResults, with Twisted's options.

#include "deferred/deferred_list.h"

#include <string>
#include <tuple>
#include <vector>

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
using ::testing::IsEmpty;
using ::testing::Optional;

// Takes the list's result, which must be there.
template <typename T>
DeferredListResult<T> ListNow(const Deferred<DeferredListResult<T>>& list) {
  std::optional<Result<DeferredListResult<T>>> result = ResultNow(list);
  EXPECT_TRUE(result.has_value());
  EXPECT_THAT(*result, IsOk());
  return *std::move(*result);
}

TEST(DeferredList, FiresWhenEveryInputHasWithResultsInInputOrder) {
  Deferred<int> a, b, c;
  auto list = DeferredList<int>({a, b, c}, {.consume_errors = true});
  c.Callback(3).IgnoreError();
  a.Errback(absl::NotFoundError("a")).IgnoreError();
  EXPECT_FALSE(HasResult(list));
  b.Callback(2).IgnoreError();
  DeferredListResult<int> got = ListNow(list);
  EXPECT_THAT(got.results,
              ElementsAre(StatusIs(absl::StatusCode::kNotFound), IsOkAndHolds(2), IsOkAndHolds(3)));
  EXPECT_EQ(got.first_success, std::nullopt);
}

TEST(DeferredList, AnEmptyListFiresAtOnce) {
  EXPECT_THAT(ListNow(DeferredList<int>({})).results, IsEmpty());
}

TEST(DeferredList, AnEmptyListNeverFiresUnderFireOnOneCallback) {
  EXPECT_FALSE(HasResult(DeferredList<int>({}, {.fire_on_one_callback = true})));
}

TEST(DeferredList, AlreadyFiredInputsCount) {
  auto list = DeferredList<int>({Succeed(1), Succeed(2)});
  EXPECT_THAT(ListNow(list).results, ElementsAre(IsOkAndHolds(1), IsOkAndHolds(2)));
}

TEST(DeferredList, FireOnOneCallbackFiresWithTheFirstSuccessAndItsIndex) {
  Deferred<std::string> a, b, c;
  auto list =
      DeferredList<std::string>({a, b, c}, {.fire_on_one_callback = true, .consume_errors = true});
  a.Errback(absl::InternalError("a failed")).IgnoreError();
  EXPECT_FALSE(HasResult(list));
  c.Callback("c won").IgnoreError();
  DeferredListResult<std::string> got = ListNow(list);
  ASSERT_EQ(got.first_success, 2u);
  EXPECT_THAT(got.results[2], IsOkAndHolds("c won"));
  EXPECT_THAT(got.results[1], StatusIs(absl::StatusCode::kUnavailable));
  b.Callback("late").IgnoreError();  // swallowed
}

TEST(DeferredList, FireOnOneCallbackWithNoSuccessFiresWithEveryResult) {
  Deferred<int> a, b;
  auto list = DeferredList<int>({a, b}, {.fire_on_one_callback = true, .consume_errors = true});
  a.Errback(absl::InternalError("a")).IgnoreError();
  b.Errback(absl::InternalError("b")).IgnoreError();
  DeferredListResult<int> got = ListNow(list);
  EXPECT_EQ(got.first_success, std::nullopt);
  EXPECT_EQ(got.results.size(), 2u);
}

TEST(DeferredList, FireOnOneErrbackFailsWithAFirstErrorCarryingTheIndex) {
  Deferred<int> a, b;
  auto list = DeferredList<int>({a, b}, {.fire_on_one_errback = true, .consume_errors = true});
  b.Errback(absl::DataLossError("b is torn")).IgnoreError();
  std::optional<Result<DeferredListResult<int>>> got = ResultNow(list);
  ASSERT_TRUE(got.has_value());
  EXPECT_THAT(*got, StatusIs(absl::StatusCode::kDataLoss, "FirstError at index 1: b is torn"));
  EXPECT_EQ(FirstErrorIndex(got->status()), 1u);
  a.Callback(1).IgnoreError();
}

TEST(DeferredList, AFirstErrorsCauseIsTheInputsOwnError) {
  const absl::Status cause = FirstErrorCause(FirstError(absl::DataLossError("b is torn"), 1));
  EXPECT_EQ(cause, absl::DataLossError("b is torn"));
  EXPECT_EQ(FirstErrorIndex(cause), std::nullopt);
  EXPECT_EQ(FirstErrorCause(absl::InternalError("plain")), absl::InternalError("plain"));
}

TEST(DeferredList, WithoutConsumeErrorsTheInputsKeepTheirErrors) {
  UnhandledErrorCapture capture;
  {
    Deferred<int> a;
    auto list = DeferredList<int>({a});
    a.Errback(absl::InternalError("kept")).IgnoreError();
    EXPECT_THAT(ListNow(list).results, ElementsAre(StatusIs(absl::StatusCode::kInternal)));
  }
  EXPECT_THAT(capture.errors(), ElementsAre(StatusIs(absl::StatusCode::kInternal, "kept")));
}

TEST(DeferredList, ConsumeErrorsStopsTheErrorsAtTheList) {
  UnhandledErrorCapture capture;
  {
    Deferred<int> a;
    auto list = DeferredList<int>({a}, {.consume_errors = true});
    a.Errback(absl::InternalError("consumed")).IgnoreError();
    ListNow(list);
  }
  EXPECT_THAT(capture.errors(), IsEmpty());
}

TEST(DeferredList, CallbacksAddedToAnInputAfterwardsRunWithNoValue) {
  Deferred<int> a;
  Deferred<int> b;
  Deferred<DeferredListResult<int>> list = DeferredList<int>({a, b});
  std::vector<std::string> steps;
  a.Then([&] { steps.push_back("a, after the list took its value"); });
  b.Both([&](absl::Status s) { steps.push_back(s.ok() ? "b ok" : "b failed"); });
  a.Callback(1).IgnoreError();
  b.Callback(2).IgnoreError();
  EXPECT_THAT(steps, ElementsAre("a, after the list took its value", "b ok"));
  ASSERT_TRUE(HasResult(list));
}

TEST(DeferredList, AnInputsKeptErrorReachesItsLaterErrbacks) {
  Deferred<int> a;
  Deferred<DeferredListResult<int>> list = DeferredList<int>({a});
  absl::Status seen;
  a.Catch([&](absl::Status e) { seen = e; });
  a.Errback(absl::AbortedError("stop")).IgnoreError();
  EXPECT_THAT(seen, StatusIs(absl::StatusCode::kAborted));
  EXPECT_TRUE(HasResult(list));
}

TEST(DeferredList, AnInputsConsumedErrorIsNoErrorForItsLaterCallbacks) {
  Deferred<int> a;
  Deferred<DeferredListResult<int>> list = DeferredList<int>({a}, {.consume_errors = true});
  bool callback_ran = false;
  a.Then([&] { callback_ran = true; });
  a.Errback(absl::AbortedError("stop")).IgnoreError();
  EXPECT_TRUE(callback_ran);
  EXPECT_TRUE(HasResult(list));
}

TEST(GatherResults, InputsStayUsableAfterwards) {
  Deferred<std::string> a;
  auto gathered = GatherResults(std::vector<Deferred<std::string>>{a});
  bool ran = false;
  a.Then([&] { ran = true; });
  a.Callback("v").IgnoreError();
  EXPECT_TRUE(ran);
  EXPECT_THAT(ResultNow(gathered), Optional(IsOkAndHolds(ElementsAre("v"))));
}

TEST(DeferredList, CancellingTheListCancelsThePendingInputs) {
  int cancels = 0;
  Deferred<int> a([&](Deferred<int>&) { ++cancels; });
  Deferred<int> b = Succeed(1);
  Deferred<int> c([&](Deferred<int>&) { ++cancels; });
  auto list = DeferredList<int>({a, b, c}, {.consume_errors = true});
  list.Cancel();
  EXPECT_EQ(cancels, 2);
  EXPECT_THAT(ListNow(list).results,
              ElementsAre(StatusIs(absl::StatusCode::kCancelled), IsOkAndHolds(1),
                          StatusIs(absl::StatusCode::kCancelled)));
}

TEST(DeferredList, OutlivesItsInputsAndTheyOutliveIt) {
  Deferred<DeferredListResult<int>> list;
  {
    Deferred<int> a;
    list = DeferredList<int>({a});
  }  // `a` is gone unfired: the list simply never fires
  EXPECT_FALSE(HasResult(list));
  Deferred<int> b;
  { DeferredList<int>({b}); }  // the list is gone; firing b is still fine
  EXPECT_THAT(b.Callback(1), IsOk());
}

TEST(GatherResults, GivesTheValuesInOrder) {
  Deferred<int> a, b;
  auto all = GatherResults<int>({a, b});
  b.Callback(2).IgnoreError();
  a.Callback(1).IgnoreError();
  EXPECT_THAT(ResultNow(all), Optional(IsOkAndHolds(ElementsAre(1, 2))));
}

TEST(GatherResults, TheFirstErrorWins) {
  Deferred<int> a, b, c;
  auto all = GatherResults<int>({a, b, c}, /*consume_errors=*/true);
  c.Errback(absl::UnavailableError("c down")).IgnoreError();
  b.Errback(absl::InternalError("b broken")).IgnoreError();
  std::optional<Result<std::vector<int>>> got = ResultNow(all);
  ASSERT_TRUE(got.has_value());
  EXPECT_THAT(*got, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(FirstErrorIndex(got->status()), 2u);
}

TEST(GatherResults, OfVoidDeferredsIsAVoidDeferred) {
  Deferred<void> a, b;
  Deferred<void> all = GatherResults<void>({a, b});
  a.Callback().IgnoreError();
  EXPECT_FALSE(HasResult(all));
  b.Callback().IgnoreError();
  EXPECT_THAT(ResultNow(all), Optional(IsOk()));
}

TEST(GatherResults, OfDifferentTypesGivesATuple) {
  Deferred<int> a;
  Deferred<std::string> b;
  Deferred<std::tuple<int, std::string>> both = GatherResults(a, b);
  b.Callback("two").IgnoreError();
  a.Callback(1).IgnoreError();
  EXPECT_THAT(ResultNow(both), Optional(IsOkAndHolds(std::make_tuple(1, std::string("two")))));
}

TEST(GatherResults, OfDifferentTypesFailsWithTheFirstError) {
  Deferred<int> a;
  Deferred<std::string> b;
  auto both = GatherResults(a, b);
  b.Errback(absl::AbortedError("b")).IgnoreError();
  std::optional<Result<std::tuple<int, std::string>>> got = ResultNow(both);
  ASSERT_TRUE(got.has_value());
  EXPECT_THAT(*got, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(FirstErrorIndex(got->status()), 1u);
  a.Callback(1).IgnoreError();
}

TEST(GatherResults, OfDifferentTypesLeavesNoErrorUnhandled) {
  UnhandledErrorCapture capture;
  {
    Deferred<int> a;
    Deferred<std::string> b;
    auto both = GatherResults(a, b);
    b.Errback(absl::AbortedError("b")).IgnoreError();
    both.Catch([](absl::Status) { return std::make_tuple(0, std::string()); });
    a.Callback(1).IgnoreError();
  }
  EXPECT_THAT(capture.errors(), IsEmpty());
}

TEST(DeferredListDeathTest, TheSameDeferredTwiceStopsWithAMessage) {
  Deferred<int> d;
  EXPECT_DEATH(DeferredList<int>({d, d}), "given twice");
}

}  // namespace
}  // namespace braid
