#include "coordinator/access_control.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kWorker[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr char kAlice[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
constexpr char kAdmin[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
constexpr char kStranger[] = "0000000000000000000000000000000000000000";

AuthorizedKeys Keys() {
  auto keys = AuthorizedKeys::Parse(absl::StrCat("worker ", kWorker, " node\nclient ", kAlice,
                                                 " alice\nadmin ", kAdmin, " ops\n"),
                                    "keys");
  EXPECT_THAT(keys, IsOk());
  return keys.ok() ? *std::move(keys) : AuthorizedKeys();
}

TEST(AccessControlTest, AdmitsListedKeysAndCountsTheRest) {
  AccessControl access(Keys());
  EXPECT_THAT(access.Admit(kWorker), IsOk());
  EXPECT_THAT(access.Admit(kAlice), IsOk());
  EXPECT_THAT(access.Admit(kStranger), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(access.Admit(kStranger), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(access.refused(), 2u);
}

TEST(AccessControlTest, EachRoleIntroducesItselfAsWhatItIs) {
  AccessControl access(Keys());
  EXPECT_THAT(access.MayIntroduce(kWorker, /*worker=*/true), IsOk());
  EXPECT_THAT(access.MayIntroduce(kAlice, /*worker=*/false), IsOk());
  EXPECT_THAT(access.MayIntroduce(kAdmin, /*worker=*/false), IsOk());
  EXPECT_THAT(access.MayIntroduce(kWorker, /*worker=*/false),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(node) is a worker key")));
  EXPECT_THAT(access.MayIntroduce(kAlice, /*worker=*/true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is a client key")));
  EXPECT_THAT(access.MayIntroduce(kAdmin, /*worker=*/true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("is an admin key")));
  EXPECT_THAT(access.MayIntroduce(kStranger, /*worker=*/false),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not in")));
}

TEST(AccessControlTest, OwnerOrAdminMayCancel) {
  AccessControl access(Keys());
  EXPECT_THAT(access.MayCancel(kAlice, kAlice), IsOk());
  EXPECT_THAT(access.MayCancel(kAdmin, kAlice), IsOk());
  EXPECT_THAT(access.MayCancel(kAdmin, ""), IsOk());
  EXPECT_THAT(access.MayCancel(kWorker, kWorker), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(access.MayCancel(kAlice, kAdmin),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(ops)")));
  EXPECT_THAT(access.MayCancel(kAlice, ""),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("without a key")));
}

TEST(AccessControlTest, ReplacedListDecidesFromThenOn) {
  AccessControl access(Keys());
  auto fewer = AuthorizedKeys::Parse(absl::StrCat("admin ", kAdmin, "\n"), "keys");
  ASSERT_THAT(fewer, IsOk());
  access.Replace(*std::move(fewer));
  EXPECT_THAT(access.Admit(kAlice), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(access.Admit(kAdmin), IsOk());
}

}  // namespace
}  // namespace braid
