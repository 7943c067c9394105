// Compressed output: which codec a job's properties ask for, and what each Compressor writes
// reading back, through Braid's own input reader, as the lines given to it.

#include "job/compressed_output.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/split_reader.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

proto::JobSpec With(std::vector<std::pair<std::string, std::string>> properties) {
  proto::JobSpec spec;
  for (auto& [key, value] : properties) (*spec.mutable_config())[key] = value;
  return spec;
}

TEST(CompressedOutputTest, NothingIsCompressedUnlessTheJobAsks) {
  EXPECT_THAT(OutputCodecOf(With({})), IsOkAndHolds(Codec::kNone));
  EXPECT_THAT(OutputCodecOf(With({{"mapreduce.output.fileoutputformat.compress", "false"},
                                  {"mapreduce.output.fileoutputformat.compress.codec",
                                   "org.apache.hadoop.io.compress.GzipCodec"}})),
              IsOkAndHolds(Codec::kNone));
}

TEST(CompressedOutputTest, TheCodecIsTheClassNamedAndDefaultCodecWithoutOne) {
  EXPECT_THAT(OutputCodecOf(With({{"mapreduce.output.fileoutputformat.compress", "true"}})),
              IsOkAndHolds(Codec::kDeflate));
  for (const auto& [name, codec] :
       std::vector<std::pair<std::string, Codec>>{{"GzipCodec", Codec::kGzip},
                                                  {"BZip2Codec", Codec::kBzip2},
                                                  {"ZStandardCodec", Codec::kZstd},
                                                  {"DefaultCodec", Codec::kDeflate}}) {
    EXPECT_THAT(OutputCodecOf(With({{"mapred.output.compress", "true"},
                                    {"mapred.output.compression.codec",
                                     "org.apache.hadoop.io.compress." + name}})),
                IsOkAndHolds(codec))
        << name;
  }
  EXPECT_EQ(CodecExtension(Codec::kGzip), ".gz");
  EXPECT_EQ(CodecExtension(Codec::kDeflate), ".deflate");
  EXPECT_EQ(CodecExtension(Codec::kNone), "");
}

TEST(CompressedOutputTest, CodecsBraidLacksAreRefusedByName) {
  EXPECT_THAT(OutputCodecOf(With({{"mapreduce.output.fileoutputformat.compress", "true"},
                                  {"mapreduce.output.fileoutputformat.compress.codec",
                                   "org.apache.hadoop.io.compress.Lz4Codec"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Lz4Codec")));
}

TEST(CompressedOutputTest, EachCompressorsOutputReadsBackAsItsLines) {
  testing::TempDir dir;
  std::mt19937 random(2);
  std::vector<std::string> lines;
  for (int i = 0; i < 60000; ++i) lines.push_back(absl::StrCat("line ", i, " ", random()));
  for (Codec codec : {Codec::kGzip, Codec::kBzip2, Codec::kZstd, Codec::kDeflate}) {
    std::unique_ptr<Compressor> compressor = Compressor::Make(codec);
    ASSERT_NE(compressor, nullptr);
    std::string compressed;
    // In pieces of several sizes, as a part file's writer gives them.
    std::string piece;
    for (size_t i = 0; i < lines.size(); ++i) {
      absl::StrAppend(&piece, lines[i], "\n");
      if (i % 997 == 0 || piece.size() > 100000) {
        ASSERT_THAT(compressor->Compress(piece, &compressed), IsOk());
        piece.clear();
      }
    }
    ASSERT_THAT(compressor->Compress(piece, &compressed), IsOk());
    ASSERT_THAT(compressor->Finish(&compressed), IsOk());
    const std::string path = dir.File(absl::StrCat("part", CodecExtension(codec)));
    testing::WriteFile(path, compressed);
    absl::StatusOr<std::unique_ptr<SplitReader>> reader = SplitReader::Open(path, 0, 1);
    ASSERT_THAT(reader, IsOk());
    std::vector<std::string> read;
    Record record;
    while ((*reader)->Next(&record)) read.emplace_back(record.line);
    EXPECT_THAT((*reader)->status(), IsOk());
    EXPECT_TRUE(read == lines) << CodecExtension(codec);
    EXPECT_LT(compressed.size(), lines.size() * 10) << CodecExtension(codec);
  }
}

TEST(CompressedOutputTest, AnEmptyOutputIsAnEmptyStreamOfEachCodec) {
  testing::TempDir dir;
  for (Codec codec : {Codec::kGzip, Codec::kBzip2, Codec::kZstd, Codec::kDeflate}) {
    std::unique_ptr<Compressor> compressor = Compressor::Make(codec);
    std::string compressed;
    ASSERT_THAT(compressor->Compress("", &compressed), IsOk()) << CodecExtension(codec);
    ASSERT_THAT(compressor->Finish(&compressed), IsOk()) << CodecExtension(codec);
    const std::string path = dir.File(absl::StrCat("empty", CodecExtension(codec)));
    testing::WriteFile(path, compressed);
    absl::StatusOr<std::unique_ptr<SplitReader>> reader = SplitReader::Open(path, 0, 1);
    ASSERT_THAT(reader, IsOk());
    Record record;
    EXPECT_FALSE((*reader)->Next(&record)) << CodecExtension(codec);
    EXPECT_THAT((*reader)->status(), IsOk()) << CodecExtension(codec);
  }
}

}  // namespace
}  // namespace braid
