// Whole jobs whose shuffle goes worker to worker: each worker serves its map outputs on a data
// endpoint of its own and reducers copy what other workers hold. An in-process cluster on the
// fake clock and the in-memory network.

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cluster.h"
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

testing::Cluster::Options DataPlane(int workers) {
  testing::Cluster::Options options;
  options.workers = workers;
  options.data_plane = true;
  return options;
}

uint64_t BytesServed(testing::Cluster& cluster, int workers) {
  uint64_t served = 0;
  for (int i = 0; i < workers; ++i) served += cluster.data_server(i).bytes_served();
  return served;
}

TEST(DataPlane, WordCountFetchesAcrossWorkersAndIsExact) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster(DataPlane(3));
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 3);
  spec.set_split_size(400);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  // Reducers copied what other workers held, and only that.
  uint64_t fetched = 0;
  for (int i = 0; i < 3; ++i) fetched += cluster.fetcher(i).bytes_fetched();
  EXPECT_GT(fetched, 0u);
  EXPECT_EQ(fetched, BytesServed(cluster, 3));
}

TEST(DataPlane, SortOrdersAcrossPartFilesAndKeepsEveryRecord) {
  testing::TempDir dir;
  std::mt19937_64 random(11);
  std::vector<std::string> records;
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    std::string record(99, ' ');
    for (char& c : record) c = static_cast<char>(' ' + 1 + random() % 94);
    records.push_back(record);
    text += record + "\n";
  }
  testing::WriteFile(dir.File("records"), text);
  testing::Cluster cluster(DataPlane(2));
  proto::JobSpec spec = Spec("sort", dir.File("records"), dir.File("out"), 4);
  spec.set_split_size(30'000);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> got = OutputLines(dir.File("out"));
  EXPECT_TRUE(
      std::is_sorted(got.begin(), got.end(), [](const std::string& a, const std::string& b) {
        return a.substr(0, 10) < b.substr(0, 10);
      }));
  std::sort(got.begin(), got.end());
  std::sort(records.begin(), records.end());
  EXPECT_TRUE(got == records) << "the output is not a permutation of the input";
  EXPECT_GT(BytesServed(cluster, 2), 0u);
}

TEST(DataPlane, OutputsAHolderNoLongerHasAreMadeAgain) {
  // Every map output's file vanishes from its holder's disk after the maps ran (as when a
  // machine's scratch disk is wiped): the reducers' fetches find nothing, the maps run again,
  // and the job still ends exact.
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options = DataPlane(2);
  options.manual_tasks = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // The maps run first (reduces are assigned once every map has committed).
  bool wiped = false;
  for (int turn = 0; turn < 2000 && !HasResult(done); ++turn) {
    const JobRun* run = cluster.coordinator().job(accepted->job_id());
    if (!wiped && run != nullptr) {
      const proto::JobStatus now = run->Status(/*with_tasks=*/false);
      if (now.maps_done() == now.maps_total()) {
        // Before any reduce runs: they are queued on the workers now.
        for (int i = 0; i < 2; ++i) {
          std::filesystem::remove_all(
              absl::StrCat(cluster.scratch(), "/worker-", i, "/", accepted->job_id()));
        }
        wiped = true;
      }
    }
    for (int i = 0; i < 2; ++i) {
      while (cluster.executor(i).pending() > 0) cluster.executor(i).RunNext();
    }
    cluster.Pass(absl::Milliseconds(50));
  }
  ASSERT_TRUE(wiped);
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  // Each map ran again because a reducer found its output gone from its holder.
  const JobRun* run = cluster.coordinator().job(accepted->job_id());
  ASSERT_NE(run, nullptr);
  int rerun_maps = 0;
  const proto::JobStatus with_tasks = run->Status(/*with_tasks=*/true);
  for (const proto::TaskStatus& task : with_tasks.tasks()) {
    if (task.kind() == proto::TASK_KIND_MAP && task.attempts() > 1) ++rerun_maps;
  }
  EXPECT_GT(rerun_maps, 0);
}

}  // namespace
}  // namespace braid
