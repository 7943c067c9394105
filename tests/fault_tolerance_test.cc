// Faults through an in-process cluster on the fake clock: stragglers and backup attempts, bad
// records, failing workers, lost map outputs, and a coordinator that restarts from its journal.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/fake_env.h"
#include "coordinator/journal.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/output_layout.h"
#include "reactor/held_blocking_calls.h"
#include "tests/cluster.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OutputLines;
using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;
using testing::WriteCorpus;

// A job whose mapper fails on every line that contains "bad".
class BadLineMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    if (absl::StrContains(record.line, "bad")) return absl::DataLossError("a bad record");
    out.Emit(record.line, "");
    return absl::OkStatus();
  }
};
BRAID_REGISTER_JOB(JobDefinition{
    .name = "bad-lines",
    .mapper = [] { return std::make_unique<BadLineMapper>(); },
});

testing::Cluster::Options ManualCluster() {
  testing::Cluster::Options options;
  options.workers = 2;
  options.slots = 1;
  options.manual_tasks = true;
  return options;
}

// Runs every pending task of the workers in `running` and advances the clock, step by step, until
// `done` has a result or `limit` of fake time has passed.
template <typename T>
void RunUntil(testing::Cluster& cluster, const Deferred<T>& done, std::vector<int> running,
              absl::Duration limit) {
  for (absl::Duration passed; passed < limit && !HasResult(done);
       passed += absl::Milliseconds(10)) {
    for (int worker : running) {
      while (cluster.executor(worker).pending() > 0) cluster.executor(worker).RunNext();
    }
    cluster.clock().Advance(absl::Milliseconds(10));
  }
}

// The job of `id` in the coordinator, which must know it.
const JobRun& JobOf(testing::Cluster& cluster, const std::string& id) {
  const JobRun* job = cluster.coordinator().job(id);
  CHECK(job != nullptr) << id;
  return *job;
}

TEST(Speculation, AStragglersTaskGetsABackupOnAnotherWorkerThatWins) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster(ManualCluster());
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(2000);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // Worker 1 never finishes anything: each task it takes is a straggler.
  RunUntil(cluster, done, {0}, absl::Minutes(2));
  ASSERT_TRUE(HasResult(done)) << "the job waited for the straggler";
  proto::JobStatus status = ResultNow(done)->value();
  EXPECT_EQ(status.state(), proto::JOB_STATE_SUCCEEDED) << status.message();
  EXPECT_LT(status.elapsed_ms(), 30'000u);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_GT(cluster.executor(1).pending(), 0u) << "the straggler's attempt never ended";
}

TEST(Speculation, ATaskOnAWorkerKnownToBeSlowIsBackedUpWithoutWaiting) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster(ManualCluster());
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(2000);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  // Worker 1 finishes a task every 400 ms, worker 0 every 10 ms: worker 1's tasks take far
  // longer than their peers, but none runs a whole second (the age at which any task is backed
  // up). Worker 1's last tasks are backed up all the same, once nothing else waits.
  for (int step = 0; step < 6000 && !HasResult(done); ++step) {
    while (cluster.executor(0).pending() > 0) cluster.executor(0).RunNext();
    if (step % 40 == 0 && cluster.executor(1).pending() > 0) cluster.executor(1).RunNext();
    cluster.clock().Advance(absl::Milliseconds(10));
  }
  ASSERT_TRUE(HasResult(done));
  EXPECT_EQ(ResultNow(done)->value().state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  Result<proto::StatusResponse> detail = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(detail, IsOk());
  int backed_up = 0;
  for (const proto::TaskStatus& task : detail->jobs(0).tasks()) backed_up += task.attempts() > 1;
  EXPECT_GT(backed_up, 0);
}

TEST(Speculation, WithoutSpeculationTheJobWaitsForTheStraggler) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster(ManualCluster());
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(2000);
  spec.set_no_speculation(true);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  RunUntil(cluster, done, {0}, absl::Minutes(2));
  EXPECT_FALSE(HasResult(done));
  // The straggler catches up at last.
  RunUntil(cluster, done, {0, 1}, absl::Minutes(2));
  ASSERT_TRUE(HasResult(done));
  EXPECT_EQ(ResultNow(done)->value().state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(SkipMode, ARecordThatFailsTwiceIsSkippedCountedAndListed) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "fine\nbad record\nalso fine\n");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("bad-lines", dir.File("in"), dir.File("out"), 1);
  spec.set_skip_bad_records(1);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_THAT(OutputLines(dir.File("out")), ElementsAre("also fine\t", "fine\t"));
  Result<proto::StatusResponse> detail = cluster.Await(cluster.client().Status(status->job_id()));
  ASSERT_THAT(detail, IsOk());
  const proto::TaskStatus& map = detail->jobs(0).tasks(0);
  EXPECT_THAT(map.skipped_records(), ElementsAre(1u));
  EXPECT_EQ(map.errors_size(), 2);
  EXPECT_THAT(map.errors(0), HasSubstr("a bad record"));
  int64_t skipped = 0;
  for (const proto::Counter& counter : detail->jobs(0).counters()) {
    if (absl::StrContains(counter.name(), "SKIPPED")) skipped += counter.value();
  }
  EXPECT_EQ(skipped, 1);
}

TEST(SkipMode, NoMoreRecordsAreSkippedThanAllowed) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "bad one\nbad two\nfine\n");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("bad-lines", dir.File("in"), dir.File("out"), 1);
  spec.set_skip_bad_records(1);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("map task 0 failed"));
  EXPECT_THAT(status->message(), HasSubstr("record 1"));
}

TEST(SkipMode, AFailureNotOfARecordIsNotForgivenAndSkipsNothing) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "fine\n");
  testing::Cluster::Options options;
  options.workers = 1;
  options.failing_workers = {0};  // every attempt fails before it reads a record
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("bad-lines", dir.File("in"), dir.File("out"), 1);
  spec.set_skip_bad_records(5);
  spec.set_max_attempts(3);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("map task 0 failed 3 times"));
  Result<proto::StatusResponse> detail = cluster.Await(cluster.client().Status(status->job_id()));
  ASSERT_THAT(detail, IsOk());
  EXPECT_EQ(detail->jobs(0).tasks(0).errors_size(), 3);
}

TEST(Blacklist, AWorkerWhoseAttemptsKeepFailingGetsNoMoreOfTheJob) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options;
  options.failing_workers = {0};
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  spec.set_max_attempts(2);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(Blacklist, TheOnlyWorkerLeftIsNotAvoided) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "a b c\n");
  testing::Cluster::Options options;
  options.workers = 1;
  options.failing_workers = {0};
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in"), dir.File("out"), 1);
  spec.set_max_attempts(5);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("failed 5 times"));
  EXPECT_THAT(status->message(), HasSubstr("injected fault"));
}

TEST(LostMapOutput, AReduceThatCannotReadAMapOutputHasTheMapRunAgain) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster(ManualCluster());
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(2000);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  const JobRun& job = JobOf(cluster, accepted->job_id());
  for (int steps = 0; steps < 10000 && job.state() != proto::JOB_STATE_REDUCING; ++steps) {
    for (int worker : {0, 1}) {
      while (cluster.executor(worker).pending() > 0) cluster.executor(worker).RunNext();
    }
    cluster.clock().Advance(absl::Milliseconds(10));
  }
  ASSERT_EQ(job.state(), proto::JOB_STATE_REDUCING);
  // Worker 0's disk goes away with the map outputs it held.
  std::filesystem::remove_all(cluster.scratch() + "/worker-0");
  RunUntil(cluster, done, {0, 1}, absl::Minutes(5));
  ASSERT_TRUE(HasResult(done));
  EXPECT_EQ(ResultNow(done)->value().state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  Result<proto::StatusResponse> detail = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(detail, IsOk());
  int rerun = 0;
  for (const proto::TaskStatus& task : detail->jobs(0).tasks()) {
    if (task.kind() == proto::TASK_KIND_REDUCE && task.errors_size() > 0) {
      EXPECT_THAT(task.errors(0), HasSubstr("could not be read; they run again"));
    }
    rerun += task.kind() == proto::TASK_KIND_MAP && task.attempts() > 1;
  }
  EXPECT_GT(rerun, 0);
}

// The journal's task commits, by "JOB kind task".
std::map<std::string, int> CommitsIn(const std::string& state_dir) {
  absl::StatusOr<Journal::Contents> contents = ReadJournal(*Env::Default(), state_dir + "/journal");
  EXPECT_THAT(contents, IsOk());
  std::map<std::string, int> commits;
  if (!contents.ok()) return commits;
  for (const proto::JournalRecord& record : contents->records) {
    if (!record.has_task_committed()) continue;
    const proto::TaskAttempt& attempt = record.task_committed().result().attempt();
    ++commits[absl::StrCat(record.job_id(), " ", attempt.kind(), " ", attempt.task())];
  }
  return commits;
}

TEST(Journal, ARestartedCoordinatorResumesTheJobKeepingWhatCommitted) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options = ManualCluster();
  options.state_dir = dir.File("state");
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  std::vector<uint32_t> maps_seen;
  Deferred<proto::JobStatus> done = cluster.client().Watch(
      accepted->job_id(),
      [&](const proto::JobStatus& status) { maps_seen.push_back(status.maps_done()); });
  // A few map tasks commit: each worker runs its first batch (one task: nothing is known of the
  // job's tasks yet).
  for (int steps = 0;
       steps < 100 && JobOf(cluster, accepted->job_id()).Status(false).maps_done() == 0; ++steps) {
    for (int worker : {0, 1}) {
      if (cluster.executor(worker).pending() > 0) cluster.executor(worker).RunNext();
    }
    cluster.clock().Advance(absl::Milliseconds(100));
  }
  const uint32_t committed_before = JobOf(cluster, accepted->job_id()).Status(false).maps_done();
  ASSERT_GT(committed_before, 0u);
  ASSERT_LT(committed_before, JobOf(cluster, accepted->job_id()).Status(false).maps_total());

  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  const JobRun& resumed = JobOf(cluster, accepted->job_id());
  EXPECT_EQ(resumed.Status(false).maps_done(), committed_before);
  RunUntil(cluster, done, {0, 1}, absl::Minutes(5));
  ASSERT_TRUE(HasResult(done)) << "the watching client did not hear the end";
  EXPECT_EQ(ResultNow(done)->value().state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  for (const auto& [task, commits] : CommitsIn(dir.File("state"))) {
    EXPECT_EQ(commits, 1) << task << " committed more than once";
  }
  EXPECT_GT(maps_seen.back(), committed_before);
}

TEST(Journal, AnEndedJobIsRememberedAcrossRestartsAndNewJobsGetNewIds) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "a b a\n");
  testing::Cluster::Options options;
  options.state_dir = dir.File("state");
  testing::Cluster cluster(options);
  absl::StatusOr<proto::JobStatus> first =
      cluster.Run(Spec("wordcount", dir.File("in"), dir.File("out1"), 1));
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->state(), proto::JOB_STATE_SUCCEEDED);

  // Twice: the second start reads a journal compacted by the first.
  for (int restart = 0; restart < 2; ++restart) {
    ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
    cluster.Pass(absl::Seconds(10));  // the client and workers find the new coordinator
    Result<proto::StatusResponse> remembered =
        cluster.Await(cluster.client().Status(first->job_id()));
    ASSERT_THAT(remembered, IsOk());
    EXPECT_EQ(remembered->jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(remembered->jobs(0).maps_done(), 1u);
  }
  absl::StatusOr<proto::JobStatus> second =
      cluster.Run(Spec("wordcount", dir.File("in"), dir.File("out2"), 1));
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_NE(second->job_id(), first->job_id());
  EXPECT_GT(second->job_id(), first->job_id());
}

TEST(Journal, ASecondCoordinatorOnTheSameStateDirectoryIsRefused) {
  testing::TempDir dir;
  testing::Cluster::Options options;
  options.state_dir = dir.File("state");
  testing::Cluster cluster(options);
  FakeClock clock;
  MemoryNetwork network(clock);
  CoordinatorOptions second_options;
  second_options.state_dir = dir.File("state");
  Coordinator second(clock, *network.Listen("second"), JobRegistry::Global(), second_options);
  EXPECT_THAT(second.Recover(), braid_compat::testing::StatusIs(absl::StatusCode::kUnavailable,
                                                                HasSubstr("another coordinator")));
}

proto::JobSpec Noop(int tasks) {
  proto::JobSpec spec;
  spec.set_job("noop");
  (*spec.mutable_config())["tasks"] = absl::StrCat(tasks);
  return spec;
}

TEST(Journal, OnceTheJournalFailsSubmitsAreRefusedAndStatusSaysWhy) {
  FakeEnv env;
  testing::Cluster::Options options;
  options.state_dir = "/state";
  options.coordinator_env = &env;
  testing::Cluster cluster(options);
  absl::StatusOr<proto::JobStatus> first = cluster.Run(Noop(2));
  ASSERT_THAT(first, braid_compat::testing::IsOk());
  EXPECT_EQ(first->state(), proto::JOB_STATE_SUCCEEDED);

  env.FailOn(FakeEnv::Op::kSync, "journal",
             absl::ResourceExhaustedError("No space left on device"));
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Noop(2))),
              braid_compat::testing::StatusIs(absl::StatusCode::kUnavailable,
                                              HasSubstr("No space left on device")));
  env.ClearFailures();
  // Sticky: the disk has room again, but what the journal lost is not back.
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Noop(2))),
              braid_compat::testing::StatusIs(absl::StatusCode::kUnavailable));
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status());
  ASSERT_THAT(status, braid_compat::testing::IsOk());
  EXPECT_THAT(status->journal_error(), HasSubstr("No space left on device"));
  // A restart on the mended disk works again, and knows nothing of the refused jobs.
  ASSERT_THAT(cluster.RestartCoordinator(), braid_compat::testing::IsOk());
  cluster.Pass(absl::Seconds(5));
  Result<proto::StatusResponse> restarted = cluster.Await(cluster.client().Status());
  ASSERT_THAT(restarted, braid_compat::testing::IsOk());
  ASSERT_EQ(restarted->jobs_size(), 1);
  EXPECT_EQ(restarted->jobs(0).job_id(), first->job_id());
  EXPECT_TRUE(restarted->journal_error().empty());
  absl::StatusOr<proto::JobStatus> after = cluster.Run(Noop(2));
  ASSERT_THAT(after, braid_compat::testing::IsOk());
  EXPECT_EQ(after->state(), proto::JOB_STATE_SUCCEEDED);
}

// A cluster whose coordinator journals to /state on `env`, with one worker whose tasks run when
// the test says and whose part files reach `env` (through the data plane).
testing::Cluster::Options OneHeldWorkerJournaledOn(FakeEnv& env) {
  testing::Cluster::Options options;
  options.state_dir = "/state";
  options.coordinator_env = &env;
  options.manual_tasks = true;
  options.workers = 1;
  options.data_plane = true;
  return options;
}

TEST(Journal, ASuccessWhoseEndIsNotJournaledIsNotReportedAsOneAndDoesNotRunAgain) {
  FakeEnv env;
  testing::Cluster cluster(OneHeldWorkerJournaledOn(env));
  proto::JobSpec spec = Noop(2);
  spec.set_output("/out");
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, braid_compat::testing::IsOk());
  // The disk fills after the submit was journaled: neither the commits nor the end reach it.
  env.FailOn(FakeEnv::Op::kSync, "journal", absl::ResourceExhaustedError("No space left"));
  cluster.Pass(absl::Milliseconds(100));
  while (cluster.executor(0).pending() > 0) {
    cluster.executor(0).RunNext();
    cluster.Pass(absl::Milliseconds(100));
  }
  Result<proto::StatusResponse> ended = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(ended, braid_compat::testing::IsOk());
  ASSERT_EQ(ended->jobs_size(), 1);
  EXPECT_EQ(ended->jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(ended->jobs(0).end_not_journaled());
  EXPECT_THAT(ended->jobs(0).message(), HasSubstr("not durable"));
  EXPECT_THAT(ended->jobs(0).message(), HasSubstr("No space left"));

  // Restarted on a mended disk, the coordinator finds the output committed by this very job.
  env.ClearFailures();
  ASSERT_THAT(cluster.RestartCoordinator(), braid_compat::testing::IsOk());
  cluster.Pass(absl::Seconds(5));
  EXPECT_EQ(cluster.executor(0).pending(), 0u);
  Result<proto::StatusResponse> resumed =
      cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(resumed, braid_compat::testing::IsOk());
  ASSERT_EQ(resumed->jobs_size(), 1);
  EXPECT_EQ(resumed->jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(resumed->jobs(0).end_not_journaled());
  EXPECT_THAT(resumed->jobs(0).message(), HasSubstr("nothing ran again"));
  EXPECT_TRUE(env.Exists("/out/_SUCCESS"));
}

TEST(Journal, AResumedJobWhoseOutputAnotherJobCommittedFailsAndLeavesThatOutput) {
  FakeEnv env;
  testing::Cluster::Options options;
  options.state_dir = "/state";
  options.coordinator_env = &env;
  options.manual_tasks = true;  // the job is still running when the coordinator stops
  testing::Cluster cluster(options);
  proto::JobSpec spec = Noop(2);
  spec.set_output("/out");
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  cluster.Pass(absl::Milliseconds(100));
  cluster.StopCoordinator();
  // Meanwhile (its end lost) another job took the directory and committed its own output.
  ASSERT_THAT(env.RemoveAll("/out"), IsOk());
  ASSERT_THAT(env.CreateDirs("/out"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/out/part-m-00000", "the other job's\n"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/out/_SUCCESS", SuccessMarkerContents("job_other_0001")),
              IsOk());
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  cluster.Pass(absl::Seconds(5));
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->jobs_size(), 1);
  EXPECT_EQ(status->jobs(0).state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->jobs(0).message(),
              HasSubstr("holds job job_other_0001's committed output now"));
  EXPECT_EQ(env.ReadFile("/out/part-m-00000").value(), "the other job's\n");
  EXPECT_TRUE(env.Exists("/out/_SUCCESS"));
}

TEST(Journal, AResumedOverwriteThatHadNotReplacedTheOldOutputReplacesItThen) {
  FakeEnv env;
  testing::Cluster cluster(OneHeldWorkerJournaledOn(env));
  proto::JobSpec spec = Noop(1);
  spec.set_output("/out");
  spec.set_overwrite(true);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  cluster.Pass(absl::Milliseconds(100));
  cluster.StopCoordinator();
  // As if the coordinator had stopped before the old output (an earlier job's) was removed.
  const std::string& id = accepted->job_id();
  const std::string earlier = id.substr(0, id.rfind('_')) + "_0000";
  ASSERT_THAT(env.WriteStringToFile("/out/part-m-00007", "the earlier job's\n"), IsOk());
  ASSERT_THAT(env.WriteStringToFile("/out/_SUCCESS", SuccessMarkerContents(earlier)), IsOk());
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  const auto committed_by_it = [&] {
    absl::StatusOr<std::string> marker = env.ReadFile("/out/_SUCCESS");
    return marker.ok() && *marker == SuccessMarkerContents(id);
  };
  for (int i = 0; i < 100 && !committed_by_it(); ++i) {
    while (cluster.executor(0).pending() > 0) cluster.executor(0).RunNext();
    cluster.Pass(absl::Milliseconds(100));
  }
  cluster.Pass(absl::Seconds(5));  // the client finds the new coordinator
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status(id));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->jobs_size(), 1);
  EXPECT_EQ(status->jobs(0).state(), proto::JOB_STATE_SUCCEEDED) << status->jobs(0).message();
  EXPECT_FALSE(env.Exists("/out/part-m-00007"));
}

TEST(Journal, AFailedJobWhoseEndIsNotOnRecordKeepsItsOutput) {
  FakeEnv env;
  testing::Cluster::Options options;
  options.state_dir = "/state";
  options.coordinator_env = &env;
  options.manual_tasks = true;  // the tasks never run: the job is cancelled first
  testing::Cluster cluster(options);
  std::string unrecorded;
  for (const bool journal_fails : {false, true}) {
    SCOPED_TRACE(journal_fails ? "the end cannot be journaled" : "the end is journaled");
    proto::JobSpec spec = Noop(2);
    const std::string output = journal_fails ? "/out-kept" : "/out-removed";
    spec.set_output(output);
    Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
    ASSERT_THAT(accepted, braid_compat::testing::IsOk());
    cluster.Pass(absl::Milliseconds(100));
    ASSERT_TRUE(env.Exists(output));
    if (journal_fails) env.FailOn(FakeEnv::Op::kSync, "journal", absl::DataLossError("EIO"));
    ASSERT_THAT(cluster.Await(cluster.client().Cancel(accepted->job_id())),
                braid_compat::testing::IsOk());
    cluster.Pass(absl::Milliseconds(100));
    EXPECT_EQ(env.Exists(output), journal_fails);
    if (journal_fails) unrecorded = accepted->job_id();
  }
  // A restart resumes the job whose end is not on record: it needs what it committed.
  env.ClearFailures();
  ASSERT_THAT(cluster.RestartCoordinator(), braid_compat::testing::IsOk());
  cluster.Pass(absl::Seconds(5));  // the client finds the new coordinator
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status(unrecorded));
  ASSERT_THAT(status, braid_compat::testing::IsOk());
  ASSERT_EQ(status->jobs_size(), 1);
  EXPECT_EQ(status->jobs(0).state(), proto::JOB_STATE_MAPPING);
  EXPECT_TRUE(env.Exists("/out-kept"));
}

proto::JobSpec WithSubmissionId(proto::JobSpec spec, const std::string& id) {
  spec.set_submission_id(id);
  return spec;
}

TEST(Submit, TheSameSubmissionSentTwiceMakesOneJob) {
  testing::Cluster cluster;
  Result<proto::JobAccepted> first =
      cluster.Await(cluster.client().Submit(WithSubmissionId(Noop(2), "s-1")));
  ASSERT_THAT(first, IsOk());
  Result<proto::JobAccepted> again =
      cluster.Await(cluster.client().Submit(WithSubmissionId(Noop(2), "s-1")));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->job_id(), first->job_id());
  EXPECT_EQ(again->map_tasks(), 2u);
  Result<proto::JobAccepted> other =
      cluster.Await(cluster.client().Submit(WithSubmissionId(Noop(2), "s-2")));
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(other->job_id(), first->job_id());
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status());
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->jobs_size(), 2);
}

TEST(Submit, AfterARestartASubmitSentAgainFindsTheJobItMade) {
  FakeEnv env;
  testing::Cluster::Options options;
  options.state_dir = "/state";
  options.coordinator_env = &env;
  testing::Cluster cluster(options);
  absl::StatusOr<proto::JobStatus> ended = cluster.Run(WithSubmissionId(Noop(2), "ended"));
  ASSERT_THAT(ended, IsOk());
  ASSERT_EQ(ended->state(), proto::JOB_STATE_SUCCEEDED);
  options.manual_tasks = true;
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  cluster.Pass(absl::Seconds(5));
  Result<proto::JobAccepted> again =
      cluster.Await(cluster.client().Submit(WithSubmissionId(Noop(2), "ended")));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->job_id(), ended->job_id());
  // Twice: the second start reads the journal the first compacted.
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  cluster.Pass(absl::Seconds(5));
  again = cluster.Await(cluster.client().Submit(WithSubmissionId(Noop(2), "ended")));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->job_id(), ended->job_id());
}

// Runs the coordinator's held calls until `submitted` is answered; then the answer must name the
// one job the coordinator knows.
void ExpectTheOneJob(testing::Cluster& cluster, HeldBlockingCalls& held,
                     Deferred<proto::JobAccepted>& submitted) {
  for (int i = 0; i < 1000 && !HasResult(submitted); ++i) {
    while (held.held() > 0) held.RunNext();
    cluster.Pass(absl::Milliseconds(10));
  }
  Result<proto::JobAccepted> accepted = cluster.Await(submitted);
  ASSERT_THAT(accepted, IsOk());
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status());
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->jobs_size(), 1);
  EXPECT_EQ(status->jobs(0).job_id(), accepted->job_id());
}

TEST(Submit, ASubmitWhoseAnswerIsLostIsSentAgainAndFindsTheOneJobItMade) {
  testing::TempDir dir;
  WriteCorpus(dir);
  HeldBlockingCalls held;
  testing::Cluster::Options options;
  options.state_dir = dir.File("state");
  options.coordinator_blocking_calls = &held;
  testing::Cluster cluster(options);
  Deferred<proto::JobAccepted> submitted =
      cluster.client().Submit(Spec("wordcount", dir.File("in-*"), dir.File("out"), 2));
  cluster.Pass(absl::Milliseconds(50));
  // The first coordinator plans the job and journals it; its answer is lost, and it dies.
  ASSERT_EQ(held.held(), 1u);
  cluster.network().DropNext(1);
  held.RunNext();
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  EXPECT_FALSE(HasResult(submitted));
  ExpectTheOneJob(cluster, held, submitted);
}

TEST(Submit, ASubmitLostWithTheCoordinatorIsSentAgainToTheNextOne) {
  testing::TempDir dir;
  WriteCorpus(dir);
  HeldBlockingCalls held;
  testing::Cluster::Options options;
  options.state_dir = dir.File("state");
  options.coordinator_blocking_calls = &held;
  testing::Cluster cluster(options);
  Deferred<proto::JobAccepted> submitted =
      cluster.client().Submit(Spec("wordcount", dir.File("in-*"), dir.File("out"), 2));
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_EQ(held.held(), 1u);
  // The coordinator dies while it plans: it never journaled the job.
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  ExpectTheOneJob(cluster, held, submitted);
}

TEST(Submit, TheSameSubmissionSentAgainWhileItIsPlannedWaitsForTheOneJob) {
  testing::TempDir dir;
  WriteCorpus(dir);
  HeldBlockingCalls held;
  testing::Cluster::Options options;
  options.coordinator_blocking_calls = &held;
  testing::Cluster cluster(options);
  Client other(cluster.clock(), cluster.network().Connect("coordinator"));
  ASSERT_THAT(cluster.Await(other.Connect()), IsOk());
  const proto::JobSpec spec =
      WithSubmissionId(Spec("wordcount", dir.File("in-*"), dir.File("out"), 2), "same");
  Deferred<proto::JobAccepted> first = cluster.client().Submit(spec);
  cluster.Pass(absl::Milliseconds(50));
  Deferred<proto::JobAccepted> second = other.Submit(spec);
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_EQ(held.held(), 1u);  // planned once
  held.RunNext();
  Result<proto::JobAccepted> first_accepted = cluster.Await(first);
  Result<proto::JobAccepted> second_accepted = cluster.Await(second);
  ASSERT_THAT(first_accepted, IsOk());
  ASSERT_THAT(second_accepted, IsOk());
  EXPECT_EQ(first_accepted->job_id(), second_accepted->job_id());
}

TEST(WorkerScratch, DataOfJobsWhoseEndAWorkerMissedIsRemovedWhenItIsWelcomedAgain) {
  testing::TempDir dir;
  testing::Cluster::Options options;
  options.workers = 1;
  options.state_dir = dir.File("state");
  options.manual_tasks = true;  // the job below keeps running
  testing::Cluster cluster(options);
  Result<proto::JobAccepted> running = cluster.Await(cluster.client().Submit(Noop(1)));
  ASSERT_THAT(running, IsOk());
  cluster.Pass(absl::Milliseconds(100));
  const std::string scratch = cluster.scratch() + "/worker-0";
  for (const std::string& job : {std::string("job_19990101000000_0001"), running->job_id()}) {
    std::filesystem::create_directories(scratch + "/" + job);
    testing::WriteFile(scratch + "/" + job + "/map-output", "kept until the job ends");
  }
  testing::WriteFile(scratch + "/notes", "not a job's");
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  cluster.Pass(absl::Seconds(5));  // the worker is welcomed by the new coordinator
  EXPECT_FALSE(std::filesystem::exists(scratch + "/job_19990101000000_0001"));
  EXPECT_TRUE(std::filesystem::exists(scratch + "/" + running->job_id() + "/map-output"));
  EXPECT_TRUE(std::filesystem::exists(scratch + "/notes"));
}

TEST(Cancel, ACancelLostWithTheCoordinatorIsSentAgainToTheNextOne) {
  testing::TempDir dir;
  testing::Cluster::Options options;
  options.state_dir = dir.File("state");
  options.manual_tasks = true;  // the job runs until it is cancelled
  testing::Cluster cluster(options);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(Noop(2)));
  ASSERT_THAT(accepted, IsOk());
  cluster.Pass(absl::Milliseconds(100));
  cluster.network().DropNext(1);  // the cancel never arrives
  Deferred<void> cancelled = cluster.client().Cancel(accepted->job_id());
  cluster.Pass(absl::Milliseconds(100));
  ASSERT_THAT(cluster.RestartCoordinator(), IsOk());
  EXPECT_THAT(cluster.Await(cancelled), IsOk());
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->jobs_size(), 1);
  EXPECT_EQ(status->jobs(0).state(), proto::JOB_STATE_CANCELLED);
}

}  // namespace
}  // namespace braid
