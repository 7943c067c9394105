// MergeToFanIn: many sorted runs merged in passes down to a few, which merge to what all of them
// would; on a FakeEnv.

#include "worker/run_merger.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"
#include "worker/run_file.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::SizeIs;

using Records = std::vector<std::pair<std::string, std::string>>;

// Writes `count` runs to /runs: run i holds keys k(i % 7), k(i % 7 + 3) and k50, each valued
// with the run's number, so that the order of equal keys shows which run came first.
std::vector<RunLocation> WriteRuns(FakeEnv& env, int count) {
  EXPECT_THAT(env.CreateDirs("/runs"), IsOk());
  std::vector<RunLocation> runs;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::unique_ptr<RunWriter>> writer =
        RunWriter::Create(absl::StrCat("/runs/", i), env);
    EXPECT_THAT(writer, IsOk());
    for (int key : {i % 7, i % 7 + 3, 50}) {
      (*writer)->Add(absl::StrFormat("k%02d", key), absl::StrCat(i));
    }
    EXPECT_THAT((*writer)->Finish(), IsOk());
    runs.push_back({(*writer)->path(), (*writer)->bytes(), (*writer)->crc32c()});
  }
  return runs;
}

Records MergeAll(FakeEnv& env, const std::vector<RunLocation>& runs) {
  std::vector<std::unique_ptr<RunReader>> readers;
  for (const RunLocation& run : runs) {
    readers.push_back(RunReader::Open(run.path, 0, UINT64_MAX, run.crc32c, env).value());
  }
  RunMerger merger(std::move(readers));
  Records records;
  while (merger.Next()) records.emplace_back(merger.key(), merger.value());
  EXPECT_THAT(merger.status(), IsOk());
  return records;
}

TEST(MergeToFanIn, ManyRunsBecomeAFewThatMergeToTheSameRecordsInTheSameOrder) {
  FakeEnv env;
  const std::vector<RunLocation> runs = WriteRuns(env, 200);
  const Records all = MergeAll(env, runs);
  absl::StatusOr<MergedRuns> merged = MergeToFanIn(runs, "/merges", 8, env);
  ASSERT_THAT(merged, IsOk());
  // 200 -> 25 (every group of 8) -> 8 (3 groups of the first 20; the 5 others as they are).
  EXPECT_THAT(merged->runs, SizeIs(8));
  EXPECT_EQ(MergeAll(env, merged->runs), all);
  EXPECT_GT(merged->bytes_read, 0u);
  // The passes' runs are gone but for the last ones; the map outputs stay.
  EXPECT_THAT(env.GetChildren("/merges").value(), SizeIs(8));
  EXPECT_THAT(env.GetChildren("/runs").value(), SizeIs(200));
}

TEST(MergeToFanIn, OneRunTooManyMergesJustTwo) {
  FakeEnv env;
  const std::vector<RunLocation> runs = WriteRuns(env, 9);
  absl::StatusOr<MergedRuns> merged = MergeToFanIn(runs, "/merges", 8, env);
  ASSERT_THAT(merged, IsOk());
  ASSERT_THAT(merged->runs, SizeIs(8));
  EXPECT_EQ(merged->bytes_read, runs[0].bytes + runs[1].bytes);
  EXPECT_EQ(merged->runs[1].path, runs[2].path);
  EXPECT_EQ(MergeAll(env, merged->runs), MergeAll(env, runs));
}

TEST(MergeToFanIn, RunsWithinTheFanInAreLeftAsTheyAre) {
  FakeEnv env;
  const std::vector<RunLocation> runs = WriteRuns(env, 8);
  absl::StatusOr<MergedRuns> merged = MergeToFanIn(runs, "/merges", 8, env);
  ASSERT_THAT(merged, IsOk());
  ASSERT_THAT(merged->runs, SizeIs(8));
  EXPECT_EQ(merged->runs[3].path, runs[3].path);
  EXPECT_FALSE(env.Exists("/merges"));
}

TEST(MergeToFanIn, AMissingOrCorruptRunIsItsError) {
  FakeEnv env;
  std::vector<RunLocation> runs = WriteRuns(env, 20);
  runs[13].crc32c ^= 1;
  EXPECT_THAT(MergeToFanIn(runs, "/merges", 4, env).status(),
              StatusIs(absl::StatusCode::kDataLoss));
  runs[13].crc32c ^= 1;
  ASSERT_THAT(env.RemoveFile(runs[17].path), IsOk());
  EXPECT_THAT(MergeToFanIn(runs, "/merges", 4, env).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(MergeToFanIn, ACancelledMergeStops) {
  FakeEnv env;
  const std::vector<RunLocation> runs = WriteRuns(env, 20);
  EXPECT_THAT(MergeToFanIn(runs, "/merges", 4, env, [] { return true; }).status(),
              StatusIs(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace braid
