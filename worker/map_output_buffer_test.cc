// MapOutputBuffer: sorted, partitioned, combined runs, whether or not it spills.

#include "worker/map_output_buffer.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/builtin/sum_reducer.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"
#include "worker/partitioners.h"
#include "worker/run_file.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;

// Reads every run back as partition -> records.
std::map<uint32_t, std::vector<std::pair<std::string, std::string>>> ReadRuns(
    const std::vector<PartitionRun>& runs) {
  std::map<uint32_t, std::vector<std::pair<std::string, std::string>>> out;
  for (const PartitionRun& run : runs) {
    auto reader = RunReader::Open(run.path, 0, UINT64_MAX, run.crc32c);
    EXPECT_THAT(reader, IsOk());
    while ((*reader)->Next()) out[run.partition].emplace_back((*reader)->key(), (*reader)->value());
    EXPECT_THAT((*reader)->status(), IsOk());
  }
  return out;
}

// Words with Zipf-ish repetition, and their expected counts per partition.
struct Input {
  std::vector<std::string> words;
  std::map<uint32_t, std::map<std::string, int64_t>> counts;
};

Input MakeInput(int n, uint32_t partitions) {
  std::mt19937_64 random(11);
  Input input;
  for (int i = 0; i < n; ++i) {
    std::string word = absl::StrCat("w", random() % (1 + random() % 500));
    input.words.push_back(word);
    ++input.counts[HashPartition(word, partitions)][word];
  }
  return input;
}

void ExpectCounts(const std::vector<PartitionRun>& runs, const Input& input, bool combined) {
  auto read = ReadRuns(runs);
  for (const auto& [partition, counts] : input.counts) {
    const auto& records = read[partition];
    // Sorted by key.
    for (size_t i = 1; i < records.size(); ++i) {
      ASSERT_LE(records[i - 1].first, records[i].first);
    }
    std::map<std::string, int64_t> got;
    for (const auto& [word, n] : records) got[word] += std::stoll(n);
    EXPECT_EQ(got, counts) << "partition " << partition;
    if (combined) {
      EXPECT_EQ(records.size(), counts.size()) << "partition " << partition;
    }
  }
}

class MapOutputBufferTest : public ::testing::TestWithParam<std::tuple<bool, size_t>> {};

TEST_P(MapOutputBufferTest, WritesSortedPartitionedRunsWithExactCounts) {
  const auto [with_combiner, buffer_bytes] = GetParam();
  testing::TempDir dir;
  HashPartitioner partitioner;
  SumReducer combiner;
  Counters counters;
  Input input = MakeInput(50'000, 4);
  MapOutputBuffer buffer({.partitions = 4,
                          .buffer_bytes = buffer_bytes,
                          .directory = dir.path(),
                          .partitioner = &partitioner,
                          .combiner = with_combiner ? &combiner : nullptr},
                         &counters);
  for (const std::string& word : input.words) buffer.Emit(word, "1");
  auto runs = buffer.Finish();
  ASSERT_THAT(runs, IsOk());
  EXPECT_EQ(buffer.spills() > 0, buffer_bytes < (1 << 20));
  ExpectCounts(*runs, input, with_combiner);
  if (with_combiner) {
    EXPECT_GE(counters.Get(kTaskCounters, kCombineInputRecords), 50'000);
  }
}

// Without and with a combiner; a buffer that never spills, and one that spills dozens of times.
INSTANTIATE_TEST_SUITE_P(SpillsAndCombiners, MapOutputBufferTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(size_t{64} << 20, size_t{32} << 10)));

TEST(MapOutputBuffer, OnlyPartitionsWithPairsGetARun) {
  testing::TempDir dir;
  HashPartitioner partitioner;
  MapOutputBuffer buffer({.partitions = 8, .directory = dir.path(), .partitioner = &partitioner},
                         nullptr);
  buffer.Emit("only", "1");
  auto runs = buffer.Finish();
  ASSERT_THAT(runs, IsOk());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].partition, HashPartition("only", 8));
}

TEST(MapOutputBuffer, ARangePartitionerOrdersPartitions) {
  testing::TempDir dir;
  RangePartitioner partitioner({"g", "p"});
  MapOutputBuffer buffer({.partitions = 3, .directory = dir.path(), .partitioner = &partitioner},
                         nullptr);
  for (const char* key : {"zebra", "apple", "mango", "gamma", "pear", "a"}) buffer.Emit(key, "");
  auto runs = buffer.Finish();
  ASSERT_THAT(runs, IsOk());
  auto read = ReadRuns(*runs);
  EXPECT_EQ(read[0].size(), 2u);  // a, apple
  EXPECT_EQ(read[1].size(), 2u);  // gamma, mango
  EXPECT_EQ(read[2].size(), 2u);  // pear, zebra
}

}  // namespace
}  // namespace braid
