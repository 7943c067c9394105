// JobRun: one job from acceptance to its end — the MapReduce paper's master, for one job.
//
// The job is a composition of Deferreds, and the code says so:
//
//   each map task    a Deferred that fires when one of its attempts commits;
//   the map phase    a DeferredList over them, which starts the reduce phase when it fires;
//   each reduce task a Deferred, as for maps;
//   the job          a DeferredList over the reduce tasks, which commits the job's output.
//
// Each task is idle, in progress or completed (the paper's states). Idle tasks wait in a ready
// queue, and the Scheduler takes attempts from it only when a worker has room (JobRun is its
// AttemptSource), so a queued task costs a few dozen bytes and no work. An attempt that fails goes
// back to the queue — up to the job's max_attempts failures; a lost worker, or a task handed back
// by a draining worker, is not the task's failure. The first task to fail for good fails the job:
// the other attempts are cancelled and nothing partial is left in the output directory. Counters
// add up the committed attempts.
//
// Output commit follows Hadoop's layout: each attempt writes under OUTPUT/_temporary; the
// accepted attempt's file is renamed to OUTPUT/part-r-NNNNN (part-m-NNNNN for map-only jobs);
// _SUCCESS is written last, when every part is there.
//
// Threading: the coordinator's loop.

#ifndef BRAID_COORDINATOR_JOB_RUN_H_
#define BRAID_COORDINATOR_JOB_RUN_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "deferred/deferred.h"
#include "deferred/reactor_time.h"
#include "job/counters.h"
#include "job/job.h"
#include "proto/braid.pb.h"

namespace braid {

class JobRun final : public AttemptSource {
 public:
  // `definition` may be null (only workers know the job). All referenced objects outlive this.
  JobRun(std::string id, proto::JobSpec spec, JobPlan plan, const JobDefinition* definition,
         Scheduler& scheduler, ReactorTime& time);
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;
  ~JobRun() override;

  // Runs the job; fires when it has ended — with OK when it succeeded, with its failure or
  // cancellation otherwise. Call once.
  Deferred<void> Run();

  // Cancels the job (its attempts are cancelled; it ends as CANCELLED with `why`).
  void Cancel(const absl::Status& why);

  const std::string& id() const { return id_; }
  const proto::JobSpec& spec() const { return spec_; }
  proto::JobState state() const { return state_; }
  bool finished() const;
  // Increases whenever the status changes (for watchers).
  uint64_t version() const { return version_; }
  proto::JobStatus Status(bool with_tasks) const;

  // AttemptSource.
  const std::shared_ptr<const proto::JobDefinition>& definition() const override {
    return wire_definition_;
  }
  size_t ready() const override { return ready_.size(); }
  void TakeAttempt(const std::string& worker, proto::TaskAssignment& assignment) override;
  void AttemptStarted(const proto::TaskAttempt& attempt,
                      Deferred<proto::TaskResult> result) override;

 private:
  enum class TaskState : uint8_t { kIdle, kInProgress, kCompleted, kFailed };
  // What a task gathers beyond its counts; most tasks need little of it.
  struct TaskRecord {
    std::vector<std::string> errors;  // of each failed attempt, oldest first
    std::vector<proto::MapOutput> outputs;
    std::vector<std::string> bag_output;
    std::vector<uint64_t> skipped_records;
    std::string status;  // of the committed attempt (a streaming command's reporter:status)
  };
  struct Task {
    Deferred<void> done;  // fires when an attempt commits; fails when the task fails for good
    TaskState state = TaskState::kIdle;
    uint16_t attempts = 0;  // attempts made
    uint16_t failures = 0;  // attempts that failed (counted against max_attempts)
    uint16_t retries = 0;   // attempts lost with their worker, or handed back
    uint32_t worker = 0;    // of the latest attempt: 1 + its index in worker_names_ (0: none)
    std::unique_ptr<TaskRecord> record;
    TaskRecord& Record();
  };

  Deferred<void> RunJob();
  // Runs every task of the phase; fails with the first task failure.
  Deferred<void> RunPhase(proto::TaskKind kind);
  // The phase is over: queued tasks leave the queue and attempts in flight are cancelled.
  void EndPhase();
  std::vector<Task>& tasks() { return phase_ == proto::TASK_KIND_MAP ? maps_ : reduces_; }
  void OnAttemptDone(uint32_t index, uint32_t attempt, Result<proto::TaskResult> result);
  // An attempt of task `index` did not commit: runs it again, or fails it for good.
  void Retry(uint32_t index, const absl::Status& why, bool counts_as_failure);
  absl::Status CommitTask(Task& task, uint32_t index, proto::TaskResult& result);
  absl::Status PrepareOutput();
  absl::Status CommitJob();
  void Abandon();
  void Changed() { ++version_; }
  std::string TaskName(proto::TaskKind kind, uint32_t index) const;
  uint32_t WorkerNumber(const std::string& name);

  std::string id_;
  proto::JobSpec spec_;
  JobPlan plan_;
  const JobDefinition* definition_;
  Scheduler& scheduler_;
  ReactorTime& time_;
  std::shared_ptr<const proto::JobDefinition> wire_definition_;
  uint32_t max_attempts_;

  proto::JobState state_ = proto::JOB_STATE_QUEUED;
  std::string message_;
  absl::Time started_ = absl::InfinitePast();
  absl::Time ended_;
  uint64_t version_ = 0;
  std::vector<Task> maps_;
  std::vector<Task> reduces_;
  std::vector<std::string> worker_names_;
  absl::flat_hash_map<std::string, uint32_t> worker_numbers_;
  uint32_t maps_done_ = 0;
  uint32_t reduces_done_ = 0;

  proto::TaskKind phase_ = proto::TASK_KIND_MAP;
  bool phase_open_ = false;
  std::deque<uint32_t> ready_;  // idle tasks of the phase, in the order they will run
  // Attempts in flight, by task << 32 | attempt.
  absl::flat_hash_map<uint64_t, Deferred<proto::TaskResult>> attempts_;
  std::optional<Deferred<void>> run_;
  Counters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOB_RUN_H_
