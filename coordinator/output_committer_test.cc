// OutputCommitter: the output commit of one job, on a real temporary directory.

#include "coordinator/output_committer.h"

#include <filesystem>
#include <string>
#include <vector>

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
  OutputCommitter committer_{out_};
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
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot commit")));
}

TEST_F(OutputCommitterTest, CommitJobRemovesTheTemporariesAndMarksSuccess) {
  ASSERT_THAT(committer_.Prepare(false, false), IsOk());
  ASSERT_THAT(committer_.CommitJob(), IsOk());
  EXPECT_FALSE(std::filesystem::exists(TemporaryOutputDir(out_)));
  EXPECT_TRUE(std::filesystem::exists(SuccessMarkerPath(out_)));
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
  committer_.Abort();
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST(OutputCommitter, AJobWithoutOutputCommitsNothing) {
  OutputCommitter none("");
  EXPECT_THAT(none.Prepare(true, false), IsOk());
  EXPECT_THAT(none.CommitJob(), IsOk());
  none.Abort();
}

}  // namespace
}  // namespace braid
