// Scheduler: attempts from jobs' sources to workers' slots, over a Hub on the in-memory network
// and the fake clock; the workers are scripted peers.

#include "coordinator/scheduler.h"

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/hub.h"
#include "messaging/memory_transport.h"
#include "proto/envelope.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A job whose map tasks 0, 1, ... are ready until taken.
class FakeSource final : public AttemptSource {
 public:
  FakeSource(const std::string& job_id, const std::string& kind, uint32_t tasks) {
    auto definition = std::make_shared<proto::JobDefinition>();
    definition->set_job_id(job_id);
    definition->mutable_spec()->set_job(kind);
    definition_ = std::move(definition);
    for (uint32_t task = 0; task < tasks; ++task) ready_.push_back(task);
  }

  const std::shared_ptr<const proto::JobDefinition>& definition() const override {
    return definition_;
  }
  size_t ready() const override { return ready_.size(); }
  bool TakeAttempt(WorkerId worker, proto::TaskAssignment& assignment) override {
    if (ready_.empty() || refuse_.contains(worker)) return false;
    proto::TaskAttempt* attempt = assignment.mutable_attempt();
    attempt->set_job_id(definition_->job_id());
    attempt->set_kind(proto::TASK_KIND_MAP);
    attempt->set_task(ready_.front());
    attempt->set_attempt(1);
    ready_.pop_front();
    return true;
  }
  void AttemptStarted(const proto::TaskAttempt& attempt,
                      Deferred<proto::TaskResult> result) override {
    started_.emplace(attempt.task(), std::move(result));
  }

  // The outcome of task `task`'s attempt. REQUIRES: it started.
  Deferred<proto::TaskResult>& started(uint32_t task) { return started_.at(task); }
  size_t started_count() const { return started_.size(); }
  // Workers TakeAttempt turns down (a blacklist).
  std::set<WorkerId> refuse_;

 private:
  std::shared_ptr<const proto::JobDefinition> definition_;
  std::deque<uint32_t> ready_;
  std::map<uint32_t, Deferred<proto::TaskResult>> started_;
};

// A worker as the coordinator sees it: what it was sent, and what it says.
struct ScriptedWorker {
  std::unique_ptr<ClientTransport> transport;
  std::vector<proto::Envelope> received;
  uint64_t next_id = 1;

  void Send(proto::Envelope message) {
    message.set_protocol_version(kProtocolVersion);
    message.set_message_id(next_id++);
    ASSERT_TRUE(transport->Send(EncodeEnvelope(message)).ok());
  }
  // The AssignTasks received, in order.
  std::vector<proto::AssignTasks> assignments() const {
    std::vector<proto::AssignTasks> all;
    for (const proto::Envelope& message : received) {
      if (message.has_assign_tasks()) all.push_back(message.assign_tasks());
    }
    return all;
  }
  // The tasks assigned, in order.
  std::vector<uint32_t> tasks() const {
    std::vector<uint32_t> all;
    for (const proto::AssignTasks& assign : assignments()) {
      for (const proto::TaskAssignment& task : assign.tasks()) all.push_back(task.attempt().task());
    }
    return all;
  }
  void Report(const std::string& job_id, uint32_t task, uint64_t runtime_ms = 100) {
    proto::Envelope message;
    proto::TaskResult* result = message.mutable_task_results()->add_results();
    result->mutable_attempt()->set_job_id(job_id);
    result->mutable_attempt()->set_kind(proto::TASK_KIND_MAP);
    result->mutable_attempt()->set_task(task);
    result->mutable_attempt()->set_attempt(1);
    result->set_runtime_ms(runtime_ms);
    Send(std::move(message));
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest()
      : network_(clock_),
        hub_(clock_, *network_.Listen("coordinator"), HubOptions{}),
        scheduler_(clock_, hub_) {
    hub_.SetHandlers(
        [this](const PeerId& peer, proto::Envelope& message) {
          if (message.has_worker_hello()) {
            hub_.Welcome(peer, message.message_id(), proto::Welcome());
            scheduler_.AddWorker(peer, message.worker_hello());
            peers_.push_back(peer);
          } else if (message.has_task_results()) {
            scheduler_.OnResults(peer, *message.mutable_task_results());
          }
        },
        [](const PeerId&, absl::Status) {});
  }

  // Connects a worker with `slots` slots having job kinds `kinds`.
  ScriptedWorker& AddWorker(const std::string& name, uint32_t slots,
                            std::vector<std::string> kinds = {"lines"}) {
    auto worker = std::make_unique<ScriptedWorker>();
    worker->transport = network_.Connect("coordinator");
    ScriptedWorker* raw = worker.get();
    worker->transport->SetReceiver([raw](absl::string_view frame) {
      absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(frame);
      ASSERT_TRUE(decoded.ok());
      raw->received.push_back(*std::move(decoded));
    });
    proto::Envelope hello;
    hello.mutable_worker_hello()->set_name(name);
    hello.mutable_worker_hello()->set_slots(slots);
    for (const std::string& kind : kinds) hello.mutable_worker_hello()->add_job_kinds(kind);
    worker->Send(std::move(hello));
    workers_.push_back(std::move(worker));
    Turn();
    return *raw;
  }
  // Lets the loop run what is due now (messages, the scheduler's end-of-turn assignment).
  void Turn() {
    for (int i = 0; i < 3; ++i) clock_.Advance(absl::ZeroDuration());
  }

  FakeClock clock_;
  MemoryNetwork network_;
  Hub hub_;
  Scheduler scheduler_;
  std::vector<PeerId> peers_;
  std::vector<std::unique_ptr<ScriptedWorker>> workers_;
};

TEST_F(SchedulerTest, AWorkersFreeSlotsAreFilledInOneBatchWithTheJobDefinitionOnce) {
  ScriptedWorker& worker = AddWorker("w1", 2);
  FakeSource job("job_1", "lines", 5);
  scheduler_.AddSource("job_1", &job);
  Turn();
  ASSERT_THAT(worker.assignments(), SizeIs(1));
  EXPECT_THAT(worker.assignments()[0].tasks(), SizeIs(2));
  ASSERT_THAT(worker.assignments()[0].jobs(), SizeIs(1));
  EXPECT_EQ(worker.assignments()[0].jobs(0).job_id(), "job_1");
  // A slot comes free: one more attempt, and the definition is not sent again.
  worker.Report("job_1", 0);
  Turn();
  ASSERT_THAT(worker.assignments(), SizeIs(2));
  EXPECT_THAT(worker.assignments()[1].tasks(), SizeIs(1));
  EXPECT_THAT(worker.assignments()[1].jobs(), IsEmpty());
}

TEST_F(SchedulerTest, JobsShareAWorkerRoundRobin) {
  ScriptedWorker& worker = AddWorker("w1", 4);
  FakeSource first("job_1", "lines", 10);
  FakeSource second("job_2", "lines", 10);
  scheduler_.AddSource("job_1", &first);
  scheduler_.AddSource("job_2", &second);
  Turn();
  EXPECT_EQ(first.started_count(), 2u);
  EXPECT_EQ(second.started_count(), 2u);
  EXPECT_THAT(worker.tasks(), SizeIs(4));
}

TEST_F(SchedulerTest, WorkSpreadsOverWorkersEmptiestFirst) {
  ScriptedWorker& a = AddWorker("a", 2);
  ScriptedWorker& b = AddWorker("b", 2);
  FakeSource job("job_1", "lines", 4);
  scheduler_.AddSource("job_1", &job);
  Turn();
  EXPECT_THAT(a.tasks(), SizeIs(2));
  EXPECT_THAT(b.tasks(), SizeIs(2));
}

TEST_F(SchedulerTest, AWorkerWithoutTheJobKindGetsNone) {
  ScriptedWorker& other = AddWorker("other", 2, {"sort"});
  FakeSource job("job_1", "lines", 2);
  scheduler_.AddSource("job_1", &job);
  Turn();
  EXPECT_THAT(other.assignments(), IsEmpty());
  EXPECT_FALSE(scheduler_.HasWorkerFor("lines"));
  ScriptedWorker& lines = AddWorker("lines", 2);
  Turn();
  EXPECT_THAT(lines.tasks(), ElementsAre(0, 1));
}

TEST_F(SchedulerTest, AnAttemptTheSourceTurnsDownGoesToAnotherWorker) {
  FakeSource job("job_1", "lines", 1);
  job.refuse_.insert(scheduler_.directory().Intern("blacklisted"));
  ScriptedWorker& blacklisted = AddWorker("blacklisted", 2);
  scheduler_.AddSource("job_1", &job);
  Turn();
  EXPECT_THAT(blacklisted.assignments(), IsEmpty());
  ScriptedWorker& good = AddWorker("good", 1);
  Turn();
  EXPECT_THAT(good.tasks(), ElementsAre(0));
}

TEST_F(SchedulerTest, AResultIsAcceptedOnlyFromTheWorkerGivenTheAttemptAndOnlyOnce) {
  ScriptedWorker& given = AddWorker("given", 1);
  FakeSource job("job_1", "lines", 1);
  scheduler_.AddSource("job_1", &job);
  Turn();
  ScriptedWorker& stranger = AddWorker("stranger", 1);
  stranger.Report("job_1", 0);
  Turn();
  EXPECT_FALSE(HasResult(job.started(0)));
  given.Report("job_1", 0, 42);
  Turn();
  ASSERT_TRUE(HasResult(job.started(0)));
  Result<proto::TaskResult> result = *ResultNow(job.started(0));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->worker(), "given");
  EXPECT_EQ(result->runtime_ms(), 42u);
  // A duplicate changes nothing (the Deferred fired once; firing again would fail the test).
  given.Report("job_1", 0);
  Turn();
}

TEST_F(SchedulerTest, ALostWorkersAttemptsFailAsUnavailableNamingWhy) {
  AddWorker("w1", 2);
  FakeSource job("job_1", "lines", 2);
  scheduler_.AddSource("job_1", &job);
  Turn();
  scheduler_.RemoveWorker(peers_[0], absl::UnavailableError("its heartbeats stopped"));
  for (uint32_t task : {0u, 1u}) {
    ASSERT_TRUE(HasResult(job.started(task)));
    EXPECT_THAT(ResultNow(job.started(task))->status(),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("worker w1 was lost: its heartbeats stopped")));
  }
  EXPECT_THAT(scheduler_.workers(), IsEmpty());
}

TEST_F(SchedulerTest, CancellingAnAttemptTellsItsWorkerAndFreesTheSlot) {
  ScriptedWorker& worker = AddWorker("w1", 1);
  FakeSource job("job_1", "lines", 2);
  scheduler_.AddSource("job_1", &job);
  Turn();
  job.started(0).Cancel();
  Turn();
  std::vector<proto::TaskAttempt> cancelled;
  for (const proto::Envelope& message : worker.received) {
    for (const auto& attempt : message.cancel_tasks().attempts()) cancelled.push_back(attempt);
  }
  ASSERT_THAT(cancelled, SizeIs(1));
  EXPECT_EQ(cancelled[0].job_id(), "job_1");
  EXPECT_EQ(cancelled[0].task(), 0u);
  EXPECT_THAT(worker.tasks(), ElementsAre(0, 1));
}

TEST_F(SchedulerTest, AJobsEndIsToldToTheWorkersThatHadIt) {
  ScriptedWorker& had = AddWorker("had", 1);
  FakeSource job("job_1", "lines", 1);
  scheduler_.AddSource("job_1", &job);
  Turn();
  ScriptedWorker& never = AddWorker("never", 1);
  scheduler_.RemoveSource("job_1");
  Turn();
  auto finished = [](const ScriptedWorker& worker) {
    int count = 0;
    for (const proto::Envelope& message : worker.received) {
      count += message.has_job_finished() && message.job_finished().job_id() == "job_1";
    }
    return count;
  };
  EXPECT_EQ(finished(had), 1);
  EXPECT_EQ(finished(never), 0);
}

TEST_F(SchedulerTest, ShortTasksQueueOnTheWorkerBeyondItsSlots) {
  ScriptedWorker& worker = AddWorker("w1", 1);
  FakeSource job("job_1", "lines", 100);
  scheduler_.AddSource("job_1", &job);
  Turn();
  ASSERT_THAT(worker.tasks(), SizeIs(1));
  worker.Report("job_1", 0, /*runtime_ms=*/1);
  Turn();
  // 1 ms tasks: 20 ms of work per slot is queued, not one task per round trip.
  EXPECT_EQ(worker.tasks().size(), 1u + 20u);
}

TEST_F(SchedulerTest, AWorkerKeepsItsIdAcrossConnections) {
  AddWorker("w1", 1);
  const WorkerId first = scheduler_.workers().at(peers_[0]).id;
  EXPECT_EQ(scheduler_.PeerOf("w1"), peers_[0]);
  scheduler_.RemoveWorker(peers_[0], absl::UnavailableError("gone"));
  EXPECT_EQ(scheduler_.PeerOf("w1"), std::nullopt);
  AddWorker("w2", 1);
  AddWorker("w1", 1);
  EXPECT_EQ(scheduler_.workers().at(peers_[2]).id, first);
  EXPECT_EQ(scheduler_.directory().name(first), "w1");
  EXPECT_NE(scheduler_.workers().at(peers_[1]).id, first);
}

TEST_F(SchedulerTest, ADrainingWorkerIsGivenNothingNew) {
  ScriptedWorker& worker = AddWorker("w1", 2);
  proto::Heartbeat draining;
  draining.set_draining(true);
  scheduler_.OnHeartbeat(peers_[0], draining);
  FakeSource job("job_1", "lines", 2);
  scheduler_.AddSource("job_1", &job);
  Turn();
  EXPECT_THAT(worker.assignments(), IsEmpty());
  EXPECT_FALSE(scheduler_.HasWorkerFor("lines"));
}

}  // namespace
}  // namespace braid
