// SplitReader: splits cut anywhere read every line exactly once.

#include "job/split_reader.h"

#include <random>
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
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> ReadLines(const std::string& path, uint64_t offset, uint64_t length) {
  auto reader = SplitReader::Open(path, offset, length);
  EXPECT_THAT(reader, IsOk());
  std::vector<std::string> lines;
  Record record;
  while ((*reader)->Next(&record)) lines.emplace_back(record.line);
  EXPECT_THAT((*reader)->status(), IsOk());
  return lines;
}

// The lines of `text` as the whole file's reader sees them: ended by "\n", "\r\n" or "\r".
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
    if (end < text.size() && text[end] == '\r' && start < text.size() && text[start] == '\n') {
      ++start;
    }
  }
  return lines;
}

TEST(SplitReader, ReadsEveryLineOfAWholeFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "one\ntwo\n\nfour\n");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), ElementsAre("one", "two", "", "four"));
}

TEST(SplitReader, ALastLineWithoutANewlineIsALine) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "one\ntwo");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), ElementsAre("one", "two"));
}

TEST(SplitReader, LinesEndAtCarriageReturnLineFeedAsAtLineFeed) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "one\r\ntwo\r\n\r\nfour\r\n");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), ElementsAre("one", "two", "", "four"));
}

TEST(SplitReader, ACarriageReturnAloneEndsALine) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "one\rtwo\r\rfour\r");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), ElementsAre("one", "two", "", "four"));
}

TEST(SplitReader, MixedEndingsAreEachOneEnding) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "a\nb\r\nc\rd\n\re");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), ElementsAre("a", "b", "c", "d", "", "e"));
}

TEST(SplitReader, ASplitCutInsideACarriageReturnLineFeedOwnsTheNextLine) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "aaaa\r\nbbbb\r\n");
  // Byte 5 is the '\n' of the first ending: "bbbb" starts at 6, inside the second split.
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 5), ElementsAre("aaaa"));
  EXPECT_THAT(ReadLines(dir.File("f"), 5, 100), ElementsAre("bbbb"));
  // Cut just after the '\r' alone, the next line starts at the cut.
  testing::WriteFile(dir.File("g"), "aaaa\rbbbb\r");
  EXPECT_THAT(ReadLines(dir.File("g"), 0, 5), ElementsAre("aaaa"));
  EXPECT_THAT(ReadLines(dir.File("g"), 5, 100), ElementsAre("bbbb"));
}

TEST(SplitReader, ACarriageReturnAtTheEndOfTheBufferWaitsForTheNextByte) {
  testing::TempDir dir;
  // The reader's buffer holds 4 MiB: the first line's '\r' is its last byte.
  const std::string first((4 << 20) - 1, 'x');
  testing::WriteFile(dir.File("f"), first + "\r\nsecond\r\n");
  std::vector<std::string> lines = ReadLines(dir.File("f"), 0, 100 << 20);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], first);
  EXPECT_EQ(lines[1], "second");
}

TEST(SplitReader, AnEmptyFileHasNoLines) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 100), IsEmpty());
}

TEST(SplitReader, ALineStartingInTheSplitIsReadToItsEnd) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "aaaa\nbbbbbbbb\ncc\n");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 6), ElementsAre("aaaa", "bbbbbbbb"));
  EXPECT_THAT(ReadLines(dir.File("f"), 6, 100), ElementsAre("cc"));
}

TEST(SplitReader, ASplitStartingOnALineStartOwnsThatLine) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("f"), "aaaa\nbbbb\n");
  EXPECT_THAT(ReadLines(dir.File("f"), 0, 5), ElementsAre("aaaa"));
  EXPECT_THAT(ReadLines(dir.File("f"), 5, 5), ElementsAre("bbbb"));
}

TEST(SplitReader, ALineLongerThanManySplitsIsReadOnce) {
  testing::TempDir dir;
  std::string long_line(100'000, 'x');
  testing::WriteFile(dir.File("f"), "a\n" + long_line + "\nb\n");
  std::vector<std::string> all;
  for (uint64_t offset = 0; offset < 100'010; offset += 1000) {
    for (std::string& line : ReadLines(dir.File("f"), offset, 1000)) all.push_back(line);
  }
  EXPECT_THAT(all, ElementsAre("a", long_line, "b"));
}

TEST(SplitReader, LinesLongerThanItsBufferAreWhole) {
  testing::TempDir dir;
  std::string huge(9 << 20, 'y');  // over the 4 MiB read chunk, twice
  testing::WriteFile(dir.File("f"), huge + "\nz");
  std::vector<std::string> lines = ReadLines(dir.File("f"), 0, 10);
  ASSERT_EQ(lines.size(), 1u);  // "z" starts after the split
  EXPECT_TRUE(lines[0] == huge) << "a line of " << lines[0].size() << " bytes";
  lines = ReadLines(dir.File("f"), 0, 100 << 20);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0] == huge) << "a line of " << lines[0].size() << " bytes";
  EXPECT_EQ(lines[1], "z");
}

TEST(SplitReader, SplitsCutAnywhereReadEachLineExactlyOnce) {
  testing::TempDir dir;
  std::mt19937_64 random(7);
  for (int trial = 0; trial < 200; ++trial) {
    // Text with empty lines, non-UTF-8 bytes, the three line endings, and sometimes no final
    // one.
    std::string text;
    int lines = random() % 30;
    for (int i = 0; i < lines; ++i) {
      text += std::string(random() % 12, static_cast<char>('a' + random() % 3));
      if (random() % 5 == 0) text += "\xff\xfe";
      static constexpr const char* kEndings[] = {"\n", "\n", "\r\n", "\r"};
      text += kEndings[random() % 4];
    }
    if (random() % 2) text += "tail";
    testing::WriteFile(dir.File("f"), text);
    // Cut at random points.
    std::vector<uint64_t> cuts = {0, text.size()};
    for (int i = random() % 8; i > 0; --i) cuts.push_back(random() % (text.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<std::string> read;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      for (std::string& line : ReadLines(dir.File("f"), cuts[i], cuts[i + 1] - cuts[i])) {
        read.push_back(line);
      }
    }
    ASSERT_EQ(read, Lines(text)) << "trial " << trial;
  }
}

// What a reader of the split gives: each line with its offset.
std::vector<std::pair<uint64_t, std::string>> ReadRecords(Env& env, const std::string& path,
                                                          uint64_t offset, uint64_t length,
                                                          uint64_t origin = 0) {
  std::vector<std::pair<uint64_t, std::string>> records;
  auto reader = SplitReader::Open(path, offset, length, env, origin);
  EXPECT_THAT(reader, IsOk());
  if (!reader.ok()) return records;
  Record record;
  while ((*reader)->Next(&record)) records.emplace_back(record.offset, record.line);
  EXPECT_THAT((*reader)->status(), IsOk());
  return records;
}

TEST(SplitReader, ACopyOfTheBytesLocateSplitNamesReadsAsTheWholeFileDoes) {
  FakeEnv env;
  std::mt19937_64 random(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int lines = random() % 20;
    for (int i = 0; i < lines; ++i) {
      text += std::string(random() % 10, static_cast<char>('a' + random() % 3));
      static constexpr const char* kEndings[] = {"\n", "\r\n", "\r"};
      text += kEndings[random() % 3];
    }
    if (random() % 2) text += "tail";
    ASSERT_TRUE(env.WriteStringToFile("/in", text).ok());
    const uint64_t offset = random() % (text.size() + 1);
    const uint64_t length = random() % (text.size() + 2 - offset);
    absl::StatusOr<SplitExtent> extent = LocateSplit(env, "/in", offset, length);
    ASSERT_THAT(extent, IsOk());
    ASSERT_LE(extent->begin, extent->end);
    ASSERT_LE(extent->end, text.size());
    const std::string copy = text.substr(extent->begin, extent->end - extent->begin);
    EXPECT_EQ(extent->crc32c, braid_compat::ComputeCrc32c(copy));
    ASSERT_TRUE(env.WriteStringToFile("/copy", copy).ok());
    ASSERT_EQ(ReadRecords(env, "/copy", offset, length, extent->begin),
              ReadRecords(env, "/in", offset, length))
        << "trial " << trial << ": [" << offset << ", +" << length << ") of " << text.size();
  }
}

TEST(SplitReader, LocateSplitStopsAfterTheLastLineItOwns) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "aaaa\nbbbb\ncccc\ndddd\n").ok());
  // [6, 11) starts inside "bbbb" and owns "cccc" (from 10), read to its ending at 14.
  absl::StatusOr<SplitExtent> extent = LocateSplit(env, "/in", 6, 5);
  ASSERT_THAT(extent, IsOk());
  EXPECT_EQ(extent->begin, 5u);
  EXPECT_EQ(extent->end, 16u);  // the ending, and the byte after it
}

TEST(SplitReader, ACompressedFileIsLocatedWhole) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in.gz", std::string(100, 'x')).ok());
  absl::StatusOr<SplitExtent> extent = LocateSplit(env, "/in.gz", 0, 100);
  ASSERT_THAT(extent, IsOk());
  EXPECT_EQ(extent->begin, 0u);
  EXPECT_EQ(extent->end, 100u);
}

TEST(SplitReader, ACopyStartingAfterTheSplitIsRefused) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/copy", "x\n").ok());
  EXPECT_THAT(SplitReader::Open("/copy", 4, 10, env, /*origin=*/8),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SplitReader, AMissingFileIsNotFoundNamingIt) {
  EXPECT_THAT(SplitReader::Open("/no/such/file", 0, 10),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("/no/such/file")));
}

TEST(SplitReader, ReadsThroughTheEnvItIsGiven) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\ntwo\nthree\n").ok());
  auto reader = SplitReader::Open("/in", 2, 5, env);  // starts inside "one": owns "two" only
  ASSERT_THAT(reader, braid_compat::testing::IsOk());
  Record record;
  ASSERT_TRUE((*reader)->Next(&record));
  EXPECT_EQ(record.line, "two");
  EXPECT_EQ(record.offset, 4u);
  EXPECT_FALSE((*reader)->Next(&record));
  EXPECT_TRUE((*reader)->status().ok());
}

TEST(SplitReader, AReadErrorEndsTheLinesAndIsItsStatus) {
  FakeEnv env;
  ASSERT_TRUE(env.WriteStringToFile("/in", "one\ntwo\n").ok());
  auto reader = SplitReader::Open("/in", 0, 8, env);
  ASSERT_THAT(reader, braid_compat::testing::IsOk());
  env.FailOn(FakeEnv::Op::kRead, "/in", absl::DataLossError("EIO on /in"));
  Record record;
  EXPECT_FALSE((*reader)->Next(&record));
  EXPECT_THAT((*reader)->status(), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace braid
