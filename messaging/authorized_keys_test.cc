#include "messaging/authorized_keys.h"

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kWorkerKey[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr char kClientKey[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
constexpr char kAdminKey[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

TEST(AuthorizedKeysTest, EachListedKeyHasItsRoleAndComment) {
  auto keys = AuthorizedKeys::Parse(
      absl::StrCat("# the fleet\n\n", "worker ", kWorkerKey, "  rack 3, node 12\n", "  client\t",
                   kClientKey, "\n", "admin ", kAdminKey, " operations\n"),
      "keys");
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->size(), 3u);
  ASSERT_NE(keys->Find(kWorkerKey), nullptr);
  EXPECT_EQ(keys->Find(kWorkerKey)->role, KeyRole::kWorker);
  EXPECT_EQ(keys->Find(kWorkerKey)->comment, "rack 3, node 12");
  ASSERT_NE(keys->Find(kClientKey), nullptr);
  EXPECT_EQ(keys->Find(kClientKey)->role, KeyRole::kClient);
  EXPECT_EQ(keys->Find(kClientKey)->comment, "");
  EXPECT_EQ(keys->Find(kAdminKey)->role, KeyRole::kAdmin);
  EXPECT_THAT(keys->Describe(kAdminKey), HasSubstr("(operations)"));
}

TEST(AuthorizedKeysTest, ColumnsMayBeAlignedWithSpaces) {
  auto keys = AuthorizedKeys::Parse(
      absl::StrCat("worker  ", kWorkerKey, "    node 1,  rack 3\n", "admin\t\t", kAdminKey, "\n"),
      "keys");
  ASSERT_THAT(keys, IsOk());
  ASSERT_NE(keys->Find(kWorkerKey), nullptr);
  EXPECT_EQ(keys->Find(kWorkerKey)->comment, "node 1,  rack 3");
  ASSERT_NE(keys->Find(kAdminKey), nullptr);
  EXPECT_EQ(keys->Find(kAdminKey)->comment, "");
}

TEST(AuthorizedKeysTest, AFileOthersMayWriteIsRefused) {
  FakeEnv env;
  ASSERT_THAT(env.CreateDirs("/etc/braid"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/etc/braid/keys", absl::StrCat("worker ", kWorkerKey, "\n")),
              IsOk());
  EXPECT_THAT(AuthorizedKeys::Read(env, "/etc/braid/keys"), IsOk());
  ASSERT_THAT(env.SetPermissions("/etc/braid/keys", 0666), IsOk());
  EXPECT_THAT(AuthorizedKeys::Read(env, "/etc/braid/keys").status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("chmod go-w")));
}

TEST(AuthorizedKeysTest, UnlistedKeysAreNotFound) {
  auto keys = AuthorizedKeys::Parse(absl::StrCat("worker ", kWorkerKey, "\n"), "keys");
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->Find(kClientKey), nullptr);
  EXPECT_EQ(keys->Find(""), nullptr);
}

TEST(AuthorizedKeysTest, MalformedLinesAreRefusedWithTheirNumber) {
  EXPECT_THAT(
      AuthorizedKeys::Parse(absl::StrCat("\nroot ", kWorkerKey, "\n"), "keys").status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("keys:2: unknown role 'root' (expected worker, client or admin)")));
  EXPECT_THAT(AuthorizedKeys::Parse("worker short-key\n", "keys").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys:1: 'short-key' is not a CURVE public key")));
  EXPECT_THAT(AuthorizedKeys::Parse("worker\n", "keys").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys:1: expected")));
  EXPECT_THAT(AuthorizedKeys::Parse(
                  absl::StrCat("worker ", kWorkerKey, "\nadmin ", kWorkerKey, "\n"), "keys")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keys:2: key")));
}

TEST(AuthorizedKeysTest, ReadNamesAMissingFile) {
  FakeEnv env;
  EXPECT_THAT(AuthorizedKeys::Read(env, "/etc/braid/keys").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/etc/braid/keys")));
}

}  // namespace
}  // namespace braid
