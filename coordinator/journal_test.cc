#include "coordinator/journal.h"

#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDir[] = "/state";
constexpr char kPath[] = "/state/journal";

proto::JournalRecord Ended(const std::string& job) {
  proto::JournalRecord record;
  record.set_job_id(job);
  record.mutable_job_ended()->set_state(proto::JOB_STATE_SUCCEEDED);
  return record;
}

std::vector<std::string> JobsIn(const Journal::Contents& contents) {
  std::vector<std::string> jobs;
  for (const proto::JournalRecord& record : contents.records) jobs.push_back(record.job_id());
  return jobs;
}

class JournalTest : public ::testing::Test {
 protected:
  // Opens the journal, appends a record per job and syncs.
  void Write(const std::vector<std::string>& jobs) {
    Journal::Contents contents;
    absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
    ASSERT_THAT(journal, IsOk());
    for (const std::string& job : jobs) ASSERT_THAT((*journal)->Append(Ended(job)), IsOk());
    ASSERT_THAT((*journal)->Sync(), IsOk());
  }
  void AppendBytes(const std::string& bytes) {
    auto file = env_.NewAppendableFile(kPath);
    ASSERT_THAT(file, IsOk());
    ASSERT_THAT((*file)->Append(bytes), IsOk());
    ASSERT_THAT((*file)->Sync(), IsOk());
  }
  std::vector<std::string> JobsOnDisk() {
    absl::StatusOr<Journal::Contents> read = ReadJournal(env_, kPath);
    EXPECT_THAT(read, IsOk());
    return read.ok() ? JobsIn(*read) : std::vector<std::string>{};
  }
  uint64_t FileSize() { return env_.Stat(kPath).value().size; }

  FakeEnv env_;
};

TEST_F(JournalTest, RecordsComeBackInOrderAndEachOpenIsANewEpoch) {
  Write({"a", "b"});
  Write({"c"});
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_THAT(JobsIn(contents), ElementsAre("a", "b", "c"));
  EXPECT_EQ(contents.cut_bytes, 0u);
  EXPECT_EQ((*journal)->epoch(), 3u);
  EXPECT_FALSE((*journal)->cluster_id().empty());
  EXPECT_EQ(contents.header.cluster_id(), (*journal)->cluster_id());
}

TEST_F(JournalTest, ClusterIdIsTheEnvsWallClockAtFirstOpen) {
  env_.SetNow(absl::FromCivil(absl::CivilSecond(2026, 3, 4, 5, 6, 7), absl::UTCTimeZone()));
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_EQ((*journal)->cluster_id(), "20260304050607");
}

TEST_F(JournalTest, ATornTailIsCutAndNeverTrusted) {
  Write({"a", "b"});
  const uint64_t whole = FileSize();
  // A record cut short by a crash mid-write.
  const std::string frame = EncodeJournalFrame(Ended("torn"));
  AppendBytes(frame.substr(0, frame.size() - 3));
  Journal::Contents contents;
  ASSERT_THAT(Journal::Open(env_, kDir, &contents), IsOk());
  EXPECT_THAT(JobsIn(contents), ElementsAre("a", "b"));
  EXPECT_EQ(contents.cut_bytes, frame.size() - 3);
  // The next start finds a clean journal (rewritten with the new epoch).
  Journal::Contents again;
  ASSERT_THAT(Journal::Open(env_, kDir, &again), IsOk());
  EXPECT_EQ(again.cut_bytes, 0u);
  EXPECT_THAT(JobsIn(again), ElementsAre("a", "b"));
  EXPECT_EQ(FileSize(), whole);
}

TEST_F(JournalTest, ARecordFailingItsChecksumEndsTheJournalThere) {
  Write({"a"});
  std::string damaged = EncodeJournalFrame(Ended("damaged"));
  damaged.back() ^= 0x20;
  AppendBytes(damaged + EncodeJournalFrame(Ended("after")));
  absl::StatusOr<Journal::Contents> read = ReadJournal(env_, kPath);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(JobsIn(*read), ElementsAre("a"));
  EXPECT_GT(read->cut_bytes, 0u);
}

TEST_F(JournalTest, AFormatOneJournalIsReadUpgradedAndRewrittenInThisFormat) {
  proto::JournalHeader header;
  header.set_format_version(1);
  header.set_cluster_id("old");
  header.set_epoch(1);
  proto::JournalRecord record;
  record.set_job_id("job_old_0001");
  proto::TaskCommitted* old = record.mutable_task_committed();
  old->set_kind(proto::TASK_KIND_REDUCE);
  old->set_task(3);
  old->set_attempt(2);
  old->set_worker("w1");
  old->add_outputs()->set_path("/out/part-r-00003");
  old->add_skipped_records(17);
  ASSERT_THAT(env_.CreateDirs(kDir), IsOk());
  ASSERT_THAT(
      env_.WriteStringToFile(kPath, EncodeJournalFrame(header) + EncodeJournalFrame(record)),
      IsOk());
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  ASSERT_EQ(contents.records.size(), 1u);
  const proto::TaskCommitted& upgraded = contents.records[0].task_committed();
  EXPECT_EQ(upgraded.result().attempt().job_id(), "job_old_0001");
  EXPECT_EQ(upgraded.result().attempt().kind(), proto::TASK_KIND_REDUCE);
  EXPECT_EQ(upgraded.result().attempt().task(), 3u);
  EXPECT_EQ(upgraded.result().attempt().attempt(), 2u);
  EXPECT_EQ(upgraded.result().worker(), "w1");
  EXPECT_EQ(upgraded.result().outputs(0).path(), "/out/part-r-00003");
  EXPECT_EQ(upgraded.result().skipped_records(0), 17u);
  EXPECT_EQ(upgraded.outputs_size(), 0);
  EXPECT_EQ((*journal)->cluster_id(), "old");
  absl::StatusOr<Journal::Contents> reread = ReadJournal(env_, kPath);
  ASSERT_THAT(reread, IsOk());
  EXPECT_EQ(reread->header.format_version(), Journal::kFormatVersion);
}

TEST_F(JournalTest, AJournalOfANewerFormatIsRefusedNamingBothVersions) {
  proto::JournalHeader header;
  header.set_format_version(Journal::kFormatVersion + 1);
  header.set_cluster_id("future");
  header.set_epoch(7);
  ASSERT_THAT(env_.CreateDirs(kDir), IsOk());
  ASSERT_THAT(env_.WriteStringToFile(kPath, EncodeJournalFrame(header)), IsOk());
  Journal::Contents contents;
  EXPECT_THAT(Journal::Open(env_, kDir, &contents),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("format 3, newer than this coordinator's 2")));
  // Refused, not replaced.
  EXPECT_EQ(env_.ReadFile(kPath).value(), EncodeJournalFrame(header));
}

TEST_F(JournalTest, AFileThatIsNotAJournalIsRefused) {
  ASSERT_THAT(env_.CreateDirs(kDir), IsOk());
  ASSERT_THAT(env_.WriteStringToFile(kPath, "these are not the records you are looking for\n"),
              IsOk());
  Journal::Contents contents;
  EXPECT_THAT(Journal::Open(env_, kDir, &contents),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no readable header")));
}

TEST_F(JournalTest, AJournalThatCannotBeStatedIsRefusedNotReplaced) {
  Write({"a"});
  env_.FailOn(FakeEnv::Op::kStat, "journal", absl::PermissionDeniedError("EACCES"));
  Journal::Contents contents;
  EXPECT_THAT(Journal::Open(env_, kDir, &contents), StatusIs(absl::StatusCode::kPermissionDenied));
  env_.ClearFailures();
  EXPECT_THAT(JobsOnDisk(), ElementsAre("a"));
}

TEST_F(JournalTest, OnlyOneCoordinatorAtATimeUsesAStateDirectory) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> first = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Journal::Open(env_, kDir, &contents),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("another coordinator")));
  first->reset();
  EXPECT_THAT(Journal::Open(env_, kDir, &contents), IsOk());
}

TEST_F(JournalTest, RewriteKeepsOnlyTheGivenRecords) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  for (const char* job : {"a", "b", "c"}) ASSERT_THAT((*journal)->Append(Ended(job)), IsOk());
  ASSERT_THAT((*journal)->Rewrite({Ended("b")}), IsOk());
  ASSERT_THAT((*journal)->Append(Ended("d")), IsOk());
  ASSERT_THAT((*journal)->Flush(), IsOk());
  EXPECT_THAT(JobsOnDisk(), ElementsAre("b", "d"));
  EXPECT_EQ((*journal)->size(), FileSize());
}

TEST_F(JournalTest, AFullDiskLeavesNoPartialRecordBehind) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  ASSERT_THAT((*journal)->Append(Ended("fits")), IsOk());
  ASSERT_THAT((*journal)->Sync(), IsOk());
  env_.SetCapacity(env_.used_bytes() + 5);
  ASSERT_THAT((*journal)->Append(Ended("does-not-fit")), IsOk());
  EXPECT_THAT((*journal)->Sync(), StatusIs(absl::StatusCode::kResourceExhausted));
  // Room again: later records are readable, the lost one is not half there.
  env_.SetCapacity(FakeEnv::kUnlimited);
  ASSERT_THAT((*journal)->Append(Ended("later")), IsOk());
  ASSERT_THAT((*journal)->Sync(), IsOk());
  EXPECT_THAT(JobsOnDisk(), ElementsAre("fits", "later"));
}

TEST_F(JournalTest, AFailedSyncIsReportedAndTheRecordStaysDirty) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  env_.FailOn(FakeEnv::Op::kSync, "journal", absl::DataLossError("EIO"), 1);
  ASSERT_THAT((*journal)->Append(Ended("a")), IsOk());
  EXPECT_THAT((*journal)->Sync(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE((*journal)->dirty());
}

TEST_F(JournalTest, AFailedSyncCutsWhatItDidNotSync) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  ASSERT_THAT((*journal)->Append(Ended("synced")), IsOk());
  ASSERT_THAT((*journal)->Sync(), IsOk());
  ASSERT_THAT((*journal)->Append(Ended("not-synced")), IsOk());
  env_.FailOn(FakeEnv::Op::kSync, "journal", absl::DataLossError("EIO"), 1);
  EXPECT_THAT((*journal)->Sync(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(JobsOnDisk(), ElementsAre("synced"));
  EXPECT_EQ((*journal)->size(), FileSize());
}

TEST_F(JournalTest, AFailedRewriteLeavesNoTemporaryFileBehind) {
  Write({"a"});
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  env_.FailOn(FakeEnv::Op::kSync, "journal.new", absl::ResourceExhaustedError("ENOSPC"), 1);
  EXPECT_THAT((*journal)->Rewrite({}), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_FALSE(env_.Exists("/state/journal.new"));
  EXPECT_TRUE((*journal)->usable());
}

TEST_F(JournalTest, ARewriteWhoseDirectoryCannotBeSyncedLeavesTheJournalUnusable) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  env_.FailOn(FakeEnv::Op::kSyncDir, kDir, absl::DataLossError("EIO"), 1);
  EXPECT_THAT((*journal)->Rewrite({}), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_FALSE((*journal)->usable());
  ASSERT_THAT((*journal)->Append(Ended("later")), IsOk());
  EXPECT_THAT((*journal)->Sync(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(JournalTest, ACrashLosesOnlyWhatWasNotSynced) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  ASSERT_THAT((*journal)->Append(Ended("synced")), IsOk());
  ASSERT_THAT((*journal)->Sync(), IsOk());
  ASSERT_THAT((*journal)->Append(Ended("flushed-only")), IsOk());
  ASSERT_THAT((*journal)->Flush(), IsOk());
  env_.SimulateCrash();
  journal->reset();
  Journal::Contents after;
  ASSERT_THAT(Journal::Open(env_, kDir, &after), IsOk());
  EXPECT_THAT(JobsIn(after), ElementsAre("synced"));
}

TEST_F(JournalTest, AFailedRenameAtRewriteKeepsTheOldJournal) {
  Write({"a", "b"});
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  env_.FailOn(FakeEnv::Op::kRename, "journal", absl::PermissionDeniedError("EROFS"));
  EXPECT_THAT((*journal)->Rewrite({}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(JobsOnDisk(), ElementsAre("a", "b"));
  // The journal still appends where it was.
  ASSERT_THAT((*journal)->Append(Ended("c")), IsOk());
  ASSERT_THAT((*journal)->Sync(), IsOk());
  EXPECT_THAT(JobsOnDisk(), ElementsAre("a", "b", "c"));
}

TEST(JournalOnDisk, WritesAndReadsARealFile) {
  testing::TempDir dir;
  {
    Journal::Contents contents;
    absl::StatusOr<std::unique_ptr<Journal>> journal =
        Journal::Open(*Env::Default(), dir.path(), &contents);
    ASSERT_THAT(journal, IsOk());
    ASSERT_THAT((*journal)->Append(Ended("a")), IsOk());
    ASSERT_THAT((*journal)->Sync(), IsOk());
  }
  absl::StatusOr<Journal::Contents> read = ReadJournal(*Env::Default(), dir.File("journal"));
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(JobsIn(*read), ElementsAre("a"));
}

}  // namespace
}  // namespace braid
