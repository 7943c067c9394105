// Error codes on the wire.

#include "proto/status_coding.h"

#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StatusCoding, EveryCanonicalCodeSurvivesTheRoundTrip) {
  for (int code = 1; code <= 16; ++code) {
    const auto canonical = static_cast<absl::StatusCode>(code);
    EXPECT_THAT(StatusFromWire(StatusCodeToWire(canonical), "why"), StatusIs(canonical, "why"));
  }
}

TEST(StatusCoding, ZeroIsOk) { EXPECT_THAT(StatusFromWire(0, "ignored"), IsOk()); }

TEST(StatusCoding, ACodeOutsideTheCanonicalOnesBecomesUnknownAndIsNamed) {
  EXPECT_THAT(StatusFromWire(999, "odd"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("unknown status code 999")));
  EXPECT_THAT(StatusFromWire(-3, "odd"), StatusIs(absl::StatusCode::kUnknown, HasSubstr("-3")));
}

TEST(StatusCoding, AnErrorWithTheOkCodeIsStillAnError) {
  EXPECT_THAT(ErrorFromWire(0, "refused"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("refused")));
  EXPECT_THAT(ErrorFromWire(7, "no"), StatusIs(absl::StatusCode::kPermissionDenied, "no"));
}

}  // namespace
}  // namespace braid
