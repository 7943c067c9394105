#include "coordinator/journal.h"

#include <functional>
#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/crc32c.h"
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

proto::JournalRecord Accepted(const std::string& job, uint64_t number) {
  proto::JournalRecord record;
  record.set_job_id(job);
  record.mutable_job_accepted()->set_number(number);
  record.mutable_job_accepted()->mutable_spec()->set_job("wordcount");
  return record;
}

proto::JournalRecord Committed(const std::string& job, uint32_t task) {
  proto::JournalRecord record;
  record.set_job_id(job);
  proto::TaskAttempt* attempt =
      record.mutable_task_committed()->mutable_result()->mutable_attempt();
  attempt->set_job_id(job);
  attempt->set_task(task);
  return record;
}

// A frame as journals of format 2 and older wrote it: length | masked CRC-32C | bytes.
std::string LegacyFrame(const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  const uint32_t crc = braid_compat::ComputeCrc32c(bytes);
  const uint32_t masked = ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
  std::string frame;
  for (uint32_t value : {static_cast<uint32_t>(bytes.size()), masked}) {
    for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>(value >> (8 * i)));
  }
  return frame + bytes;
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
  // Opens the journal, appends `records`, syncs, and returns where each record's frame starts.
  std::vector<size_t> WriteRecords(const std::vector<proto::JournalRecord>& records) {
    {
      Journal::Contents contents;
      absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
      EXPECT_THAT(journal, IsOk());
      if (!journal.ok()) return {};
      for (const proto::JournalRecord& record : records) {
        EXPECT_THAT((*journal)->ReserveJobNumber(record.job_accepted().number()), IsOk());
        EXPECT_THAT((*journal)->Append(record), IsOk());
      }
      EXPECT_THAT((*journal)->Sync(), IsOk());
    }
    const std::string data = env_.ReadFile(kPath).value();
    std::vector<size_t> offsets;
    for (const proto::JournalRecord& record : records) {
      offsets.push_back(data.find(EncodeJournalFrame(record)));
      EXPECT_NE(offsets.back(), std::string::npos);
    }
    return offsets;
  }
  // Changes the journal's bytes on disk.
  void Damage(const std::function<void(std::string&)>& damage) {
    std::string data = env_.ReadFile(kPath).value();
    damage(data);
    ASSERT_THAT(env_.WriteStringToFile(kPath, data), IsOk());
  }
  absl::Status OpenStatus() {
    Journal::Contents contents;
    return Journal::Open(env_, kDir, &contents).status();
  }

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

TEST_F(JournalTest, ReadingPastARecordFailingItsChecksumFindsEveryLaterRecord) {
  Write({"a"});
  std::string damaged = EncodeJournalFrame(Ended("damaged"));
  damaged.back() ^= 0x20;
  const uint64_t at = FileSize();
  AppendBytes(damaged + EncodeJournalFrame(Ended("after")));
  absl::StatusOr<Journal::Contents> read = ReadJournal(env_, kPath);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(JobsIn(*read), ElementsAre("a", "after"));
  EXPECT_EQ(read->cut_bytes, 0u);
  ASSERT_EQ(read->damage.size(), 1u);
  EXPECT_EQ(read->damage[0].offset, at);
  EXPECT_EQ(read->damage[0].length, damaged.size());
  EXPECT_EQ(read->damage[0].records_before, 1u);
  EXPECT_THAT(read->damage[0].what, HasSubstr("what looks like a job end of job"));
}

TEST_F(JournalTest, ZerosAtTheEndAreATornWriteAndAreCut) {
  Write({"a"});
  AppendBytes(std::string(4096, '\0'));
  Journal::Contents contents;
  ASSERT_THAT(Journal::Open(env_, kDir, &contents), IsOk());
  EXPECT_THAT(JobsIn(contents), ElementsAre("a"));
  EXPECT_EQ(contents.cut_bytes, 4096u);
}

TEST_F(JournalTest, AFlippedByteInAnyRecordKindBeforeTheEndIsDamageNamedByOffsetAndKind) {
  const std::vector<proto::JournalRecord> records = {Accepted("job_1", 1), Committed("job_1", 0),
                                                     Ended("job_1"), Accepted("job_2", 2)};
  // (The flipped byte is the last of the job's id, the last field of a record.)
  const std::vector<std::string> kinds = {"a job acceptance of job", "a task commit of job",
                                          "a job end of job"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    SCOPED_TRACE(kinds[i]);
    ASSERT_THAT(env_.RemoveAll(kDir), IsOk());
    const std::vector<size_t> at = WriteRecords(records);
    ASSERT_EQ(at.size(), records.size());
    Damage([&](std::string& data) { data[at[i + 1] - 1] ^= 0x01; });  // the record's last byte
    const std::string before = env_.ReadFile(kPath).value();
    const absl::Status opened = OpenStatus();
    EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss,
                                 HasSubstr(absl::StrCat("damaged at byte ", at[i]))));
    EXPECT_THAT(opened.message(), HasSubstr(kinds[i]));
    EXPECT_THAT(opened.message(),
                HasSubstr(absl::StrCat(records.size() - 1 - i, " intact record")));
    EXPECT_THAT(opened.message(), HasSubstr("braid journal repair /state"));
    // Refused, not cut.
    EXPECT_EQ(env_.ReadFile(kPath).value(), before);
  }
}

TEST_F(JournalTest, AFlippedByteInTheLastWholeRecordIsDamageNotATornTail) {
  const std::vector<size_t> at = WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2)});
  ASSERT_EQ(at.size(), 2u);
  Damage([&](std::string& data) { data.back() ^= 0x40; });
  EXPECT_THAT(OpenStatus(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("a job acceptance of job")));
  EXPECT_THAT(OpenStatus().message(), HasSubstr("no intact record follows"));
}

TEST_F(JournalTest, AFlippedByteInTheHeaderIsDamage) {
  WriteRecords({Accepted("job_1", 1)});
  Damage([](std::string& data) { data[14] ^= 0x01; });
  EXPECT_THAT(OpenStatus(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged at byte 0: ")));
  absl::StatusOr<Journal::Contents> read = ReadJournal(env_, kPath);
  ASSERT_THAT(read, IsOk());
  EXPECT_FALSE(read->has_header);
  EXPECT_THAT(JobsIn(*read), ElementsAre("job_1"));
}

TEST_F(JournalTest, AHugeLengthBeforeTheEndIsDamage) {
  const std::vector<size_t> at = WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2)});
  ASSERT_EQ(at.size(), 2u);
  Damage([&](std::string& data) { data[at[0] + 11] = '\x7f'; });  // the length's high byte
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss,
                                     HasSubstr(absl::StrCat("damaged at byte ", at[0]))));
}

TEST_F(JournalTest, BytesCutOutOfTheMiddleAreDamage) {
  const std::vector<size_t> at =
      WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2), Accepted("job_3", 3)});
  ASSERT_EQ(at.size(), 3u);
  Damage([&](std::string& data) { data.erase(at[0] + 5, at[1] - at[0]); });
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1 intact record")));
}

TEST_F(JournalTest, AnEmptyJournalIsDamageNotAFreshStart) {
  Write({"a"});
  ASSERT_THAT(env_.WriteStringToFile(kPath, ""), IsOk());
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty")));
  EXPECT_EQ(FileSize(), 0u);
}

TEST_F(JournalTest, AMissingJournalInAStateDirectoryThatWasUsedIsDamage) {
  Write({"a"});
  ASSERT_THAT(env_.RemoveFile(kPath), IsOk());
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("journal is missing")));
  EXPECT_FALSE(env_.Exists(kPath));
}

TEST_F(JournalTest, ADamagedIdentityIsRefused) {
  Write({"a"});
  std::string identity = env_.ReadFile("/state/IDENTITY").value();
  identity[identity.size() - 2] ^= 0x08;
  ASSERT_THAT(env_.WriteStringToFile("/state/IDENTITY", identity), IsOk());
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("IDENTITY")));
}

TEST_F(JournalTest, AJournalOfAnotherClusterIsRefused) {
  Write({"a"});
  const std::string our_identity = env_.ReadFile("/state/IDENTITY").value();
  ASSERT_THAT(env_.RemoveAll(kDir), IsOk());
  env_.SetNow(absl::FromUnixSeconds(2000000000));
  Write({"b"});  // another cluster's journal
  ASSERT_THAT(env_.WriteStringToFile("/state/IDENTITY", our_identity), IsOk());
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("IDENTITY says")));
}

TEST_F(JournalTest, RepairKeepsEveryIntactRecordAndMovesTheDamagedJournalAside) {
  const std::vector<size_t> at = WriteRecords(
      {Accepted("job_1", 1), Accepted("job_2", 2), Committed("job_1", 0), Accepted("job_3", 3)});
  ASSERT_EQ(at.size(), 4u);
  Damage([&](std::string& data) { data[at[1] + 13] ^= 0x10; });
  const std::string damaged = env_.ReadFile(kPath).value();
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->repaired);
  EXPECT_EQ(report->records_kept, 3u);
  ASSERT_EQ(report->damage.size(), 1u);
  EXPECT_EQ(report->damage[0].offset, at[1]);
  ASSERT_FALSE(report->moved_to.empty());
  EXPECT_EQ(env_.ReadFile(report->moved_to).value(), damaged);
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_THAT(JobsIn(contents), ElementsAre("job_1", "job_1", "job_3"));
  EXPECT_TRUE(contents.damage.empty());
}

TEST_F(JournalTest, RepairNeverGivesAJobNumberOrAnEpochTwice) {
  const std::vector<size_t> at = WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2)});
  ASSERT_EQ(at.size(), 2u);
  // The last acceptance is lost: only the IDENTITY still knows number 2 was given.
  Damage([&](std::string& data) { data[at[1] + 13] ^= 0x10; });
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->records_kept, 1u);
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_GT(contents.next_job_number, 2u);
  EXPECT_EQ((*journal)->epoch(), 2u);  // one open before the repair
}

TEST_F(JournalTest, RepairWithoutTheHeaderKeepsTheClusterIdFromTheIdentity) {
  WriteRecords({Accepted("job_1", 1)});
  WriteRecords({});  // epoch 2
  ASSERT_THAT(ReadJournal(env_, kPath), IsOk());
  const std::string cluster = ReadJournal(env_, kPath)->header.cluster_id();
  Damage([](std::string& data) { data[14] ^= 0x01; });
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->cluster_id, cluster);
  EXPECT_FALSE(report->new_cluster_id);
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_EQ((*journal)->cluster_id(), cluster);
  EXPECT_EQ((*journal)->epoch(), 3u);  // the lost header's epoch came from the IDENTITY
  EXPECT_GT(contents.next_job_number, 1u);
  EXPECT_THAT(JobsIn(contents), ElementsAre("job_1"));
}

TEST_F(JournalTest, RepairOfAMissingJournalStartsAnEmptyOneOfTheSameCluster) {
  Write({"a"});
  const std::string cluster = ReadJournal(env_, kPath)->header.cluster_id();
  ASSERT_THAT(env_.RemoveFile(kPath), IsOk());
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->moved_to.empty());
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_EQ((*journal)->cluster_id(), cluster);
  EXPECT_TRUE(contents.records.empty());
}

TEST_F(JournalTest, ARepairThatFailsMidwayLeavesTheDamagedJournalToRepairAgain) {
  const std::vector<size_t> at = WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2)});
  ASSERT_EQ(at.size(), 2u);
  Damage([&](std::string& data) { data[at[0] + 13] ^= 0x10; });
  const std::string damaged = env_.ReadFile(kPath).value();
  env_.FailOn(FakeEnv::Op::kSync, "journal.repaired", absl::ResourceExhaustedError("ENOSPC"), 1);
  EXPECT_THAT(Journal::Repair(env_, kDir), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(env_.ReadFile(kPath).value(), damaged);
  EXPECT_FALSE(env_.Exists("/state/journal.repaired"));
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->records_kept, 1u);
}

TEST_F(JournalTest, RepairOfAMissingJournalBesideOneMovedAsideIsRefused) {
  Write({"a"});
  ASSERT_THAT(env_.RenameFile(kPath, "/state/journal.damaged-20261202T000000"), IsOk());
  EXPECT_THAT(Journal::Repair(env_, kDir),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("journal.damaged-")));
}

TEST_F(JournalTest, ADamagedFirstMarkerStillLetsEveryLaterRecordBeFound) {
  WriteRecords({Accepted("job_1", 1), Accepted("job_2", 2)});
  Damage([](std::string& data) { data[0] ^= 0x01; });
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged at byte 0")));
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->records_kept, 2u);
}

TEST_F(JournalTest, AFirstOpenThatFailsLeavesAStateDirectoryThatOpensAfresh) {
  env_.FailOn(FakeEnv::Op::kRename, "journal", absl::ResourceExhaustedError("ENOSPC"), 1);
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(OpenStatus(), IsOk());
}

TEST_F(JournalTest, RepairOfAnIntactStateDirectoryChangesNothing) {
  Write({"a"});
  const std::string before = env_.ReadFile(kPath).value();
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(env_, kDir);
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->repaired);
  EXPECT_EQ(env_.ReadFile(kPath).value(), before);
}

TEST_F(JournalTest, RepairIsRefusedWhileACoordinatorUsesTheStateDirectory) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(env_, kDir, &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_THAT(Journal::Repair(env_, kDir),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("stop it")));
}

TEST_F(JournalTest, RepairOfADirectoryWithoutStateIsRefused) {
  ASSERT_THAT(env_.CreateDirs(kDir), IsOk());
  EXPECT_THAT(Journal::Repair(env_, kDir),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nothing to repair")));
}

TEST_F(JournalTest, DamageInAnOldFormatJournalIsRefusedToo) {
  proto::JournalHeader header;
  header.set_format_version(2);
  header.set_cluster_id("old");
  header.set_epoch(1);
  std::string damaged = LegacyFrame(Accepted("job_old_1", 1));
  damaged.back() ^= 0x02;
  ASSERT_THAT(env_.CreateDirs(kDir), IsOk());
  ASSERT_THAT(env_.WriteStringToFile(
                  kPath, LegacyFrame(header) + damaged + LegacyFrame(Accepted("job_old_2", 2))),
              IsOk());
  EXPECT_THAT(OpenStatus(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no markers")));
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
  ASSERT_THAT(env_.WriteStringToFile(kPath, LegacyFrame(header) + LegacyFrame(record)), IsOk());
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
                       HasSubstr("format 4, newer than this coordinator's 3")));
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
