// Whole jobs whose shuffle goes worker to worker: each worker serves its map outputs on a data
// endpoint of its own and reducers copy what other workers hold. An in-process cluster on the
// fake clock and the in-memory network.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/held_blocking_calls.h"
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

// Runs every batch waiting on the executors of workers [from, to) (manual tasks).
void RunPendingTasks(testing::Cluster& cluster, int from, int to) {
  for (int i = from; i < to; ++i) {
    while (cluster.executor(i).pending() > 0) cluster.executor(i).RunNext();
  }
}

// Whether every map task of job `job_id` has completed.
bool AllMapsDone(testing::Cluster& cluster, const std::string& job_id) {
  const JobRun* run = cluster.coordinator().job(job_id);
  if (run == nullptr) return false;
  const proto::JobStatus status = run->Status(/*with_tasks=*/false);
  return status.maps_done() == status.maps_total();
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
  std::vector<std::string> records = testing::WriteSortRecords(dir.File("records"), 3000, 11);
  testing::Cluster cluster(DataPlane(2));
  proto::JobSpec spec = Spec("sort", dir.File("records"), dir.File("out"), 4);
  spec.set_split_size(30'000);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> got = OutputLines(dir.File("out"));
  EXPECT_TRUE(testing::SortedByKey(got));
  std::sort(got.begin(), got.end());
  std::sort(records.begin(), records.end());
  EXPECT_TRUE(got == records) << "the output is not a permutation of the input";
  EXPECT_GT(BytesServed(cluster, 2), 0u);
}

TEST(DataPlane, ReducesReadTheirOwnCopiesOfWhatOtherWorkersHold) {
  testing::TempDir dir;
  WriteCorpus(dir);
  testing::Cluster::Options options = DataPlane(2);
  options.manual_tasks = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  int reduces_seen = 0;
  for (int turn = 0; turn < 2000 && !HasResult(done); ++turn) {
    for (int i = 0; i < 2; ++i) {
      while (cluster.executor(i).pending() > 0) {
        for (const TaskToRun& item : cluster.executor(i).next_batch()) {
          if (item.task.attempt().kind() != proto::TASK_KIND_REDUCE) continue;
          ++reduces_seen;
          for (const proto::MapOutput& input : item.task.map_outputs()) {
            if (input.worker() == absl::StrCat("worker-", i)) {
              // Its own: read in place, from its scratch directory.
              EXPECT_THAT(input.path(), ::testing::Not(::testing::HasSubstr("/fetched-")));
            } else {
              EXPECT_THAT(input.path(), ::testing::HasSubstr(absl::StrCat(
                                            "/worker-", i, "/", accepted->job_id(), "/fetched-")));
              EXPECT_EQ(input.data_endpoint(), "");
            }
          }
        }
        cluster.executor(i).RunNext();
      }
    }
    cluster.Pass(absl::Milliseconds(50));
  }
  EXPECT_EQ(reduces_seen, 2);
  ASSERT_THAT(cluster.Await(done), IsOk());
}

TEST(DataPlane, OutputsAHolderNoLongerHasAreMadeAgain) {
  // Every map output's file vanishes from its holder's disk after the maps ran and before any
  // reducer copied it (the data plane's reads wait for the test): the holders answer NOT_FOUND,
  // the maps run again, and the job still ends exact.
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  HeldBlockingCalls data_calls;
  testing::Cluster::Options options = DataPlane(2);
  options.manual_tasks = true;
  options.data_plane_calls = &data_calls;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  bool wiped = false;
  for (int turn = 0; turn < 4000 && !HasResult(done); ++turn) {
    if (!wiped && AllMapsDone(cluster, accepted->job_id())) {
      for (int i = 0; i < 2; ++i) {
        std::filesystem::remove_all(
            absl::StrCat(cluster.scratch(), "/worker-", i, "/", accepted->job_id()));
      }
      wiped = true;
    }
    // Until the maps are done the data plane's calls are theirs (each looks whether its split's
    // file is here); after, the reducers' copies, which wait for the wipe.
    if (wiped || !AllMapsDone(cluster, accepted->job_id())) {
      while (data_calls.held() > 0) data_calls.RunNext();
    }
    RunPendingTasks(cluster, 0, 2);
    cluster.Pass(absl::Milliseconds(50));
  }
  ASSERT_TRUE(wiped);
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_GT(cluster.fetcher(0).outputs_lost() + cluster.fetcher(1).outputs_lost(), 0u)
      << "no reducer found an output gone from its holder";
  const JobRun* run = cluster.coordinator().job(accepted->job_id());
  ASSERT_NE(run, nullptr);
  int rerun_maps = 0;
  const proto::JobStatus with_tasks = run->Status(/*with_tasks=*/true);
  for (const proto::TaskStatus& task : with_tasks.tasks()) {
    if (task.kind() == proto::TASK_KIND_MAP && task.attempts() > 1) ++rerun_maps;
  }
  EXPECT_GT(rerun_maps, 0);
}

TEST(DataPlane, AHolderLostMidShuffleIsNotWaitedFor) {
  // The reducers are copying (their reads and writes wait for the test) when worker 0, which
  // holds a third of the map outputs, dies. Once the coordinator declares it lost, the others
  // give up its outputs at once (not after their requests' 3 x 30 s), its maps run again, and
  // the job ends exact.
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  HeldBlockingCalls data_calls;
  testing::Cluster::Options options = DataPlane(3);
  options.manual_tasks = true;
  options.data_plane_calls = &data_calls;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 3);
  spec.set_split_size(400);
  spec.set_no_speculation(true);  // only the copies under way can end the job in time
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // The maps run; the reduces start copying, and stay at it.
  for (int turn = 0; turn < 400; ++turn) {
    if (!AllMapsDone(cluster, accepted->job_id())) {
      while (data_calls.held() > 0) data_calls.RunNext();  // the maps' look at their splits
    }
    RunPendingTasks(cluster, 0, 3);
    cluster.Pass(absl::Milliseconds(50));
    if (data_calls.held() > 0 && AllMapsDone(cluster, accepted->job_id())) break;
  }
  ASSERT_GT(data_calls.held(), 0u) << "no reducer was copying";
  cluster.StopWorker(0);
  // Its disk goes with it (a reducer reading the path instead would find nothing).
  std::filesystem::remove_all(absl::StrCat(cluster.scratch(), "/worker-0"));
  // From now on the disks run freely; only the two living workers run tasks.
  absl::Duration passed;
  while (!HasResult(done) && passed < absl::Seconds(30)) {
    while (data_calls.held() > 0) data_calls.RunNext();
    RunPendingTasks(cluster, 1, 3);
    cluster.Pass(absl::Milliseconds(50));
    passed += absl::Milliseconds(50);
  }
  ASSERT_TRUE(HasResult(done)) << "the job did not end within 30 s of the holder's death";
  EXPECT_GT(cluster.fetcher(1).outputs_lost() + cluster.fetcher(2).outputs_lost(), 0u)
      << "no copy under way was given up";
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(DataPlane, AHoldersMapsRunAgainBeforeAnyReduceNeedsThem) {
  // Worker 0 completes some maps and dies, with its disk, and is declared lost in the map phase.
  // Its maps run again as the reduce phase begins, before any reduce is given them: no reduce
  // attempt ever finds an output gone.
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options = DataPlane(3);
  options.manual_tasks = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 3);
  spec.set_split_size(400);
  spec.set_no_speculation(true);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // Only worker 0 runs, a few of its batches.
  for (int turn = 0; turn < 3; ++turn) {
    RunPendingTasks(cluster, 0, 1);
    cluster.Pass(absl::Milliseconds(50));
  }
  const JobRun* run = cluster.coordinator().job(accepted->job_id());
  ASSERT_NE(run, nullptr);
  std::vector<uint32_t> held_by_0;
  const proto::JobStatus before = run->Status(/*with_tasks=*/true);
  for (const proto::TaskStatus& task : before.tasks()) {
    // (A map whose split owns no line, in the file of one long line, has no output to lose.)
    if (task.kind() == proto::TASK_KIND_MAP && task.worker() == "worker-0" &&
        task.state() == "completed" &&
        cluster.data_server(0).Holds(accepted->job_id(), task.task())) {
      held_by_0.push_back(task.task());
    }
  }
  ASSERT_FALSE(held_by_0.empty());
  ASSERT_LT(before.maps_done(), before.maps_total());
  cluster.StopWorker(0);
  std::filesystem::remove_all(absl::StrCat(cluster.scratch(), "/worker-0"));
  cluster.Pass(absl::Seconds(5));  // declared lost after 3 silent heartbeats, in the map phase
  for (int turn = 0; turn < 4000 && !HasResult(done); ++turn) {
    RunPendingTasks(cluster, 1, 3);
    cluster.Pass(absl::Milliseconds(50));
  }
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_EQ(cluster.fetcher(1).outputs_lost() + cluster.fetcher(2).outputs_lost(), 0u)
      << "a reduce was given an output of the lost holder";
  const proto::JobStatus after = run->Status(/*with_tasks=*/true);
  for (const proto::TaskStatus& task : after.tasks()) {
    if (task.kind() == proto::TASK_KIND_REDUCE) {
      EXPECT_EQ(task.attempts(), 1u) << "reduce " << task.task() << " had to try again";
    } else if (std::find(held_by_0.begin(), held_by_0.end(), task.task()) != held_by_0.end()) {
      EXPECT_GE(task.attempts(), 2u) << "map " << task.task() << " did not run again";
    }
  }
}

TEST(DataPlane, ADrainingHolderServesItsOutputsUntilTheirJobEnds) {
  // Worker 0 drains in the map phase: it takes no more tasks, but stays to serve the map outputs
  // it holds, so that none has to run again; it says goodbye once the job has ended.
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options = DataPlane(2);
  options.manual_tasks = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  spec.set_no_speculation(true);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // Only worker 0 runs, a few of its batches; then it drains, with maps still to run elsewhere.
  for (int turn = 0; turn < 3; ++turn) {
    RunPendingTasks(cluster, 0, 1);
    cluster.Pass(absl::Milliseconds(50));
  }
  ASSERT_FALSE(AllMapsDone(cluster, accepted->job_id()));
  ASSERT_GT(cluster.data_server(0).outputs(), 0u);
  // What worker 0 was given by the last turn runs first: a task handed back by the drain would
  // count a second attempt, which is not what this test is about.
  RunPendingTasks(cluster, 0, 1);
  Deferred<void> drained = cluster.worker(0).Drain("test");
  bool drained_early = false;
  for (int turn = 0; turn < 4000 && !HasResult(done); ++turn) {
    RunPendingTasks(cluster, 0, 2);
    cluster.Pass(absl::Milliseconds(50));
    drained_early = drained_early || (HasResult(drained) && !HasResult(done));
  }
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_FALSE(drained_early) << "the holder left while its outputs were still wanted";
  EXPECT_THAT(cluster.Await(drained), IsOk());
  EXPECT_EQ(cluster.fetcher(1).outputs_lost(), 0u);
  const proto::JobStatus after =
      cluster.coordinator().job(accepted->job_id())->Status(/*with_tasks=*/true);
  for (const proto::TaskStatus& task : after.tasks()) {
    if (task.kind() == proto::TASK_KIND_MAP) {
      EXPECT_EQ(task.attempts(), 1u) << "map " << task.task() << " ran again";
    }
  }
}

}  // namespace
}  // namespace braid
