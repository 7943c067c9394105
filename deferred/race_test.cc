// Race: Twisted's race — first success wins, the rest are cancelled.

#include "deferred/race.h"

#include <string>
#include <vector>

#include "deferred/errors.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Race, TheFirstSuccessWinsWithItsIndex) {
  Deferred<std::string> a, b, c;
  auto race = Race<std::string>({a, b, c});
  a.Errback(absl::UnavailableError("a lost")).IgnoreError();
  EXPECT_FALSE(HasResult(race));
  b.Callback("b").IgnoreError();
  std::optional<Result<RaceWinner<std::string>>> got = ResultNow(race);
  ASSERT_TRUE(got.has_value());
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ((*got)->index, 1u);
  EXPECT_EQ((*got)->value, "b");
}

TEST(Race, EveryOtherInputIsCancelledExactlyOnce) {
  std::vector<int> cancels(3, 0);
  std::vector<Deferred<int>> inputs;
  for (int i = 0; i < 3; ++i) inputs.emplace_back([&cancels, i](Deferred<int>&) { ++cancels[i]; });
  auto race = Race<int>(inputs);
  inputs[2].Callback(7).IgnoreError();
  EXPECT_THAT(cancels, ElementsAre(1, 1, 0));
  race.Cancel();  // fired already: nothing more is cancelled
  EXPECT_THAT(cancels, ElementsAre(1, 1, 0));
}

TEST(Race, ResultsAfterTheWinnerAreSwallowed) {
  UnhandledErrorCapture capture;
  {
    // Inputs whose cancellers do not fire them deliver their results late.
    Deferred<int> a([](Deferred<int>&) {});
    Deferred<int> b([](Deferred<int>&) {});
    auto race = Race<int>({a, b});
    a.Callback(1).IgnoreError();
    EXPECT_THAT(b.Callback(2), StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_EQ(ResultNow(race)->value().index, 0u);
  }
  EXPECT_THAT(capture.errors(), ::testing::IsEmpty());
}

TEST(Race, AnAlreadyFiredInputWinsAndCancelsTheRest) {
  int cancels = 0;
  Deferred<int> later([&](Deferred<int>&) { ++cancels; });
  auto race = Race<int>({Succeed(5), later});
  EXPECT_EQ(cancels, 1);
  EXPECT_EQ(ResultNow(race)->value().value, 5);
}

TEST(Race, WhenAllFailItFailsWithEveryErrorInInputOrder) {
  Deferred<int> a, b;
  auto race = Race<int>({a, b});
  b.Errback(absl::InternalError("b broke")).IgnoreError();
  a.Errback(absl::UnavailableError("a down")).IgnoreError();
  std::optional<Result<RaceWinner<int>>> got = ResultNow(race);
  ASSERT_TRUE(got.has_value());
  EXPECT_THAT(*got, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("all 2 failed")));
  EXPECT_THAT(FailureGroupMembers(got->status()),
              ElementsAre(StatusIs(absl::StatusCode::kUnavailable, "a down"),
                          StatusIs(absl::StatusCode::kInternal, "b broke")));
}

TEST(Race, CancellingTheRaceCancelsEveryInput) {
  int cancels = 0;
  Deferred<void> a([&](Deferred<void>&) { ++cancels; });
  Deferred<void> b([&](Deferred<void>&) { ++cancels; });
  auto race = Race<void>({a, b});
  race.Cancel();
  EXPECT_EQ(cancels, 2);
  EXPECT_THAT(*ResultNow(race), StatusIs(absl::StatusCode::kCancelled));
}

TEST(Race, OfVoidDeferredsGivesTheWinnersIndex) {
  Deferred<void> a, b;
  auto race = Race<void>({a, b});
  b.Callback().IgnoreError();
  EXPECT_EQ(ResultNow(race)->value().index, 1u);
}

}  // namespace
}  // namespace braid
