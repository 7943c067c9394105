// Run files: what is written is read back; damage is detected.

#include "worker/run_file.h"

#include <string>
#include <vector>

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
using ::testing::HasSubstr;

std::vector<std::pair<std::string, std::string>> ReadAll(RunReader& reader) {
  std::vector<std::pair<std::string, std::string>> records;
  while (reader.Next()) records.emplace_back(reader.key(), reader.value());
  return records;
}

TEST(RunFile, RecordsComeBackAsWritten) {
  testing::TempDir dir;
  auto writer = RunWriter::Create(dir.File("r"));
  ASSERT_THAT(writer, IsOk());
  std::vector<std::pair<std::string, std::string>> records = {
      {"a", "1"}, {"", ""}, {std::string(300, 'k'), std::string(70'000, 'v')}, {"z\0z", "\xff"}};
  for (const auto& [k, v] : records) (*writer)->Add(k, v);
  ASSERT_THAT((*writer)->Finish(), IsOk());
  EXPECT_EQ((*writer)->records(), 4u);
  EXPECT_EQ((*writer)->crc32c(), braid_compat::ComputeCrc32c(testing::ReadFile(dir.File("r"))));
  auto reader = RunReader::Open(dir.File("r"), 0, UINT64_MAX, (*writer)->crc32c());
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(ReadAll(**reader), records);
  EXPECT_THAT((*reader)->status(), IsOk());
}

TEST(RunFile, AChecksumMismatchIsDataLoss) {
  testing::TempDir dir;
  auto writer = RunWriter::Create(dir.File("r"));
  (*writer)->Add("key", "value");
  ASSERT_THAT((*writer)->Finish(), IsOk());
  std::string bytes = testing::ReadFile(dir.File("r"));
  bytes[bytes.size() - 1] ^= 1;
  testing::WriteFile(dir.File("r"), bytes);
  auto reader = RunReader::Open(dir.File("r"), 0, UINT64_MAX, (*writer)->crc32c());
  ReadAll(**reader);
  EXPECT_THAT((*reader)->status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("CRC")));
}

TEST(RunFile, ATruncatedFileIsDataLoss) {
  testing::TempDir dir;
  auto writer = RunWriter::Create(dir.File("r"));
  (*writer)->Add("key", std::string(1000, 'v'));
  ASSERT_THAT((*writer)->Finish(), IsOk());
  testing::WriteFile(dir.File("r"), testing::ReadFile(dir.File("r")).substr(0, 500));
  auto reader = RunReader::Open(dir.File("r"));
  EXPECT_FALSE((*reader)->Next());
  EXPECT_THAT((*reader)->status(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cut off")));
}

TEST(RunFile, ARangeOfAFileReadsJustThoseRecords) {
  testing::TempDir dir;
  auto writer = RunWriter::Create(dir.File("r"));
  (*writer)->Add("a", "1");
  uint64_t middle = (*writer)->bytes();
  (*writer)->Add("b", "2");
  (*writer)->Add("c", "3");
  uint64_t last = (*writer)->bytes();
  (*writer)->Add("d", "4");
  ASSERT_THAT((*writer)->Finish(), IsOk());
  auto reader = RunReader::Open(dir.File("r"), middle, last - middle);
  std::vector<std::pair<std::string, std::string>> expected = {{"b", "2"}, {"c", "3"}};
  EXPECT_EQ(ReadAll(**reader), expected);
}

TEST(RunFile, WrittenAndReadThroughAnEnvAReadErrorIsTheReadersStatus) {
  FakeEnv env;
  auto writer = RunWriter::Create("/run", env);
  ASSERT_THAT(writer, braid_compat::testing::IsOk());
  (*writer)->Add("key", "value");
  ASSERT_THAT((*writer)->Finish(), braid_compat::testing::IsOk());
  auto reader = RunReader::Open("/run", 0, UINT64_MAX, (*writer)->crc32c(), env);
  ASSERT_THAT(reader, braid_compat::testing::IsOk());
  ASSERT_TRUE((*reader)->Next());
  EXPECT_EQ((*reader)->key(), "key");
  auto failing = RunReader::Open("/run", 0, UINT64_MAX, std::nullopt, env);
  ASSERT_THAT(failing, braid_compat::testing::IsOk());
  env.FailOn(FakeEnv::Op::kRead, "/run", absl::DataLossError("EIO"));
  EXPECT_FALSE((*failing)->Next());
  EXPECT_THAT((*failing)->status(),
              braid_compat::testing::StatusIs(absl::StatusCode::kDataLoss, "EIO"));
}

}  // namespace
}  // namespace braid
