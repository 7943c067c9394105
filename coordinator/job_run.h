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
// AttemptSource), so a queued task costs a few dozen bytes and no work.
//
// Faults:
//   - An attempt that fails goes back to the queue, up to the job's max_attempts failures; its
//     error is kept. A lost worker, or a task handed back by a draining worker, is not the
//     task's failure. It runs again on another worker than the one it failed on, if there is
//     one. A worker on which this job's attempts failed 3 times gets none of them any more,
//     while another connected worker has not failed so.
//   - Skip mode (skip_bad_records N): a record on which the mapper failed in two attempts is
//     skipped in the next, up to N per task.
//   - A reduce attempt that cannot read a map task's output (its worker went away with it) sends
//     that map task back to the queue; the reduce task waits for it and runs again.
//   - Backup attempts: when every task of the phase has started, a task running much longer than
//     the phase's finished tasks took — or any task of a worker whose tasks have been much
//     slower than their peers — gets a second attempt on another worker; the two race (Race),
//     the first to succeed commits and the other is cancelled.
// The first task to fail for good fails the job: the other attempts are cancelled and nothing
// partial is left in the output directory.
//
// Output commit follows Hadoop's layout: each attempt writes under OUTPUT/_temporary; the
// accepted attempt's file is renamed to OUTPUT/part-r-NNNNN (part-m-NNNNN for map-only jobs);
// _SUCCESS is written last, when every part is there. Every commit is told to the JobLog (the
// coordinator's journal), so that a restarted coordinator resumes the job where it was.
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
#include "coordinator/output_committer.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "coordinator/speculation.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "job/counters.h"
#include "job/job.h"
#include "proto/braid.pb.h"
#include "proto/journal.pb.h"
#include "reactor/blocking_calls.h"
#include "reactor/looping_call.h"

namespace braid {

// Where a JobRun records what must survive a coordinator restart.
class JobLog {
 public:
  virtual ~JobLog() = default;
  // Task `committed.task()` of job `job_id` has committed (its output is in place).
  virtual void TaskCommitted(const std::string& job_id, const proto::TaskResult& result) = 0;
};

class JobRun final : public AttemptSource {
 public:
  // `definition` may be null (only workers know the job); `log` may be null. The output is
  // committed on `env`; removing an output directory (the old one of an --overwrite, a failed
  // job's) runs on `blocking_calls`. All referenced objects outlive this; `env` and
  // `blocking_calls` also outlive the calls it started there.
  JobRun(std::string id, proto::JobSpec spec, JobPlan plan, const JobDefinition* definition,
         Scheduler& scheduler, ReactorTime& time, Env& env, BlockingCalls& blocking_calls,
         JobLog* log);
  JobRun(const JobRun&) = delete;
  JobRun& operator=(const JobRun&) = delete;
  ~JobRun() override;

  // Before Run: a task that committed before the coordinator restarted. Its output is in place;
  // it will not run again (unless a reduce task finds its map output gone).
  void Restore(const proto::TaskCommitted& committed);

  // Runs the job; fires when it has ended — with OK when it succeeded, with its failure or
  // cancellation otherwise. Call once.
  Deferred<void> Run();

  // Cancels the job (its attempts are cancelled; it ends as CANCELLED with `why`).
  void Cancel(const absl::Status& why);
  // The coordinator is stopping: attempts are cancelled, but the job is not ended (nothing is
  // removed, nothing journaled): a restarted coordinator resumes it. Run's Deferred never fires.
  void Suspend();
  // Attempt numbers start above `base` (a restarted coordinator's attempts never share a name
  // with those of an earlier run that a worker may still be finishing). Before Run.
  void set_attempt_base(uint32_t base) { attempt_base_ = base; }
  // Before Run: the job was accepted before a restart. Its output directory may hold what it
  // wrote then, which is kept, --overwrite or not.
  void set_resumed() { resumed_ = true; }

  // After the job ended: its end could not be journaled (`why`), which its status says.
  void set_end_not_journaled(absl::Status why) { end_not_journaled_ = std::move(why); }

  // After a failed or cancelled job's end is on record: removes its output directory, so that
  // nothing partial is left behind; fires when it is gone (with the Env's error if it cannot
  // be). The removal does not need this JobRun to live on.
  Deferred<void> RemoveOutput();

  const std::string& id() const { return id_; }
  const proto::JobSpec& spec() const { return spec_; }
  // The split of map task `map_task`; null if the job has none.
  const proto::InputSplit* split(uint32_t map_task) const {
    return map_task < plan_.splits.size() ? &plan_.splits[map_task] : nullptr;
  }
  // Where `attempt` of this job writes its part file.
  std::string AttemptOutputPath(const proto::TaskAttempt& attempt) const;
  proto::JobState state() const { return state_; }
  bool finished() const;
  // Increases whenever the status changes (for watchers).
  uint64_t version() const { return version_; }
  proto::JobStatus Status(bool with_tasks) const;
  // Tasks of each phase, and how many of them have committed.
  uint32_t maps_total() const { return static_cast<uint32_t>(maps_.size()); }
  uint32_t maps_done() const { return maps_done_; }
  uint32_t reduces_total() const { return static_cast<uint32_t>(reduces_.size()); }
  uint32_t reduces_done() const { return reduces_done_; }

  // AttemptSource.
  const std::shared_ptr<const proto::JobDefinition>& definition() const override {
    return wire_definition_;
  }
  size_t ready() const override { return ready_.size() + backups_.size(); }
  bool TakeAttempt(WorkerId worker, proto::TaskAssignment& assignment) override;
  void AttemptStarted(const proto::TaskAttempt& attempt,
                      Deferred<proto::TaskResult> result) override;
  // The paper's rule: the completed maps whose outputs were on `worker` run again at once (in
  // the map phase, as the reduce phase begins), before any reduce finds their outputs gone.
  void HolderLost(const std::string& worker) override;

 private:
  enum class TaskState : uint8_t { kIdle, kInProgress, kCompleted, kFailed };
  // What a task gathers beyond its counts; most tasks need little of it.
  struct TaskRecord {
    std::vector<std::string> errors;  // of each failed attempt, oldest first
    std::vector<proto::MapOutput> outputs;
    std::vector<std::string> bag_output;
    std::vector<uint64_t> skipped_records;  // as reported by the committed attempt
    std::vector<uint64_t> skip;             // records the next attempts skip
    absl::flat_hash_map<uint64_t, uint32_t> record_failures;
    std::string status;  // of the committed attempt (a streaming command's reporter:status)
  };
  struct Task {
    Deferred<void> done;  // fires when an attempt commits; fails when the task fails for good
    TaskState state = TaskState::kIdle;
    uint8_t live = 0;             // attempts in flight
    bool backed_up = false;       // a backup attempt runs (or ran) for the current try
    uint16_t attempts = 0;        // attempts made
    uint16_t failures = 0;        // attempts that failed (counted against max_attempts)
    uint16_t retries = 0;         // attempts lost with their worker, or handed back
    uint32_t lone = 0;            // the number of the attempt that runs alone (before any backup)
    WorkerId worker = kNoWorker;  // of the latest attempt
    bool raced = false;           // a backup attempt raced the one that committed it
    uint32_t ran_ms = 0;          // how long the attempt that committed it ran
    absl::Time started;           // the latest attempt's start
    std::unique_ptr<TaskRecord> record;
    TaskRecord& Record();
  };
  // A task of either phase (maps run again during the reduce phase when an output is lost).
  struct TaskRef {
    bool map;
    uint32_t index;
  };
  struct Attempt {
    Deferred<proto::TaskResult> result;
    WorkerId worker;
  };

  Deferred<void> RunJob();
  // For a resumed job whose output directory holds a _SUCCESS that does not name it: whether the
  // old output its --overwrite replaces is still there (`replace_output` set), or another job's
  // output has taken the directory (kFailedPrecondition; the output is then left alone).
  absl::Status TakenOutput(bool* replace_output);
  // Whether `other` is a job id of this cluster numbered below this job.
  bool IsEarlierJob(const std::string& other) const;
  // Runs every task of the phase; fails with the first task failure.
  Deferred<void> RunPhase(proto::TaskKind kind);
  // The phase is over: queued tasks leave the queue and attempts in flight are cancelled.
  void EndPhase();
  std::vector<Task>& TasksOf(bool map) { return map ? maps_ : reduces_; }
  Task& TaskOf(TaskRef ref) { return TasksOf(ref.map)[ref.index]; }
  void Enqueue(TaskRef ref, bool first);
  void FillAssignment(TaskRef ref, uint32_t attempt, proto::TaskAssignment& assignment);
  // One attempt's outcome, or a race's (a task with a backup).
  void OnOutcome(TaskRef ref, uint32_t attempt, Result<proto::TaskResult> result);
  // An attempt of `ref` did not commit: runs it again, or fails it for good.
  void Retry(TaskRef ref, const absl::Status& why, bool counts_as_failure, WorkerId worker);
  // A reduce attempt could not read these map tasks' outputs: they run again first.
  void RerunMaps(TaskRef reduce, const std::vector<uint32_t>& maps);
  // Runs again the completed maps whose outputs were on `worker` (reduces wait for them).
  void RerunMapsHeldBy(const std::string& worker);
  absl::Status CommitTask(TaskRef ref, proto::TaskResult& result);
  // What a committed result leaves in `task` (its outputs, counters, status line, ...); moves the
  // bag output out of `result`. Shared by commits and by Restore.
  void Apply(Task& task, proto::TaskResult& result);
  // `raced`: a backup attempt ran beside the original.
  void Completed(TaskRef ref, bool raced);
  // Whether `worker`'s tasks of this job took kStragglerFactor times their phase's mean or more.
  bool SlowWorker(WorkerId worker) const;
  void CheckStragglers();
  bool Blacklisted(WorkerId worker) const;
  // Whether `ref`'s latest attempt failed on `worker`.
  bool FailedOn(TaskRef ref, WorkerId worker) const;
  // Whether a connected worker other than `worker` runs this job.
  bool HasOtherWorker(WorkerId worker) const;
  absl::Status CommitJob();
  void Changed() { ++version_; }
  std::string TaskName(TaskRef ref) const;
  static uint64_t AttemptKey(TaskRef ref, uint32_t attempt) {
    return uint64_t{ref.map} << 63 | uint64_t{ref.index} << 24 | attempt;
  }

  std::string id_;
  proto::JobSpec spec_;
  OutputCommitter committer_;
  BlockingCalls& blocking_calls_;
  JobPlan plan_;
  const JobDefinition* definition_;
  Scheduler& scheduler_;
  ReactorTime& time_;
  JobLog* log_;
  std::shared_ptr<const proto::JobDefinition> wire_definition_;
  uint32_t max_attempts_;
  uint32_t attempt_base_ = 0;

  proto::JobState state_ = proto::JOB_STATE_QUEUED;
  std::string message_;
  absl::Time started_ = absl::InfinitePast();
  absl::Time ended_;
  uint64_t version_ = 0;
  bool resumed_ = false;  // restored from the journal
  bool committed_before_restart_ = false;
  bool output_taken_ = false;  // another job committed its output where this one writes
  absl::Status end_not_journaled_;
  bool preparing_ = false;  // the output directory is being prepared, off the loop
  bool suspended_ = false;
  std::vector<Task> maps_;
  std::vector<Task> reduces_;
  uint32_t maps_done_ = 0;
  uint32_t reduces_done_ = 0;
  absl::flat_hash_map<WorkerId, uint32_t> worker_failures_;

  proto::TaskKind phase_ = proto::TASK_KIND_MAP;
  bool phase_open_ = false;
  std::deque<TaskRef> ready_;              // idle tasks, in the order they will run
  std::deque<uint32_t> backups_;           // tasks of the phase that should get a backup attempt
  std::vector<uint32_t> blocked_reduces_;  // waiting for lost map outputs to be made again
  uint32_t maps_rerunning_ = 0;
  // Holders lost during the map phase, whose maps run again as the reduce phase begins.
  std::vector<std::string> lost_holders_;
  absl::flat_hash_map<uint64_t, Attempt> attempts_;  // in flight, by AttemptKey
  std::vector<int64_t> phase_durations_ms_;          // of the phase's committed attempts
  int64_t phase_total_ms_ = 0;
  // How each worker's tasks of this job compared with their phase's mean (by worker number).
  struct WorkerPace {
    double ratio_sum = 0;
    uint32_t tasks = 0;
  };
  absl::flat_hash_map<WorkerId, WorkerPace> worker_pace_;
  std::optional<LoopingCall> straggler_check_;
  std::optional<Deferred<void>> run_;
  Counters counters_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOB_RUN_H_
