#include "coordinator/journal.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

proto::JournalRecord Ended(const std::string& job) {
  proto::JournalRecord record;
  record.set_job_id(job);
  record.mutable_job_ended()->set_state(proto::JOB_STATE_SUCCEEDED);
  return record;
}

// Opens the journal in `dir`, appends a record per job and syncs.
void Write(const std::string& dir, const std::vector<std::string>& jobs) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(dir, &contents);
  ASSERT_THAT(journal, IsOk());
  for (const std::string& job : jobs) (*journal)->Append(Ended(job));
  ASSERT_THAT((*journal)->Sync(), IsOk());
}

std::vector<std::string> JobsIn(const Journal::Contents& contents) {
  std::vector<std::string> jobs;
  for (const proto::JournalRecord& record : contents.records) jobs.push_back(record.job_id());
  return jobs;
}

void AppendBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

TEST(Journal, RecordsComeBackInOrderAndEachOpenIsANewEpoch) {
  testing::TempDir dir;
  Write(dir.path(), {"a", "b"});
  Write(dir.path(), {"c"});
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(dir.path(), &contents);
  ASSERT_THAT(journal, IsOk());
  EXPECT_THAT(JobsIn(contents), ::testing::ElementsAre("a", "b", "c"));
  EXPECT_EQ(contents.cut_bytes, 0u);
  EXPECT_EQ((*journal)->epoch(), 3u);
  EXPECT_FALSE((*journal)->cluster_id().empty());
  EXPECT_EQ(contents.header.cluster_id(), (*journal)->cluster_id());
}

TEST(Journal, ATornTailIsCutAndNeverTrusted) {
  testing::TempDir dir;
  Write(dir.path(), {"a", "b"});
  const std::string path = dir.path() + "/journal";
  const uintmax_t whole = std::filesystem::file_size(path);
  // A record cut short by a crash mid-write.
  const std::string frame = EncodeJournalFrame(Ended("torn"));
  AppendBytes(path, frame.substr(0, frame.size() - 3));
  Journal::Contents contents;
  ASSERT_THAT(Journal::Open(dir.path(), &contents), IsOk());
  EXPECT_THAT(JobsIn(contents), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(contents.cut_bytes, frame.size() - 3);
  // The next start finds a clean journal (rewritten with the new epoch).
  Journal::Contents again;
  ASSERT_THAT(Journal::Open(dir.path(), &again), IsOk());
  EXPECT_EQ(again.cut_bytes, 0u);
  EXPECT_THAT(JobsIn(again), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(std::filesystem::file_size(path), whole);
}

TEST(Journal, ARecordFailingItsChecksumEndsTheJournalThere) {
  testing::TempDir dir;
  Write(dir.path(), {"a"});
  const std::string path = dir.path() + "/journal";
  std::string damaged = EncodeJournalFrame(Ended("damaged"));
  damaged.back() ^= 0x20;
  AppendBytes(path, damaged + EncodeJournalFrame(Ended("after")));
  absl::StatusOr<Journal::Contents> read = ReadJournal(path);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(JobsIn(*read), ::testing::ElementsAre("a"));
  EXPECT_GT(read->cut_bytes, 0u);
}

TEST(Journal, AJournalOfANewerFormatIsRefusedNamingBothVersions) {
  testing::TempDir dir;
  proto::JournalHeader header;
  header.set_format_version(Journal::kFormatVersion + 1);
  header.set_cluster_id("future");
  header.set_epoch(7);
  testing::WriteFile(dir.File("journal"), EncodeJournalFrame(header));
  Journal::Contents contents;
  EXPECT_THAT(Journal::Open(dir.path(), &contents),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("format 2, newer than this coordinator's 1")));
  // Refused, not replaced.
  EXPECT_EQ(testing::ReadFile(dir.File("journal")), EncodeJournalFrame(header));
}

TEST(Journal, AFileThatIsNotAJournalIsRefused) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("journal"), "these are not the records you are looking for\n");
  Journal::Contents contents;
  EXPECT_THAT(Journal::Open(dir.path(), &contents),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no readable header")));
}

TEST(Journal, OnlyOneCoordinatorAtATimeUsesAStateDirectory) {
  testing::TempDir dir;
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> first = Journal::Open(dir.path(), &contents);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(Journal::Open(dir.path(), &contents),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("another coordinator")));
  first->reset();
  EXPECT_THAT(Journal::Open(dir.path(), &contents), IsOk());
}

TEST(Journal, RewriteKeepsOnlyTheGivenRecords) {
  testing::TempDir dir;
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal = Journal::Open(dir.path(), &contents);
  ASSERT_THAT(journal, IsOk());
  for (const char* job : {"a", "b", "c"}) (*journal)->Append(Ended(job));
  ASSERT_THAT((*journal)->Rewrite({Ended("b")}), IsOk());
  (*journal)->Append(Ended("d"));
  ASSERT_THAT((*journal)->Flush(), IsOk());
  absl::StatusOr<Journal::Contents> read = ReadJournal(dir.path() + "/journal");
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(JobsIn(*read), ::testing::ElementsAre("b", "d"));
  EXPECT_EQ((*journal)->size(), std::filesystem::file_size(dir.path() + "/journal"));
}

}  // namespace
}  // namespace braid
