// Worker: its side of the protocol, on the fake clock and the in-memory network, with a scripted
// coordinator (a Hub), tasks that run when the test says, and scratch data on FakeEnv.

#include "worker/worker.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/hub.h"
#include "messaging/memory_transport.h"
#include "proto/status_coding.h"
#include "reactor/fake_clock.h"
#include "reactor/held_blocking_calls.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Batches wait until Finish; each task's result is a success naming `outputs` as its files.
class ScriptedExecutor final : public TaskExecutor {
 public:
  struct Batch {
    std::vector<TaskToRun> tasks;
    Deferred<std::vector<proto::TaskResult>> done;
  };
  Deferred<std::vector<proto::TaskResult>> Run(std::shared_ptr<const proto::JobDefinition>,
                                               std::vector<TaskToRun> batch) override {
    pending.push_back(Batch{std::move(batch), {}});
    return pending.back().done;
  }
  // Finishes the oldest batch; every task of it reports `output` as its file (if not empty).
  void FinishNext(const std::string& output = "") {
    Batch batch = std::move(pending.front());
    pending.pop_front();
    std::vector<proto::TaskResult> results;
    for (const TaskToRun& task : batch.tasks) {
      proto::TaskResult& result = results.emplace_back();
      *result.mutable_attempt() = task.task.attempt();
      if (!output.empty()) result.add_outputs()->set_path(output);
    }
    ASSERT_THAT(batch.done.Callback(std::move(results)), IsOk());
  }
  std::deque<Batch> pending;
};

class WorkerTest : public ::testing::Test {
 protected:
  WorkerTest() : network_(clock_), hub_(clock_, *network_.Listen("coordinator"), HubOptions{}) {
    hub_.SetHandlers(
        [this](const PeerId& peer, proto::Envelope& message) {
          if (message.has_worker_hello()) {
            worker_peer_ = peer;
            hello_ = message.worker_hello();
            hub_.Welcome(peer, message.message_id(), proto::Welcome());
          } else {
            received_.push_back(message);
          }
        },
        [](const PeerId&, absl::Status) {});
    WorkerOptions options;
    options.name = "w1";
    options.slots = 2;
    options.scratch_dir = "/scratch";
    options.job_kinds = {"lines"};
    options.env = &env_;
    options.blocking_calls = &removals_;
    worker_ = std::make_unique<Worker>(clock_, network_.Connect("coordinator"), executor_,
                                       std::move(options));
    started_ = worker_->Start();
    Turn();
  }

  void Turn() {
    for (int i = 0; i < 3; ++i) clock_.Advance(absl::ZeroDuration());
  }
  void Send(proto::Envelope message) {
    ASSERT_THAT(hub_.Send(worker_peer_, std::move(message)), IsOk());
    Turn();
  }
  // Assigns map tasks `tasks` of job_1 (with the job's definition).
  void Assign(std::vector<uint32_t> tasks) {
    proto::Envelope message;
    proto::AssignTasks* assign = message.mutable_assign_tasks();
    proto::JobDefinition* job = assign->add_jobs();
    job->set_job_id("job_1");
    job->mutable_spec()->set_job("lines");
    for (uint32_t task : tasks) {
      proto::TaskAttempt* attempt = assign->add_tasks()->mutable_attempt();
      attempt->set_job_id("job_1");
      attempt->set_kind(proto::TASK_KIND_MAP);
      attempt->set_task(task);
      attempt->set_attempt(1);
    }
    Send(std::move(message));
  }
  // The results reported, in order, over every TaskResults message.
  std::vector<proto::TaskResult> Results() const {
    std::vector<proto::TaskResult> all;
    for (const proto::Envelope& message : received_) {
      for (const proto::TaskResult& result : message.task_results().results()) {
        all.push_back(result);
      }
    }
    return all;
  }
  int ResultMessages() const {
    int count = 0;
    for (const proto::Envelope& message : received_) count += message.has_task_results();
    return count;
  }

  FakeClock clock_;
  MemoryNetwork network_;
  Hub hub_;
  FakeEnv env_;
  HeldBlockingCalls removals_;
  ScriptedExecutor executor_;
  std::unique_ptr<Worker> worker_;
  Deferred<proto::Welcome> started_;
  PeerId worker_peer_;
  proto::WorkerHello hello_;
  std::vector<proto::Envelope> received_;
};

TEST_F(WorkerTest, ItIntroducesItselfWithItsNameSlotsJobsAndScratch) {
  ASSERT_TRUE(HasResult(started_));
  EXPECT_THAT(ResultNow(started_)->status(), IsOk());
  EXPECT_EQ(hello_.name(), "w1");
  EXPECT_EQ(hello_.slots(), 2u);
  EXPECT_THAT(hello_.job_kinds(), ElementsAre("lines"));
  EXPECT_EQ(hello_.scratch_dir(), "/scratch");
}

TEST_F(WorkerTest, ItRunsUpToItsSlotsAtOnceAndQueuesTheRest) {
  Assign({0, 1, 2});
  EXPECT_THAT(executor_.pending, SizeIs(2));
  EXPECT_EQ(worker_->running(), 2u);
  EXPECT_EQ(worker_->queued(), 1u);
  executor_.FinishNext();
  Turn();
  EXPECT_THAT(executor_.pending, SizeIs(2));
  EXPECT_EQ(worker_->queued(), 0u);
}

TEST_F(WorkerTest, ResultsFinishedInOneTurnGoInOneMessage) {
  Assign({0, 1});
  executor_.FinishNext();
  executor_.FinishNext();
  Turn();
  EXPECT_EQ(ResultMessages(), 1);
  ASSERT_THAT(Results(), SizeIs(2));
  EXPECT_EQ(Results()[0].attempt().task(), 0u);
  EXPECT_EQ(Results()[1].attempt().task(), 1u);
}

TEST_F(WorkerTest, ATaskOfAJobItWasNotGivenFailsItsPrecondition) {
  proto::Envelope message;
  proto::TaskAttempt* attempt = message.mutable_assign_tasks()->add_tasks()->mutable_attempt();
  attempt->set_job_id("job_unknown");
  attempt->set_task(7);
  Send(std::move(message));
  ASSERT_THAT(Results(), SizeIs(1));
  EXPECT_EQ(StatusFromWire(Results()[0].code(), "").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(executor_.pending, IsEmpty());
}

TEST_F(WorkerTest, ACancelledAttemptIsAskedToStopAndItsOutputRemovedUnreported) {
  Assign({0});
  ASSERT_THAT(executor_.pending, SizeIs(1));
  std::shared_ptr<std::atomic<bool>> cancelled = executor_.pending[0].tasks[0].cancelled;
  ASSERT_THAT(env_.CreateDirs("/scratch/job_1/map-0"), IsOk());
  ASSERT_THAT(env_.WriteStringToFile("/scratch/job_1/map-0/part", "pairs"), IsOk());
  proto::Envelope cancel;
  proto::TaskAttempt* attempt = cancel.mutable_cancel_tasks()->add_attempts();
  attempt->set_job_id("job_1");
  attempt->set_kind(proto::TASK_KIND_MAP);
  attempt->set_task(0);
  attempt->set_attempt(1);
  Send(std::move(cancel));
  EXPECT_TRUE(cancelled->load());
  executor_.FinishNext("/scratch/job_1/map-0/part");
  Turn();
  EXPECT_THAT(Results(), IsEmpty());
  EXPECT_FALSE(env_.Exists("/scratch/job_1/map-0/part"));
}

TEST_F(WorkerTest, AJobsEndRemovesItsScratchDataOnlyAndOffTheLoop) {
  ASSERT_THAT(env_.CreateDirs("/scratch/job_1/map-0"), IsOk());
  ASSERT_THAT(env_.CreateDirs("/scratch/job_2"), IsOk());
  proto::Envelope finished;
  finished.mutable_job_finished()->set_job_id("job_1");
  Send(std::move(finished));
  ASSERT_EQ(removals_.held(), 1u);
  EXPECT_TRUE(env_.Exists("/scratch/job_1"));  // not on the loop
  removals_.RunNext();
  Turn();
  EXPECT_FALSE(env_.Exists("/scratch/job_1"));
  EXPECT_TRUE(env_.Exists("/scratch/job_2"));
}

TEST_F(WorkerTest, AJobIdThatIsAPathRemovesNothing) {
  ASSERT_THAT(env_.CreateDirs("/scratch/job_2"), IsOk());
  proto::Envelope finished;
  finished.mutable_job_finished()->set_job_id("../scratch");
  Send(std::move(finished));
  EXPECT_EQ(removals_.held(), 0u);
  EXPECT_EQ(env_.calls(FakeEnv::Op::kRemove), 0);
  EXPECT_TRUE(env_.Exists("/scratch/job_2"));
}

TEST_F(WorkerTest, DrainingHandsQueuedTasksBackAndEndsWhenTheRunningOnesDid) {
  Assign({0, 1, 2});
  Deferred<void> drained = worker_->Drain("maintenance");
  Turn();
  // The queued task goes back at once, as unavailable (not the task's failure).
  ASSERT_THAT(Results(), SizeIs(1));
  EXPECT_EQ(Results()[0].attempt().task(), 2u);
  EXPECT_EQ(StatusFromWire(Results()[0].code(), "").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(HasResult(drained));
  executor_.FinishNext();
  executor_.FinishNext();
  Turn();
  EXPECT_THAT(Results(), SizeIs(3));
  ASSERT_TRUE(HasResult(drained));
  EXPECT_THAT(*ResultNow(drained), IsOk());
  EXPECT_TRUE(worker_->draining());
}

TEST_F(WorkerTest, TasksAssignedWhileDrainingGoStraightBack) {
  Assign({0});
  worker_->Drain("maintenance");
  Turn();
  Assign({5});
  EXPECT_THAT(executor_.pending, SizeIs(1));
  ASSERT_THAT(Results(), SizeIs(1));
  EXPECT_EQ(Results()[0].attempt().task(), 5u);
  EXPECT_EQ(StatusFromWire(Results()[0].code(), "").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace braid
