#include "third_party/absl_compat/status_macros.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status FailIf(bool fail) {
  return fail ? absl::NotFoundError("no such thing") : absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> MakeIf(bool fail) {
  if (fail) return absl::InvalidArgumentError("bad");
  return std::make_unique<int>(7);
}

absl::Status UsesReturnIfError(bool fail, int* reached) {
  RETURN_IF_ERROR(FailIf(fail));
  RETURN_IF_ERROR(MakeIf(false));
  ++*reached;
  return absl::OkStatus();
}

absl::StatusOr<int> UsesAssignOrReturn(bool fail) {
  ASSIGN_OR_RETURN(std::unique_ptr<int> value, MakeIf(fail));
  int doubled;
  ASSIGN_OR_RETURN(doubled, absl::StatusOr<int>(*value * 2));
  return doubled;
}

TEST(StatusMacros, ReturnIfErrorReturnsTheErrorAndStopsThere) {
  int reached = 0;
  EXPECT_THAT(UsesReturnIfError(true, &reached), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(reached, 0);
}

TEST(StatusMacros, ReturnIfErrorGoesOnWhenOk) {
  int reached = 0;
  EXPECT_THAT(UsesReturnIfError(false, &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacros, AssignOrReturnDeclaresAndAssignsMoveOnlyValues) {
  EXPECT_THAT(UsesAssignOrReturn(false), IsOkAndHolds(14));
}

TEST(StatusMacros, AssignOrReturnReturnsTheError) {
  EXPECT_THAT(UsesAssignOrReturn(true), StatusIs(absl::StatusCode::kInvalidArgument, "bad"));
}

TEST(StatusMatchers, StatusIsChecksCodeAndMessage) {
  absl::Status error = absl::NotFoundError("no such job: wordcont");
  EXPECT_THAT(error, StatusIs(absl::StatusCode::kNotFound, HasSubstr("wordcont")));
  EXPECT_THAT(error, Not(StatusIs(absl::StatusCode::kNotFound, HasSubstr("grep"))));
  EXPECT_THAT(error, Not(StatusIs(absl::StatusCode::kInternal)));
  EXPECT_THAT(error, Not(IsOk()));
}

}  // namespace
