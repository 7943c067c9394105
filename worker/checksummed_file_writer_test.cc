// ChecksummedFileWriter on FakeEnv: counts, the checksum of what reached the file, the first
// error kept for Finish, and what a sync promises.

#include "worker/checksummed_file_writer.h"

#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/crc32c.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;

void AddRecord(ChecksummedFileWriter& writer, const std::string& record) {
  writer.buffer() += record;
  writer.Added();
}

TEST(ChecksummedFileWriter, CountsRecordsAndBytesAndChecksumsTheFile) {
  FakeEnv env;
  absl::StatusOr<ChecksummedFileWriter> writer = ChecksummedFileWriter::Create(env, "/f");
  ASSERT_THAT(writer, IsOk());
  AddRecord(*writer, "one\n");
  AddRecord(*writer, "two\n");
  EXPECT_EQ(writer->bytes(), 8u);
  ASSERT_THAT(writer->Finish(/*sync=*/false), IsOk());
  EXPECT_EQ(writer->records(), 2u);
  EXPECT_EQ(writer->crc32c(), braid_compat::ComputeCrc32c("one\ntwo\n"));
  EXPECT_THAT(env.ReadFile("/f"), IsOkAndHolds("one\ntwo\n"));
}

TEST(ChecksummedFileWriter, ALargeFileIsWrittenAsItGrows) {
  FakeEnv env;
  absl::StatusOr<ChecksummedFileWriter> writer = ChecksummedFileWriter::Create(env, "/f");
  ASSERT_THAT(writer, IsOk());
  const std::string record(4096, 'x');
  for (size_t written = 0; written <= ChecksummedFileWriter::kBufferBytes; written += 4096) {
    AddRecord(*writer, record);
  }
  EXPECT_GE(env.used_bytes(), ChecksummedFileWriter::kBufferBytes);
  ASSERT_THAT(writer->Finish(false), IsOk());
  EXPECT_EQ(env.used_bytes(), writer->bytes());
}

TEST(ChecksummedFileWriter, AFullDiskIsReportedByFinish) {
  FakeEnv env;
  env.SetCapacity(3);
  absl::StatusOr<ChecksummedFileWriter> writer = ChecksummedFileWriter::Create(env, "/f");
  ASSERT_THAT(writer, IsOk());
  AddRecord(*writer, "more than three bytes\n");
  EXPECT_THAT(writer->Finish(true), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(ChecksummedFileWriter, OnlyASyncedFileSurvivesACrash) {
  FakeEnv env;
  for (const bool sync : {false, true}) {
    const std::string path = sync ? "/synced" : "/unsynced";
    absl::StatusOr<ChecksummedFileWriter> writer = ChecksummedFileWriter::Create(env, path);
    ASSERT_THAT(writer, IsOk());
    AddRecord(*writer, "data\n");
    ASSERT_THAT(writer->Finish(sync), IsOk());
  }
  env.SimulateCrash();
  EXPECT_THAT(env.ReadFile("/synced"), IsOkAndHolds("data\n"));
  EXPECT_THAT(env.ReadFile("/unsynced"), IsOkAndHolds(""));
}

TEST(ChecksummedFileWriter, AFileThatCannotBeMadeIsNamed) {
  FakeEnv env;
  EXPECT_THAT(ChecksummedFileWriter::Create(env, "/no/such/dir/f").status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("/no/such/dir/f")));
}

}  // namespace
}  // namespace braid
