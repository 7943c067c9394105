// The bigrams job on an in-process cluster (coordinator, workers and client on a fake clock):
// how to test a job of one's own end to end, in milliseconds.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cluster.h"

namespace bigrams {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> OutputLines(const std::string& dir) {
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!absl::StartsWith(entry.path().filename().string(), "part-")) continue;
    for (absl::string_view line :
         absl::StrSplit(braid::testing::ReadFile(entry.path().string()), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

braid::proto::JobSpec Bigrams(const braid::testing::TempDir& dir) {
  braid::proto::JobSpec spec;
  spec.set_job("bigrams");
  spec.add_inputs(dir.File("in-*"));
  spec.set_output(dir.File("out"));
  spec.set_reducers(2);
  return spec;
}

TEST(Bigrams, CountsAdjacentPairsWithinLines) {
  braid::testing::TempDir dir;
  braid::testing::WriteFile(dir.File("in-1"), "the cat sat\nthe cat ran\n");
  braid::testing::WriteFile(dir.File("in-2"), "a\tthe cat\n");
  braid::testing::Cluster cluster;
  absl::StatusOr<braid::proto::JobStatus> status = cluster.Run(Bigrams(dir));
  ASSERT_TRUE(status.ok()) << status.status();
  ASSERT_EQ(status->state(), braid::proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_THAT(OutputLines(dir.File("out")),
              ElementsAre("a the\t1", "cat ran\t1", "cat sat\t1", "the cat\t3"));
}

TEST(Bigrams, MinCountDropsRarePairsAndCountsThem) {
  braid::testing::TempDir dir;
  braid::testing::WriteFile(dir.File("in-1"), "x y\nx y\ny z\n");
  braid::testing::Cluster cluster;
  braid::proto::JobSpec spec = Bigrams(dir);
  (*spec.mutable_config())["min_count"] = "2";
  absl::StatusOr<braid::proto::JobStatus> status = cluster.Run(spec);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(OutputLines(dir.File("out")), ElementsAre("x y\t2"));
  int64_t dropped = 0;
  for (const braid::proto::Counter& counter : status->counters()) {
    if (counter.name() == "RARE_PAIRS_DROPPED") dropped = counter.value();
  }
  EXPECT_EQ(dropped, 1);
}

TEST(Bigrams, ABadMinCountIsRefusedAtSubmit) {
  braid::testing::TempDir dir;
  braid::testing::WriteFile(dir.File("in-1"), "x y\n");
  braid::testing::Cluster cluster;
  braid::proto::JobSpec spec = Bigrams(dir);
  (*spec.mutable_config())["min_count"] = "0";
  absl::StatusOr<braid::proto::JobStatus> status = cluster.Run(spec);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.status().message()), ::testing::HasSubstr("min_count"));
}

}  // namespace
}  // namespace bigrams
