// FakeEnv's own powers: failures on command, a full disk, a crash of the machine, a hand-set
// clock.

#include "base/fake_env.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FakeEnvTest, FailOnFailsMatchingCallsOnlyAndChangesNothing) {
  FakeEnv env;
  env.FailOn(FakeEnv::Op::kRename, "journal", absl::DataLossError("injected"));
  ASSERT_THAT(env.WriteStringToFile("/journal.new", "j"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/other", "o"), IsOk());
  EXPECT_THAT(env.RenameFile("/journal.new", "/journal"),
              StatusIs(absl::StatusCode::kDataLoss, "injected"));
  EXPECT_TRUE(env.Exists("/journal.new"));
  EXPECT_FALSE(env.Exists("/journal"));
  EXPECT_THAT(env.RenameFile("/other", "/other2"), IsOk());
}

TEST(FakeEnvTest, FailOnCountsDown) {
  FakeEnv env;
  env.FailOn(FakeEnv::Op::kStat, "", absl::UnavailableError("once"), /*times=*/1);
  ASSERT_THAT(env.WriteStringToFile("/f", ""), IsOk());
  EXPECT_THAT(env.Stat("/f").status(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(env.Stat("/f"), IsOk());
  EXPECT_EQ(env.calls(FakeEnv::Op::kStat), 2);
}

TEST(FakeEnvTest, AReadCanFailMidFile) {
  FakeEnv env;
  ASSERT_THAT(env.WriteStringToFile("/f", "abcdef"), IsOk());
  auto file = env.NewSequentialFile("/f", 0);
  ASSERT_THAT(file, IsOk());
  char buffer[3];
  ASSERT_THAT((*file)->Read(buffer, 3), IsOkAndHolds(3));
  env.FailOn(FakeEnv::Op::kRead, "/f", absl::DataLossError("EIO"), 1);
  EXPECT_THAT((*file)->Read(buffer, 3).status(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT((*file)->Read(buffer, 3), IsOkAndHolds(3));
}

TEST(FakeEnvTest, ClearFailuresEndsThem) {
  FakeEnv env;
  env.FailOn(FakeEnv::Op::kCreate, "", absl::PermissionDeniedError("no"));
  EXPECT_THAT(env.WriteStringToFile("/f", ""), StatusIs(absl::StatusCode::kPermissionDenied));
  env.ClearFailures();
  EXPECT_THAT(env.WriteStringToFile("/f", ""), IsOk());
}

TEST(FakeEnvTest, FailedSyncLeavesDataUnsynced) {
  FakeEnv env;
  env.FailOn(FakeEnv::Op::kSync, "", absl::InternalError("EIO"), 1);
  auto file = env.NewWritableFile("/f");
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append("data"), IsOk());
  EXPECT_THAT((*file)->Sync(), StatusIs(absl::StatusCode::kInternal));
  env.SimulateCrash();
  EXPECT_THAT(env.ReadFile("/f"), IsOkAndHolds(""));
}

TEST(FakeEnvTest, FullDiskWritesWhatFitsAndSaysResourceExhausted) {
  FakeEnv env;
  env.SetCapacity(10);
  auto file = env.NewWritableFile("/f");
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append("123456"), IsOk());
  EXPECT_THAT((*file)->Append("7890abc"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("/f")));
  EXPECT_EQ(env.used_bytes(), 10u);
  EXPECT_THAT(env.ReadFile("/f"), IsOkAndHolds("1234567890"));
  // Room made by truncating is room again.
  ASSERT_THAT((*file)->Truncate(6), IsOk());
  EXPECT_THAT((*file)->Append("7890"), IsOk());
}

TEST(FakeEnvTest, CrashLosesWhatWasNotSynced) {
  FakeEnv env;
  auto file = env.NewWritableFile("/f");
  ASSERT_THAT(file, IsOk());
  ASSERT_THAT((*file)->Append("durable "), IsOk());
  ASSERT_THAT((*file)->Sync(), IsOk());
  ASSERT_THAT((*file)->Append("lost"), IsOk());
  env.SimulateCrash();
  EXPECT_THAT(env.ReadFile("/f"), IsOkAndHolds("durable "));
}

TEST(FakeEnvTest, HandlesFromBeforeACrashAreDead) {
  FakeEnv env;
  auto file = env.NewWritableFile("/f");
  ASSERT_THAT(file, IsOk());
  auto lock = env.LockFile("/LOCK");
  ASSERT_THAT(lock, IsOk());
  env.SimulateCrash();
  EXPECT_THAT((*file)->Append("x"), StatusIs(absl::StatusCode::kAborted));
  // The crashed process's lock went with it.
  EXPECT_THAT(env.LockFile("/LOCK"), IsOk());
}

TEST(FakeEnvTest, NowIsSetByHand) {
  FakeEnv env;
  env.SetNow(absl::FromUnixSeconds(1000));
  env.AdvanceNow(absl::Seconds(5));
  EXPECT_EQ(env.Now(), absl::FromUnixSeconds(1005));
}

TEST(FakeEnvTest, TheMonotonicClockIgnoresWallClockJumps) {
  FakeEnv env;
  const absl::Duration start = env.Monotonic();
  env.SetNow(absl::FromUnixSeconds(5));  // back in time
  env.AdvanceNow(absl::Seconds(2));
  EXPECT_EQ(env.Monotonic() - start, absl::Seconds(2));
}

TEST(FakeEnvTest, RemoveAllOfTheRootEmptiesItAndAnEmptyPathIsRefused) {
  FakeEnv env;
  ASSERT_THAT(env.CreateDirs("/a/b"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/a/b/f", "f"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("rel", "r"), IsOk());
  EXPECT_THAT(env.RemoveAll(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(env.RemoveAll("/"), IsOk());
  EXPECT_FALSE(env.Exists("/a"));
  EXPECT_TRUE(env.Exists("/"));
  EXPECT_TRUE(env.Exists("rel"));
  EXPECT_THAT(env.RemoveAll("."), IsOk());
  EXPECT_FALSE(env.Exists("rel"));
}

TEST(FakeEnvTest, FileInPlaceOfADirectoryIsRefused) {
  FakeEnv env;
  ASSERT_THAT(env.WriteStringToFile("/f", ""), IsOk());
  EXPECT_THAT(env.CreateDirs("/f/sub"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace braid
