// JobRun: one job from acceptance to its end — the MapReduce paper's master, for one job.
//
// The job is a composition of Deferreds, and the code says so:
//
//   each map task    a Deferred that fires when one of its attempts commits (RunTask);
//   the map phase    a DeferredList over them, which starts the reduce phase when it fires;
//   each reduce task a Deferred, as for maps;
//   the job          a DeferredList over the reduce tasks, which commits the job's output.
//
// A task runs as a coroutine: it asks the Scheduler for an attempt, waits for the result, and
// commits it or tries again — up to the job's max_attempts failures (a lost worker, or a task
// handed back by a draining worker, is not the task's failure). The first task to fail for good
// fails the job: the other tasks are cancelled and nothing partial is left in the output
// directory. Counters add up the committed attempts.
//
// Output commit follows Hadoop's layout: each attempt writes under OUTPUT/_temporary; the
// accepted attempt's file is renamed to OUTPUT/part-r-NNNNN (part-m-NNNNN for map-only jobs);
// _SUCCESS is written last, when every part is there.
//
// Threading: the coordinator's loop.

#ifndef BRAID_COORDINATOR_JOB_RUN_H_
#define BRAID_COORDINATOR_JOB_RUN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

class JobRun {
 public:
  // `definition` may be null (only workers know the job). All referenced objects outlive this.
  JobRun(std::string id, proto::JobSpec spec, JobPlan plan, const JobDefinition* definition,
         Scheduler& scheduler, ReactorTime& time);
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;

  // Runs the job; fires when it has ended — with OK when it succeeded, with its failure or
  // cancellation otherwise. Call once.
  Deferred<void> Run();

  // Cancels the job (its tasks are cancelled; it ends as CANCELLED with `why`).
  void Cancel(const absl::Status& why);

  const std::string& id() const { return id_; }
  const proto::JobSpec& spec() const { return spec_; }
  proto::JobState state() const { return state_; }
  bool finished() const;
  // Increases whenever the status changes (for watchers).
  uint64_t version() const { return version_; }
  proto::JobStatus Status(bool with_tasks) const;

 private:
  enum class TaskState { kIdle, kInProgress, kCompleted, kFailed };
  struct Task {
    proto::TaskKind kind;
    uint32_t index;
    TaskState state = TaskState::kIdle;
    uint32_t attempts = 0;  // attempts made
    uint32_t failures = 0;  // attempts that failed (counted against max_attempts)
    uint32_t retries = 0;   // attempts lost with their worker, or handed back
    std::vector<std::string> errors;
    std::string worker;       // of the current or committed attempt
    proto::InputSplit split;  // map tasks
    std::vector<proto::MapOutput> outputs;
    std::vector<std::string> bag_output;
    std::vector<uint64_t> skipped_records;
  };

  Deferred<void> RunJob();
  Deferred<void> RunTask(Task& task);
  // Runs every task of `tasks`; fails with the first task failure (the rest are cancelled).
  Deferred<void> RunPhase(std::vector<Task>& tasks);
  proto::TaskAssignment MakeAssignment(Task& task);
  absl::Status CommitTask(Task& task, proto::TaskResult& result);
  absl::Status PrepareOutput();
  absl::Status CommitJob();
  void Abandon();
  void Changed() { ++version_; }
  std::string TaskName(const Task& task) const;

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
  std::vector<Deferred<void>> running_tasks_;  // of the current phase, to cancel them
  std::optional<Deferred<void>> run_;
  Counters counters_;
  uint64_t bytes_read_ = 0;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOB_RUN_H_
