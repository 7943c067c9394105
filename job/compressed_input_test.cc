// Compressed input: .gz, .bz2 and .zst files read as the text they hold, whole or concatenated;
// a truncated or corrupt one fails naming the file.

#include "job/compressed_input.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/split_reader.h"
#include "tests/compressors.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct Case {
  const char* extension;
  std::string (*compress)(const std::string&);
};
const Case kCases[] = {{".gz", testing::Gzip},
                       {".bz2", testing::Bzip2},
                       {".zst", testing::Zstd},
                       {".deflate", testing::Deflate}};

// About 2 MiB of lines, some ended by "\r\n": more than one read of the compressed file.
std::string Text() {
  std::mt19937 random(3);
  std::string text;
  for (int i = 0; text.size() < (2 << 20); ++i) {
    absl::StrAppend(&text, "line ", i, " ", random() % 100000, i % 7 == 0 ? "\r\n" : "\n");
  }
  return text;
}

struct Read {
  std::vector<std::string> lines;
  absl::Status status;
  uint64_t bytes_read = 0;
};

// Reads the split [0, length) of `path`: the whole file if it is compressed, whatever `length`.
Read ReadAll(const std::string& path, uint64_t length = 1) {
  Read read;
  absl::StatusOr<std::unique_ptr<SplitReader>> reader = SplitReader::Open(path, 0, length);
  if (!reader.ok()) {
    read.status = reader.status();
    return read;
  }
  Record record;
  while ((*reader)->Next(&record)) read.lines.emplace_back(record.line);
  read.status = (*reader)->status();
  read.bytes_read = (*reader)->bytes_read();
  return read;
}

TEST(CompressedInputTest, TheCodecIsTheExtensions) {
  EXPECT_EQ(CodecOf("/in/a.gz"), Codec::kGzip);
  EXPECT_EQ(CodecOf("/in/a.txt.bz2"), Codec::kBzip2);
  EXPECT_EQ(CodecOf("a.zst"), Codec::kZstd);
  EXPECT_EQ(CodecOf("a.gzip.txt"), Codec::kNone);
}

TEST(CompressedInputTest, EachCodecReadsAsTheTextItHolds) {
  testing::TempDir dir;
  const std::string text = Text();
  testing::WriteFile(dir.File("plain.txt"), text);
  const Read plain = ReadAll(dir.File("plain.txt"), text.size());
  ASSERT_THAT(plain.status, IsOk());
  for (const Case& c : kCases) {
    const std::string compressed = c.compress(text);
    const std::string path = dir.File(absl::StrCat("in", c.extension));
    testing::WriteFile(path, compressed);
    const Read read = ReadAll(path);
    EXPECT_THAT(read.status, IsOk()) << c.extension;
    EXPECT_TRUE(read.lines == plain.lines) << c.extension;
    // Whole, however short the split says it is; what was read is the file's own bytes.
    EXPECT_EQ(read.bytes_read, compressed.size()) << c.extension;
  }
}

TEST(CompressedInputTest, ConcatenatedStreamsReadAsTheirConcatenation) {
  testing::TempDir dir;
  for (const Case& c : kCases) {
    const std::string path = dir.File(absl::StrCat("cat", c.extension));
    testing::WriteFile(path, c.compress("one\ntwo\n") + c.compress("three\n"));
    const Read read = ReadAll(path);
    EXPECT_THAT(read.status, IsOk()) << c.extension;
    EXPECT_THAT(read.lines, ::testing::ElementsAre("one", "two", "three")) << c.extension;
  }
}

TEST(CompressedInputTest, ATruncatedFileFailsNamingIt) {
  testing::TempDir dir;
  const std::string text = Text();
  for (const Case& c : kCases) {
    const std::string compressed = c.compress(text);
    const std::string path = dir.File(absl::StrCat("cut", c.extension));
    testing::WriteFile(path, compressed.substr(0, compressed.size() * 2 / 3));
    EXPECT_THAT(ReadAll(path).status,
                StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path), HasSubstr("trunc"))))
        << c.extension;
    // Cut inside the last few bytes (a gzip trailer, a zstd checksum) too.
    testing::WriteFile(path, compressed.substr(0, compressed.size() - 3));
    EXPECT_THAT(ReadAll(path).status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)))
        << c.extension;
  }
}

TEST(CompressedInputTest, CorruptBytesFailNamingTheFile) {
  testing::TempDir dir;
  for (const Case& c : kCases) {
    const std::string path = dir.File(absl::StrCat("bad", c.extension));
    testing::WriteFile(path, "these bytes were never compressed\n");
    EXPECT_THAT(ReadAll(path).status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)))
        << c.extension;
  }
}

TEST(CompressedInputTest, ACompressedFileIsReadOnlyFromItsStart) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("a.gz"), testing::Gzip("x\n"));
  EXPECT_THAT(SplitReader::Open(dir.File("a.gz"), 5, 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("read whole")));
}

TEST(CompressedInputTest, CompressionsBraidDoesNotReadAreRefusedByName) {
  EXPECT_THAT(CheckReadableCompression("/in/logs.xz"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("logs.xz")));
  EXPECT_THAT(CheckReadableCompression("/in/a.snappy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("snappy")));
  EXPECT_THAT(CheckReadableCompression("/in/a.gz"), IsOk());
  EXPECT_THAT(CheckReadableCompression("/in/a.txt"), IsOk());
}

}  // namespace
}  // namespace braid
