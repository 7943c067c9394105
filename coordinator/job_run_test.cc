// JobRun: one job's state machine, driven as the Scheduler drives it (TakeAttempt, then the
// attempt's Deferred), with the output committed on FakeEnv and time on the fake clock.

#include "coordinator/job_run.h"

#include <memory>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/output_layout.h"
#include "messaging/hub.h"
#include "messaging/memory_transport.h"
#include "proto/status_coding.h"
#include "reactor/fake_clock.h"
#include "reactor/held_blocking_calls.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kOut[] = "/out";

class RecordingLog final : public JobLog {
 public:
  void TaskCommitted(const std::string& job_id, const proto::TaskResult& result) override {
    EXPECT_EQ(job_id, "job_1");
    commits.push_back(result);
  }
  std::vector<proto::TaskResult> commits;
};

// An attempt as the scheduler holds it.
struct Taken {
  proto::TaskAssignment assignment;
  // Whether the job cancelled the attempt (the scheduler would tell the worker).
  std::shared_ptr<bool> cancelled = std::make_shared<bool>(false);
  Deferred<proto::TaskResult> result{
      [cancelled = cancelled](Deferred<proto::TaskResult>&) { *cancelled = true; }};
  const proto::TaskAttempt& attempt() const { return assignment.attempt(); }
};

class JobRunTest : public ::testing::Test {
 protected:
  JobRunTest()
      : network_(clock_),
        hub_(clock_, *network_.Listen("coordinator"), HubOptions{}),
        scheduler_(clock_, hub_) {
    spec_.set_job("lines");
    spec_.set_output(kOut);
    spec_.set_no_speculation(true);
  }

  // Starts job_1 with `maps` map tasks and `reducers` reduce tasks.
  JobRun& Start(uint32_t maps, uint32_t reducers = 0,
                const std::vector<proto::TaskCommitted>& committed = {}) {
    spec_.set_reducers(reducers);
    JobPlan plan;
    plan.splits.resize(maps);
    plan.reducers = reducers;
    job_ = std::make_unique<JobRun>("job_1", spec_, std::move(plan), nullptr, scheduler_, clock_,
                                    env_, *blocking_calls_, &log_);
    for (const proto::TaskCommitted& task : committed) job_->Restore(task);
    done_ = job_->Run();
    clock_.Advance(absl::ZeroDuration());
    return *job_;
  }
  Taken Take(const std::string& worker = "w1") {
    Taken taken;
    EXPECT_TRUE(job_->TakeAttempt(scheduler_.directory().Intern(worker), taken.assignment));
    job_->AttemptStarted(taken.attempt(), taken.result);
    return taken;
  }
  // The attempt succeeds: it wrote its part file (map-only and reduce attempts) or its map
  // output for every partition.
  void Succeed(Taken& taken, const std::string& status_line = "") {
    proto::TaskResult result;
    *result.mutable_attempt() = taken.attempt();
    result.set_worker("w1");
    result.set_status(status_line);
    const bool final_output =
        taken.attempt().kind() == proto::TASK_KIND_REDUCE || spec_.reducers() == 0;
    if (final_output) {
      const std::string path = AttemptOutputPath(kOut, taken.attempt());
      EXPECT_THAT(env_.CreateDirs(DirName(path)), IsOk());
      EXPECT_THAT(env_.WriteStringToFile(path, "lines\n"), IsOk());
      proto::MapOutput* output = result.add_outputs();
      output->set_path(path);
      output->set_partition(taken.attempt().task());
    } else {
      for (uint32_t partition = 0; partition < spec_.reducers(); ++partition) {
        proto::MapOutput* output = result.add_outputs();
        output->set_map_task(taken.attempt().task());
        output->set_partition(partition);
        output->set_path(absl::StrCat("/scratch/map-", taken.attempt().task(), "/", partition));
        output->set_worker("w1");
      }
    }
    ASSERT_THAT(taken.result.Callback(std::move(result)), IsOk());
    clock_.Advance(absl::ZeroDuration());
  }
  void Fail(Taken& taken, const absl::Status& why) {
    proto::TaskResult result;
    *result.mutable_attempt() = taken.attempt();
    result.set_code(StatusCodeToWire(why.code()));
    result.set_message(std::string(why.message()));
    ASSERT_THAT(taken.result.Callback(std::move(result)), IsOk());
    clock_.Advance(absl::ZeroDuration());
  }
  absl::Status Outcome() {
    EXPECT_TRUE(HasResult(done_));
    return HasResult(done_) ? *ResultNow(done_) : absl::UnknownError("not done");
  }

  FakeClock clock_;
  MemoryNetwork network_;
  Hub hub_;
  Scheduler scheduler_;
  FakeEnv env_;
  InlineBlockingCalls inline_calls_;
  BlockingCalls* blocking_calls_ = &inline_calls_;
  RecordingLog log_;
  proto::JobSpec spec_;
  std::unique_ptr<JobRun> job_;
  Deferred<void> done_;
};

TEST_F(JobRunTest, AMapOnlyJobCommitsEachPartThenTheSuccessMarker) {
  JobRun& job = Start(2);
  EXPECT_EQ(job.state(), proto::JOB_STATE_MAPPING);
  EXPECT_EQ(job.ready(), 2u);
  Taken first = Take();
  Taken second = Take();
  EXPECT_EQ(job.ready(), 0u);
  Succeed(second);
  EXPECT_FALSE(HasResult(done_));
  EXPECT_FALSE(env_.Exists(SuccessMarkerPath(kOut)));
  Succeed(first);
  EXPECT_THAT(Outcome(), IsOk());
  EXPECT_EQ(job.state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(env_.Exists(CommittedOutputPath(kOut, proto::TASK_KIND_MAP, 0)));
  EXPECT_TRUE(env_.Exists(CommittedOutputPath(kOut, proto::TASK_KIND_MAP, 1)));
  EXPECT_TRUE(env_.Exists(SuccessMarkerPath(kOut)));
  EXPECT_FALSE(env_.Exists(TemporaryOutputDir(kOut)));
}

TEST_F(JobRunTest, TasksStatusGivesEachAttemptsStartAndDurationFromTheJobsStart) {
  JobRun& job = Start(2);
  clock_.Advance(absl::Seconds(2));
  Taken first = Take();
  clock_.Advance(absl::Seconds(3));
  Taken second = Take();
  clock_.Advance(absl::Seconds(4));
  Succeed(first);
  clock_.Advance(absl::Seconds(1));
  const proto::JobStatus running = job.Status(/*with_tasks=*/true);
  ASSERT_EQ(running.tasks_size(), 2);
  EXPECT_EQ(running.tasks(0).started_ms(), 2000u);
  EXPECT_EQ(running.tasks(0).duration_ms(), 7000u);  // what the committed attempt ran
  EXPECT_EQ(running.tasks(1).started_ms(), 5000u);
  EXPECT_EQ(running.tasks(1).duration_ms(), 5000u);  // so far
  EXPECT_FALSE(running.tasks(0).backed_up());
  Succeed(second);
  EXPECT_EQ(job.Status(/*with_tasks=*/true).tasks(1).duration_ms(), 5000u);
}

TEST_F(JobRunTest, StatusGivesWhenTheJobStartedAndEnded) {
  clock_.Advance(absl::Hours(1));  // the fake clock starts at the epoch, which reads as unknown
  const int64_t start = absl::ToUnixMillis(clock_.Now());
  JobRun& job = Start(1);
  Taken map = Take();
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(job.Status(false).started_at_ms(), static_cast<uint64_t>(start));
  EXPECT_EQ(job.Status(false).ended_at_ms(), 0u);  // it runs
  Succeed(map);
  ASSERT_THAT(Outcome(), IsOk());
  const proto::JobStatus ended = job.Status(false);
  EXPECT_EQ(ended.ended_at_ms(), static_cast<uint64_t>(start + 3000));
  EXPECT_EQ(ended.elapsed_ms(), 3000u);
}

TEST_F(JobRunTest, ATaskThatHasNotRunHasNoTimeline) {
  JobRun& job = Start(1);
  clock_.Advance(absl::Seconds(2));
  const proto::JobStatus status = job.Status(/*with_tasks=*/true);
  ASSERT_EQ(status.tasks_size(), 1);
  EXPECT_EQ(status.tasks(0).started_ms(), 0u);
  EXPECT_EQ(status.tasks(0).duration_ms(), 0u);
}

TEST_F(JobRunTest, TheReducePhaseStartsOnceEveryMapCommittedAndGetsItsPartition) {
  JobRun& job = Start(2, /*reducers=*/2);
  Taken map0 = Take();
  Taken map1 = Take();
  Succeed(map0);
  EXPECT_EQ(job.ready(), 0u);  // no reduce before the last map
  Succeed(map1);
  EXPECT_EQ(job.state(), proto::JOB_STATE_REDUCING);
  ASSERT_EQ(job.ready(), 2u);
  Taken reduce = Take();
  EXPECT_EQ(reduce.attempt().kind(), proto::TASK_KIND_REDUCE);
  const uint32_t partition = reduce.assignment.partition();
  std::vector<std::string> paths;
  for (const proto::MapOutput& output : reduce.assignment.map_outputs()) {
    EXPECT_EQ(output.partition(), partition);
    paths.push_back(output.path());
  }
  EXPECT_THAT(paths, ElementsAre(absl::StrCat("/scratch/map-0/", partition),
                                 absl::StrCat("/scratch/map-1/", partition)));
  Taken other = Take();
  Succeed(reduce);
  Succeed(other);
  EXPECT_THAT(Outcome(), IsOk());
  EXPECT_TRUE(env_.Exists(CommittedOutputPath(kOut, proto::TASK_KIND_REDUCE, 0)));
  EXPECT_TRUE(env_.Exists(CommittedOutputPath(kOut, proto::TASK_KIND_REDUCE, 1)));
}

TEST_F(JobRunTest, ALostHoldersMapsRunAgainAndNoReduceStartsWithoutThem) {
  spec_.set_no_speculation(false);
  JobRun& job = Start(2, /*reducers=*/2);
  Taken map0 = Take();
  Taken map1 = Take();
  Succeed(map0);
  Succeed(map1);  // both outputs on w1
  Taken reduce0 = Take("w2");
  Taken reduce1 = Take("w2");
  clock_.Advance(absl::Seconds(1));
  Succeed(reduce0);
  job.HolderLost("w1");
  EXPECT_EQ(job.Status(/*with_tasks=*/false).maps_done(), 0u);
  Taken again0 = Take("w3");
  Taken again1 = Take("w3");
  EXPECT_EQ(again0.attempt().kind(), proto::TASK_KIND_MAP);
  EXPECT_EQ(again1.attempt().kind(), proto::TASK_KIND_MAP);
  // Reduce 1 now looks like a straggler, but a backup of it would miss the maps' outputs.
  clock_.Advance(absl::Minutes(10));
  proto::TaskAssignment backup;
  EXPECT_FALSE(job.TakeAttempt(scheduler_.directory().Intern("w4"), backup))
      << backup.DebugString();
  Succeed(again0);
  Succeed(again1);
  Fail(reduce1, absl::UnavailableError("map outputs lost"));
  clock_.Advance(absl::ZeroDuration());
  Taken last = Take("w4");
  EXPECT_EQ(last.attempt().kind(), proto::TASK_KIND_REDUCE);
  EXPECT_THAT(last.assignment.map_outputs(), SizeIs(2));
  Succeed(last);
  EXPECT_THAT(Outcome(), IsOk());
}

TEST_F(JobRunTest, AFailedAttemptRunsAgainAndItsErrorIsKept) {
  JobRun& job = Start(1);
  Taken first = Take();
  Fail(first, absl::InternalError("the mapper crashed"));
  EXPECT_EQ(job.ready(), 1u);
  Taken second = Take("w2");
  EXPECT_GT(second.attempt().attempt(), first.attempt().attempt());
  Succeed(second);
  EXPECT_THAT(Outcome(), IsOk());
  proto::JobStatus status = job.Status(/*with_tasks=*/true);
  ASSERT_THAT(status.tasks(), SizeIs(1));
  ASSERT_THAT(status.tasks(0).errors(), SizeIs(1));
  EXPECT_THAT(status.tasks(0).errors(0), HasSubstr("the mapper crashed"));
}

TEST_F(JobRunTest, ATaskFailingMaxAttemptsTimesFailsTheJobNamingIt) {
  spec_.set_max_attempts(2);
  JobRun& job = Start(2);
  Taken bad = Take();
  Taken good = Take();
  Fail(bad, absl::InvalidArgumentError("bad input"));
  Taken again = Take();
  Fail(again, absl::InvalidArgumentError("bad input"));
  EXPECT_THAT(Outcome(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("failed 2 times")));
  EXPECT_EQ(job.state(), proto::JOB_STATE_FAILED);
  // The other attempt is no longer wanted.
  EXPECT_TRUE(*good.cancelled);
  // The output goes only when the caller says the end is on record.
  EXPECT_TRUE(env_.Exists(kOut));
  Deferred<void> removed = job.RemoveOutput();
  ASSERT_TRUE(HasResult(removed));
  EXPECT_THAT(*ResultNow(removed), IsOk());
  EXPECT_FALSE(env_.Exists(kOut));
}

TEST_F(JobRunTest, AnAttemptLostWithItsWorkerIsNotTheTasksFailure) {
  spec_.set_max_attempts(1);
  JobRun& job = Start(1);
  Taken lost = Take();
  ASSERT_THAT(lost.result.Errback(absl::UnavailableError("worker w1 was lost")), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_FALSE(HasResult(done_));
  EXPECT_EQ(job.ready(), 1u);
  Taken again = Take("w2");
  Succeed(again);
  EXPECT_THAT(Outcome(), IsOk());
}

TEST_F(JobRunTest, AFailedRenameAtCommitFailsTheAttemptNotTheJob) {
  JobRun& job = Start(1);
  env_.FailOn(FakeEnv::Op::kRename, "part", absl::PermissionDeniedError("EACCES"), 1);
  Taken first = Take();
  Succeed(first);
  EXPECT_FALSE(HasResult(done_));
  EXPECT_EQ(job.ready(), 1u);
  Taken second = Take();
  Succeed(second);
  EXPECT_THAT(Outcome(), IsOk());
}

TEST_F(JobRunTest, EveryCommitIsLoggedWithTheWholeResult) {
  Start(1);
  Taken taken = Take();
  Succeed(taken, "halfway through");
  ASSERT_THAT(log_.commits, SizeIs(1));
  const proto::TaskResult& logged = log_.commits[0];
  EXPECT_EQ(logged.attempt().task(), 0u);
  EXPECT_EQ(logged.worker(), "w1");
  EXPECT_EQ(logged.status(), "halfway through");
  EXPECT_THAT(logged.outputs(), SizeIs(1));
}

TEST_F(JobRunTest, ARestoredTaskDoesNotRunAgainAndKeepsItsStatusLine) {
  proto::TaskCommitted committed;
  proto::TaskResult* result = committed.mutable_result();
  result->mutable_attempt()->set_kind(proto::TASK_KIND_MAP);
  result->mutable_attempt()->set_task(0);
  result->set_worker("w0");
  result->set_status("done before the restart");
  JobRun& job = Start(2, 0, {committed});
  ASSERT_EQ(job.ready(), 1u);
  Taken rest = Take();
  EXPECT_EQ(rest.attempt().task(), 1u);
  proto::JobStatus status = job.Status(/*with_tasks=*/true);
  EXPECT_EQ(status.maps_done(), 1u);
  EXPECT_EQ(status.tasks(0).status(), "done before the restart");
}

TEST_F(JobRunTest, CancellingTheJobCancelsItsAttemptsAndEndsItCancelled) {
  JobRun& job = Start(2);
  Taken running = Take();
  job.Cancel(absl::CancelledError("cancelled by a client"));
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(Outcome(), StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(job.state(), proto::JOB_STATE_CANCELLED);
  EXPECT_TRUE(*running.cancelled);
  EXPECT_EQ(job.ready(), 0u);
}

TEST_F(JobRunTest, AnOutputThatCannotBeMadeFailsTheJobBeforeAnyTask) {
  env_.FailOn(FakeEnv::Op::kCreateDirs, kOut, absl::PermissionDeniedError("EACCES"));
  JobRun& job = Start(3);
  EXPECT_THAT(Outcome(), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(job.ready(), 0u);
}

TEST_F(JobRunTest, TheOldOutputOfAnOverwriteIsRemovedOffTheLoopBeforeAnyTask) {
  HeldBlockingCalls held;
  blocking_calls_ = &held;
  ASSERT_THAT(env_.CreateDirs(kOut), IsOk());
  ASSERT_THAT(env_.WriteStringToFile("/out/part-r-00000", "old"), IsOk());
  spec_.set_overwrite(true);
  JobRun& job = Start(1);
  EXPECT_EQ(job.ready(), 0u);
  EXPECT_TRUE(env_.Exists("/out/part-r-00000"));
  ASSERT_EQ(held.held(), 1u);
  held.RunNext();
  clock_.Advance(absl::ZeroDuration());
  EXPECT_FALSE(env_.Exists("/out/part-r-00000"));
  EXPECT_EQ(job.ready(), 1u);
}

TEST_F(JobRunTest, AJobDestroyedWhileItsOutputIsPreparedIsNotTouchedAfterwards) {
  HeldBlockingCalls held;
  blocking_calls_ = &held;
  Start(1);
  job_.reset();
  held.RunNext();  // a use of the JobRun now would be a use after free (ASan)
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(Outcome(), StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(JobRunTest, AJobCancelledWhileItsOutputIsPreparedEndsOnlyOnceThatIsDone) {
  HeldBlockingCalls held;
  blocking_calls_ = &held;
  JobRun& job = Start(1);
  job.Cancel(absl::CancelledError("cancelled by a client"));
  clock_.Advance(absl::ZeroDuration());
  // Ending now would let the output's removal race its preparation.
  EXPECT_FALSE(HasResult(done_));
  held.RunNext();
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(Outcome(), StatusIs(absl::StatusCode::kCancelled, "cancelled by a client"));
  EXPECT_EQ(job.state(), proto::JOB_STATE_CANCELLED);
  EXPECT_EQ(job.ready(), 0u);
}

}  // namespace
}  // namespace braid
