// FileIdentity: a worker reads an input from its own disk only if it is the planned file.

#include "job/file_identity.h"

#include "base/fake_env.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;

TEST(FileIdentity, TheSameFileIsTheSame) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\ntwo\n").ok());
  absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, "/in");
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->size(), 8u);
  EXPECT_EQ(identity->head_bytes(), 8u);
  EXPECT_TRUE(IsSameFile(env, "/in", *identity));
}

TEST(FileIdentity, TheHeadCoversTheFirstBytesOnly) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", std::string(3 * kIdentityHeadBytes, 'x')).ok());
  absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, "/in");
  ASSERT_THAT(identity, IsOk());
  EXPECT_EQ(identity->head_bytes(), kIdentityHeadBytes);
}

TEST(FileIdentity, AMissingFileIsNotTheSame) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\n").ok());
  absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, "/in");
  ASSERT_THAT(identity, IsOk());
  EXPECT_FALSE(IsSameFile(env, "/elsewhere", *identity));
  EXPECT_THAT(IdentifyFile(env, "/elsewhere"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(FileIdentity, AFileRewrittenWithTheSameSizeAndTimeIsNotTheSame) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\n").ok());
  absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, "/in");
  ASSERT_THAT(identity, IsOk());
  ASSERT_TRUE(env.WriteStringToFile("/in", "two\n").ok());  // the fake clock stood still
  EXPECT_FALSE(IsSameFile(env, "/in", *identity));
}

TEST(FileIdentity, AFileWithAnotherTimeIsNotTheSame) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\n").ok());
  absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, "/in");
  ASSERT_THAT(identity, IsOk());
  env.AdvanceNow(absl::Seconds(1));
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\n").ok());
  EXPECT_FALSE(IsSameFile(env, "/in", *identity));
}

TEST(FileIdentity, ADirectoryIsNotTheSame) {
  FakeEnv env;
  ASSERT_TRUE(env.CreateDirs("/d").ok());
  proto::FileIdentity identity;
  EXPECT_FALSE(IsSameFile(env, "/d", identity));
}

}  // namespace
}  // namespace braid
