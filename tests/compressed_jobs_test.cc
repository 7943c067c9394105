// Jobs over compressed input: .gz, .bz2 and .zst files give what their uncompressed text gives,
// for built-in jobs (word count, the sort that samples its input) alike; a truncated one fails
// the job, naming the file. A whole cluster on the fake clock and the in-memory network.

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/split_reader.h"
#include "tests/cluster.h"
#include "tests/compressors.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using testing::OutputLines;
using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;
using testing::WriteCorpus;

using ::braid_compat::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct Codec {
  const char* extension;
  std::string (*compress)(const std::string&);
};
const Codec kCodecs[] = {{".gz", testing::Gzip}, {".bz2", testing::Bzip2}, {".zst", testing::Zstd}};

TEST(CompressedJobs, AWordCountOfCompressedFilesIsThatOfTheirText) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  for (const Codec& codec : kCodecs) {
    const std::string in = dir.File(absl::StrCat("packed", codec.extension));
    std::filesystem::create_directories(in);
    for (size_t i = 0; i < texts.size(); ++i) {
      testing::WriteFile(absl::StrCat(in, "/in-", i, ".txt", codec.extension),
                         codec.compress(texts[i]));
    }
    const std::string out = dir.File(absl::StrCat("out", codec.extension));
    absl::StatusOr<proto::JobStatus> status = cluster.Run(Spec("wordcount", in, out, 2));
    ASSERT_THAT(status, IsOk());
    ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
    EXPECT_EQ(ParseCounts(OutputLines(out)), ReferenceCounts(texts)) << codec.extension;
  }
}

TEST(CompressedJobs, TheSortOfACompressedFileIsThatOfItsRecords) {
  testing::TempDir dir;
  std::vector<std::string> records = testing::WriteSortRecords(dir.File("records"), 3000, 9);
  std::string text;
  for (const std::string& record : records) absl::StrAppend(&text, record, "\n");
  testing::WriteFile(dir.File("records.zst"), testing::Zstd(text));
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("sort", dir.File("records.zst"), dir.File("out"), 3));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> sorted = OutputLines(dir.File("out"));
  EXPECT_TRUE(testing::SortedByKey(sorted));
  std::sort(records.begin(), records.end());
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, records);
}

TEST(CompressedJobs, CompressedOutputHoldsWhatTheUncompressedWould) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  (*spec.mutable_config())["mapreduce.output.fileoutputformat.compress"] = "true";
  (*spec.mutable_config())["mapreduce.output.fileoutputformat.compress.codec"] =
      "org.apache.hadoop.io.compress.BZip2Codec";
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> lines;
  for (int part = 0; part < 2; ++part) {
    const std::string path = dir.File(absl::StrCat("out/part-r-0000", part, ".bz2"));
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    absl::StatusOr<std::unique_ptr<SplitReader>> reader = SplitReader::Open(path, 0, 1);
    ASSERT_THAT(reader, IsOk());
    Record record;
    while ((*reader)->Next(&record)) lines.emplace_back(record.line);
    ASSERT_THAT((*reader)->status(), IsOk());
  }
  EXPECT_EQ(ParseCounts(lines), ReferenceCounts(texts));
}

TEST(CompressedJobs, AReduceTaskWithNothingToWriteWritesAnEmptyCompressedFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "one\n");
  testing::Cluster cluster;
  for (const char* codec : {"GzipCodec", "BZip2Codec", "ZStandardCodec", "DefaultCodec"}) {
    const std::string out = dir.File(absl::StrCat("out-", codec));
    // One key, four reducers: three part files with nothing in them.
    proto::JobSpec spec = Spec("wordcount", dir.File("in.txt"), out, 4);
    (*spec.mutable_config())["mapreduce.output.fileoutputformat.compress"] = "true";
    (*spec.mutable_config())["mapreduce.output.fileoutputformat.compress.codec"] =
        absl::StrCat("org.apache.hadoop.io.compress.", codec);
    absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
    ASSERT_THAT(status, IsOk());
    EXPECT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << codec << ": " << status->message();
  }
}

TEST(CompressedJobs, ATruncatedFileFailsTheJobNamingIt) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&text, "word", i % 97, " other\n");
  const std::string packed = testing::Gzip(text);
  testing::WriteFile(dir.File("cut.gz"), packed.substr(0, packed.size() / 2));
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("cut.gz"), dir.File("out"), 1);
  spec.set_max_attempts(1);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), AllOf(HasSubstr(dir.File("cut.gz")), HasSubstr("truncated")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

}  // namespace
}  // namespace braid
