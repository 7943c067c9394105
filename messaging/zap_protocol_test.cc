#include "messaging/zap_protocol.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> CurveRequest(std::string key) {
  return {"1.0", "7", "braid", "127.0.0.1", "", "CURVE", std::move(key)};
}

TEST(ZapProtocolTest, CurveRequestYieldsTheClientKeyInZ85) {
  auto request = ParseZapRequest(CurveRequest(std::string(32, '\0')));
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->request_id, "7");
  EXPECT_EQ(request->domain, "braid");
  EXPECT_EQ(request->address, "127.0.0.1");
  EXPECT_EQ(request->mechanism, "CURVE");
  EXPECT_EQ(request->curve_key, std::string(40, '0'));  // Z85 of zeros
}

TEST(ZapProtocolTest, NullRequestHasNoKey) {
  auto request = ParseZapRequest({"1.0", "1", "", "::1", "", "NULL"});
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->curve_key, "");
}

TEST(ZapProtocolTest, MalformedRequestsAreRefusedSayingWhy) {
  EXPECT_THAT(ParseZapRequest({"1.0", "1"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 6 frames")));
  EXPECT_THAT(ParseZapRequest({"2.0", "1", "", "", "", "NULL"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version '2.0'")));
  EXPECT_THAT(ParseZapRequest(CurveRequest(std::string(31, 'k'))).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("32-byte")));
  EXPECT_THAT(ParseZapRequest({"1.0", "1", "", "", "", "CURVE"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one credential")));
  EXPECT_THAT(ParseZapRequest({"1.0", "1", "", "", "", "NULL", "x"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no credentials")));
  EXPECT_THAT(ParseZapRequest({"1.0", "1", "", "", "", "GSSAPI"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mechanism 'GSSAPI'")));
}

TEST(ZapProtocolTest, ReplyCodesFollowWhatTheDecisionSays) {
  EXPECT_THAT(ZapReply("7", std::string("KEY")), ElementsAre("1.0", "7", "200", "OK", "KEY", ""));
  EXPECT_THAT(ZapReply("7", absl::PermissionDeniedError("unknown key")),
              ElementsAre("1.0", "7", "400", "unknown key", "", ""));
  EXPECT_THAT(ZapReply("8", absl::UnavailableError("busy")),
              ElementsAre("1.0", "8", "300", "busy", "", ""));
  EXPECT_THAT(ZapReply("9", absl::InternalError("broken")),
              ElementsAre("1.0", "9", "500", "broken", "", ""));
}

}  // namespace
}  // namespace braid
