// OutputCommitter: the output commit of one job, on a real temporary directory, and its failure
// paths on FakeEnv.

#include "coordinator/output_committer.h"

#include <filesystem>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/output_layout.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

proto::TaskAttempt Reduce(uint32_t task, uint32_t attempt) {
  proto::TaskAttempt a;
  a.set_job_id("job-1");
  a.set_kind(proto::TASK_KIND_REDUCE);
  a.set_task(task);
  a.set_attempt(attempt);
  return a;
}

// Writes what an attempt would, where the layout says it writes; returns its outputs.
google::protobuf::RepeatedPtrField<proto::MapOutput> WriteAttempt(const std::string& out,
                                                                  const proto::TaskAttempt& attempt,
                                                                  const std::string& contents) {
  const std::string path = AttemptOutputPath(out, attempt);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  WriteFile(path, contents);
  google::protobuf::RepeatedPtrField<proto::MapOutput> outputs;
  outputs.Add()->set_path(path);
  return outputs;
}

class OutputCommitterTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string out_ = dir_.File("out");
  OutputCommitter committer_{*Env::Default(), out_};
};

TEST_F(OutputCommitterTest, PrepareMakesTheTemporaryDirectory) {
  ASSERT_THAT(committer_.Prepare(/*overwrite=*/false, /*resumed=*/false), IsOk());
  EXPECT_TRUE(std::filesystem::is_directory(TemporaryOutputDir(out_)));
}

TEST_F(OutputCommitterTest, OverwriteClearsTheOldOutputButNotForAResumedJob) {
  std::filesystem::create_directories(out_);
  WriteFile(out_ + "/old", "x");
  ASSERT_THAT(committer_.Prepare(/*overwrite=*/true, /*resumed=*/true), IsOk());
  EXPECT_TRUE(std::filesystem::exists(out_ + "/old"));
  ASSERT_THAT(committer_.Prepare(/*overwrite=*/true, /*resumed=*/false), IsOk());
  EXPECT_FALSE(std::filesystem::exists(out_ + "/old"));
}

TEST_F(OutputCommitterTest, ACommittedAttemptsFileIsRenamedIntoPlace) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  proto::TaskAttempt attempt = Reduce(3, 2);
  ASSERT_THAT(committer_.CommitTask(attempt, WriteAttempt(out_, attempt, "a\t1\n")), IsOk());
  EXPECT_EQ(ReadFile(out_ + "/part-r-00003"), "a\t1\n");
  EXPECT_FALSE(std::filesystem::exists(AttemptOutputPath(out_, attempt)));
}

TEST_F(OutputCommitterTest, APathOutsideTheLayoutIsRefusedAndNothingMoves) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  proto::TaskAttempt attempt = Reduce(3, 2);
  auto outputs = WriteAttempt(out_, attempt, "x");
  WriteFile(dir_.File("elsewhere"), "y");
  outputs.Add()->set_path(dir_.File("elsewhere"));
  EXPECT_THAT(committer_.CommitTask(attempt, outputs),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not where the attempt")));
  EXPECT_FALSE(std::filesystem::exists(out_ + "/part-r-00003"));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("elsewhere")));
}

TEST_F(OutputCommitterTest, AFailedRenameIsTheFilesError) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  proto::TaskAttempt attempt = Reduce(0, 1);
  google::protobuf::RepeatedPtrField<proto::MapOutput> outputs;
  outputs.Add()->set_path(AttemptOutputPath(out_, attempt));  // never written
  EXPECT_THAT(committer_.CommitTask(attempt, outputs),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot rename")));
}

TEST_F(OutputCommitterTest, CommitJobRemovesTheTemporariesAndMarksSuccess) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  ASSERT_THAT(committer_.CommitJob("job_1"), IsOk());
  EXPECT_FALSE(std::filesystem::exists(TemporaryOutputDir(out_)));
  EXPECT_TRUE(std::filesystem::exists(SuccessMarkerPath(out_)));
}

TEST_F(OutputCommitterTest, TheSuccessMarkerNamesTheJobThatCommitted) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  EXPECT_FALSE(committer_.CommittedBy("job_1"));
  ASSERT_THAT(committer_.CommitJob("job_1"), IsOk());
  EXPECT_TRUE(committer_.CommittedBy("job_1"));
  EXPECT_FALSE(committer_.CommittedBy("job_12"));
  EXPECT_THAT(ReadFile(SuccessMarkerPath(out_)), HasSubstr("\"job\": \"job_1\""));
  EXPECT_EQ(committer_.CommittedJob(), "job_1");
}

TEST_F(OutputCommitterTest, ASuccessMarkerOfAnotherToolNamesNoJob) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  EXPECT_EQ(committer_.CommittedJob(), std::nullopt);
  WriteFile(SuccessMarkerPath(out_), "");
  EXPECT_EQ(committer_.CommittedJob(), "");
}

TEST_F(OutputCommitterTest, ABagJobsLinesAreWrittenInTaskOrder) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  std::vector<std::string> first = {"a", "b"};
  std::vector<std::string> third = {"c"};
  ASSERT_THAT(committer_.WriteBagOutput({&first, nullptr, &third}), IsOk());
  EXPECT_EQ(ReadFile(out_ + "/part-m-00000"), "a\nb\nc\n");
}

TEST_F(OutputCommitterTest, AbortLeavesNothingBehind) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  EXPECT_THAT(committer_.Abort(), IsOk());
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST(OutputCommitter, AJobWithoutOutputCommitsNothing) {
  FakeEnv env;
  OutputCommitter none(env, "");
  EXPECT_THAT(none.Prepare(true, false), IsOk());
  EXPECT_THAT(none.CommitJob("job_1"), IsOk());
  EXPECT_THAT(none.Abort(), IsOk());
  EXPECT_EQ(env.calls(FakeEnv::Op::kCreateDirs) + env.calls(FakeEnv::Op::kRemove), 0);
}

class OutputCommitterFailureTest : public ::testing::Test {
 protected:
  // An attempt's part file, written where the layout says.
  google::protobuf::RepeatedPtrField<proto::MapOutput> Written(const proto::TaskAttempt& attempt) {
    const std::string path = AttemptOutputPath("/out", attempt);
    EXPECT_THAT(env_.CreateDirs(DirName(path)), IsOk());
    EXPECT_THAT(env_.WriteStringToFile(path, "part"), IsOk());
    google::protobuf::RepeatedPtrField<proto::MapOutput> outputs;
    outputs.Add()->set_path(path);
    return outputs;
  }

  FakeEnv env_;
  OutputCommitter committer_{env_, "/out"};
};

TEST_F(OutputCommitterFailureTest, AFailedRenameAtCommitIsReportedAndTheAttemptStaysPut) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  auto outputs = Written(Reduce(0, 1));
  env_.FailOn(FakeEnv::Op::kRename, "part", absl::PermissionDeniedError("EACCES"));
  EXPECT_THAT(committer_.CommitTask(Reduce(0, 1), outputs),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(env_.Exists(outputs[0].path()));
  EXPECT_FALSE(env_.Exists(CommittedOutputPath("/out", proto::TASK_KIND_REDUCE, 0)));
}

TEST_F(OutputCommitterFailureTest, AFullDiskAtTheSuccessMarkerFailsTheCommit) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  env_.FailOn(FakeEnv::Op::kCreate, "_SUCCESS", absl::ResourceExhaustedError("ENOSPC"));
  EXPECT_THAT(committer_.CommitJob("job_1"), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(OutputCommitterFailureTest, ATemporaryDirectoryThatCannotBeRemovedDoesNotFailTheCommit) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  env_.FailOn(FakeEnv::Op::kRemove, "_temporary", absl::PermissionDeniedError("EACCES"));
  EXPECT_THAT(committer_.CommitJob("job_1"), IsOk());
  EXPECT_TRUE(env_.Exists(SuccessMarkerPath("/out")));
}

TEST_F(OutputCommitterFailureTest, AnOutputThatCannotBeMadeFailsPrepare) {
  env_.FailOn(FakeEnv::Op::kCreateDirs, "/out", absl::PermissionDeniedError("EACCES"));
  EXPECT_THAT(committer_.Prepare(false, false), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(OutputCommitterFailureTest, AFailedRemovalAtAbortIsReported) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  env_.FailOn(FakeEnv::Op::kRemove, "/out", absl::PermissionDeniedError("EACCES"));
  EXPECT_THAT(committer_.Abort(), StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace braid
