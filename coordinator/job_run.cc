#include "coordinator/job_run.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "deferred/deferred_list.h"
#include "deferred/errors.h"
#include "deferred/race.h"
#include "glog/logging.h"
#include "job/compressed_output.h"
#include "proto/attempt_name.h"
#include "proto/status_coding.h"

namespace braid {
namespace {

constexpr uint32_t kDefaultMaxAttempts = 4;
// Attempts lost with their workers (or handed back) before a task gives up all the same.
constexpr uint32_t kMaxRetries = 100;
// Failed attempts of one job on one worker before the job avoids that worker.
constexpr uint32_t kBlacklistFailures = 3;
// A record that made this many attempts fail is skipped (in skip mode).
constexpr uint32_t kSkipAfterFailures = 2;
// Stragglers (coordinator/speculation.h): backed up after twice the phase's median task time and
// at least a second, or at once on a worker whose tasks of the job are twice as slow as their
// phases' mean; at most one backup per ten tasks of the phase.
constexpr SpeculationRule kSpeculation{.factor = 2, .min_age = absl::Seconds(1), .share = 10};
constexpr absl::Duration kStragglerCheckInterval = absl::Milliseconds(250);
// How far down the queue a worker looks past tasks that failed on it.
constexpr size_t kRetrySearch = 64;

const char* TaskStateName(int state) {
  static const char* const kNames[] = {"idle", "in progress", "completed", "failed"};
  return kNames[state];
}

}  // namespace

JobRun::JobRun(std::string id, proto::JobSpec spec, JobPlan plan, const JobDefinition* definition,
               Scheduler& scheduler, ReactorTime& time, Env& env, BlockingCalls& blocking_calls,
               JobLog* log)
    : id_(std::move(id)),
      spec_(std::move(spec)),
      committer_(env, spec_.output(),
                 std::string(CodecExtension(OutputCodecOf(spec_).value_or(Codec::kNone)))),
      blocking_calls_(blocking_calls),
      plan_(std::move(plan)),
      definition_(definition),
      scheduler_(scheduler),
      time_(time),
      log_(log),
      max_attempts_(spec_.max_attempts() == 0 ? kDefaultMaxAttempts : spec_.max_attempts()) {
  auto wire = std::make_shared<proto::JobDefinition>();
  wire->set_job_id(id_);
  *wire->mutable_spec() = spec_;
  for (const std::string& boundary : plan_.boundaries) wire->add_partition_boundaries(boundary);
  wire->set_map_tasks(static_cast<uint32_t>(plan_.splits.size()));
  wire->set_reduce_tasks(plan_.reducers);
  if (!spec_.output().empty()) {
    // Unguessable, so that no other output directory of the same name holds it.
    absl::BitGen random;
    wire->set_output_token(absl::StrFormat("%s %016x%016x", id_, absl::Uniform<uint64_t>(random),
                                           absl::Uniform<uint64_t>(random)));
  }
  wire_definition_ = std::move(wire);
  maps_.resize(plan_.splits.size());
  reduces_.resize(plan_.reducers);
}

JobRun::~JobRun() {
  liveness_.End();
  // A job still running ends here: its coroutines are woken with the cancellation and finish
  // (nothing they call back reaches this JobRun: its tokens are dead), so no frame is left
  // waiting for ever.
  if (run_.has_value()) run_->Cancel();  // (a no-op once it has fired)
}

JobRun::TaskRecord& JobRun::Task::Record() {
  if (record == nullptr) record = std::make_unique<TaskRecord>();
  return *record;
}

bool JobRun::finished() const {
  return state_ == proto::JOB_STATE_SUCCEEDED || state_ == proto::JOB_STATE_FAILED ||
         state_ == proto::JOB_STATE_CANCELLED;
}

std::string JobRun::TaskName(TaskRef ref) const {
  return absl::StrFormat("%s task %d", ref.map ? "map" : "reduce", ref.index);
}

void JobRun::Restore(const proto::TaskCommitted& committed) {
  const proto::TaskAttempt& attempt = committed.result().attempt();
  const TaskRef ref{attempt.kind() == proto::TASK_KIND_MAP, attempt.task()};
  if (ref.index >= TasksOf(ref.map).size()) return;
  Task& task = TaskOf(ref);
  resumed_ = true;
  proto::TaskResult result = committed.result();
  if (task.state == TaskState::kCompleted) {
    // Committed again (its output had been lost): the later outputs are the ones that exist.
    task.Record().outputs.assign(result.outputs().begin(), result.outputs().end());
    if (!result.worker().empty()) task.worker = scheduler_.directory().Intern(result.worker());
    return;
  }
  task.state = TaskState::kCompleted;
  task.attempts = 1;
  Apply(task, result);
  ++(ref.map ? maps_done_ : reduces_done_);
}

Deferred<void> JobRun::Run() {
  started_ = time_.Now();
  scheduler_.AddSource(id_, this);
  run_ = RunJob().Both([this, alive = liveness_.token()](absl::Status outcome) {
    if (!alive || suspended_) return outcome;
    ended_ = time_.Now();
    if (outcome.ok()) {
      state_ = proto::JOB_STATE_SUCCEEDED;
      message_.clear();
      if (committed_before_restart_) {
        message_ =
            "its output was committed before the coordinator restarted (its end had not reached "
            "the journal): nothing ran again";
      }
    } else {
      if (state_ != proto::JOB_STATE_CANCELLED) state_ = proto::JOB_STATE_FAILED;
      if (message_.empty()) message_ = std::string(outcome.message());
    }
    Changed();
    LOG(INFO) << "job " << id_ << " " << proto::JobState_Name(state_)
              << (message_.empty() ? "" : ": ") << message_;
    return outcome;
  });
  return *run_;
}

void JobRun::Cancel(const absl::Status& why) {
  if (finished()) return;
  state_ = proto::JOB_STATE_CANCELLED;
  message_ = std::string(why.message());
  Changed();
  EndPhase();
  // While the output is being prepared off the loop the job ends when that is done (RunJob looks
  // at the state then): removing the output must not race the preparation.
  if (run_.has_value() && !preparing_) run_->Cancel();
}

std::string JobRun::AttemptOutputPath(const proto::TaskAttempt& attempt) const {
  return committer_.AttemptPath(attempt);
}

void JobRun::Suspend() {
  if (finished()) return;
  suspended_ = true;
  EndPhase();
}

bool JobRun::IsEarlierJob(const std::string& other) const {
  const size_t mine = id_.rfind('_');
  const size_t theirs = other.rfind('_');
  if (mine == std::string::npos || theirs == std::string::npos ||
      absl::string_view(id_).substr(0, mine) != absl::string_view(other).substr(0, theirs)) {
    return false;
  }
  uint64_t my_number = 0;
  uint64_t their_number = 0;
  return absl::SimpleAtoi(absl::string_view(id_).substr(mine + 1), &my_number) &&
         absl::SimpleAtoi(absl::string_view(other).substr(theirs + 1), &their_number) &&
         their_number < my_number;
}

absl::Status JobRun::TakenOutput(bool* replace_output) {
  if (!resumed_) return absl::OkStatus();
  const std::optional<std::string> committed = committer_.CommittedJob();
  if (!committed.has_value()) return absl::OkStatus();
  if (spec_.overwrite() && maps_done_ == 0 && reduces_done_ == 0 && IsEarlierJob(*committed)) {
    // The output this job's --overwrite replaces: the coordinator stopped before it was gone
    // (nothing of this job's is in it yet).
    *replace_output = true;
    return absl::OkStatus();
  }
  // Its end was lost, and another job has taken the directory since: leave that output.
  output_taken_ = true;
  return absl::FailedPreconditionError(absl::StrCat(
      "its output directory '", spec_.output(), "' holds ",
      committed->empty() ? "a committed output" : "job " + *committed + "'s committed output",
      " now (its _SUCCESS does not name this job): it was left as it is"));
}

Deferred<void> JobRun::RunJob() {
  if (resumed_ && committer_.CommittedBy(id_)) {
    // Its output was committed before the restart; only its end did not reach the journal.
    committed_before_restart_ = true;
    co_return;
  }
  bool replace_output = spec_.overwrite() && !resumed_;
  // (No co_yield inside a statement that holds temporaries or an init-statement's locals: GCC 12
  // destroys those twice.)
  absl::Status taken = TakenOutput(&replace_output);
  if (!taken.ok()) co_yield Raise(taken);
  if (!spec_.output().empty()) {
    // The old output an --overwrite replaces may be large: it goes off the loop, and the JobRun
    // may be gone by the time it has. (Named, not a temporary of the co_await expression: GCC 12
    // destroys such temporaries twice.)
    const Liveness::Token alive = liveness_.token();
    absl::AnyInvocable<absl::Status()> prepare = [committer = committer_, replace_output,
                                                  token = wire_definition_->output_token()] {
      // (Prepare keeps what a resumed job's output holds unless it is told to replace it.)
      return committer.Prepare(replace_output, /*resumed=*/false, token);
    };
    preparing_ = true;
    Deferred<void> preparing = blocking_calls_.Run(std::move(prepare));
    absl::Status prepared = co_await std::move(preparing);
    if (!alive) co_yield Raise(absl::CancelledError("the job is gone"));
    preparing_ = false;
    if (state_ == proto::JOB_STATE_CANCELLED) co_yield Raise(absl::CancelledError(message_));
    if (suspended_) co_yield Raise(absl::CancelledError("suspended"));
    if (!prepared.ok()) co_yield Raise(prepared);
  }

  state_ = proto::JOB_STATE_MAPPING;
  Changed();
  absl::Status mapped = co_await RunPhase(proto::TASK_KIND_MAP);
  if (!mapped.ok()) co_yield Raise(mapped);

  if (!reduces_.empty()) {
    state_ = proto::JOB_STATE_REDUCING;
    Changed();
    // (Reduces are held back while these run: RunPhase does not reset the count.)
    for (const std::string& worker : std::exchange(lost_holders_, {})) RerunMapsHeldBy(worker);
    absl::Status reduced = co_await RunPhase(proto::TASK_KIND_REDUCE);
    if (!reduced.ok()) co_yield Raise(reduced);
  }
  absl::Status committed = CommitJob();
  if (!committed.ok()) co_yield Raise(committed);
}

Deferred<void> JobRun::RunPhase(proto::TaskKind kind) {
  phase_ = kind;
  phase_open_ = true;
  phase_durations_ms_.clear();
  phase_total_ms_ = 0;
  const bool map = kind == proto::TASK_KIND_MAP;
  std::vector<Task>& phase = TasksOf(map);
  std::vector<Deferred<void>> done;
  done.reserve(phase.size());
  for (uint32_t i = 0; i < phase.size(); ++i) {
    done.push_back(phase[i].done);
    if (phase[i].state == TaskState::kCompleted) {
      phase[i].done.Callback().IgnoreError();  // committed before a restart
    } else {
      ready_.push_back(TaskRef{map, i});
    }
  }
  scheduler_.Wake();
  if (!spec_.no_speculation()) {
    straggler_check_.emplace(time_, [this] { CheckStragglers(); });
    straggler_check_->Start(kStragglerCheckInterval, /*now=*/false).Catch([](absl::Status) {});
  }
  Result<DeferredListResult<void>> ended =
      co_await DeferredList(std::move(done), {.fire_on_one_errback = true, .consume_errors = true});
  // Done, or one task failed for good: whatever else runs is no longer wanted.
  EndPhase();
  if (!ended.ok()) co_yield Raise(FirstErrorCause(ended.status()));
}

void JobRun::EndPhase() {
  phase_open_ = false;
  ready_.clear();
  backups_.clear();
  blocked_reduces_.clear();
  maps_rerunning_ = 0;
  if (straggler_check_.has_value())
    straggler_check_->Stop().IgnoreError();  // stopped already, if its check failed
  // Cancelling an attempt calls back into OnOutcome, which must not see the map change.
  auto attempts = std::move(attempts_);
  attempts_.clear();
  for (auto& [key, attempt] : attempts) attempt.result.Cancel();
}

void JobRun::Enqueue(TaskRef ref, bool first) {
  if (first) {
    ready_.push_front(ref);
  } else {
    ready_.push_back(ref);
  }
  scheduler_.Wake();
}

bool JobRun::Blacklisted(WorkerId worker) const {
  if (worker_failures_.empty()) return false;
  auto failures = worker_failures_.find(worker);
  if (failures == worker_failures_.end() || failures->second < kBlacklistFailures) return false;
  // Avoid the worker only while another connected worker that runs the job has not failed it as
  // often: a job never stalls for want of a worker it trusts.
  for (const auto& [peer, other] : scheduler_.workers()) {
    if (!other.kinds.contains(spec_.job()) || other.draining || other.id == worker) continue;
    auto theirs = worker_failures_.find(other.id);
    if (theirs == worker_failures_.end() || theirs->second < kBlacklistFailures) return true;
  }
  return false;
}

bool JobRun::FailedOn(TaskRef ref, WorkerId worker) const {
  const Task& task = ref.map ? maps_[ref.index] : reduces_[ref.index];
  return task.failures > 0 && task.worker == worker;
}

bool JobRun::HasOtherWorker(WorkerId worker) const {
  for (const auto& [peer, other] : scheduler_.workers()) {
    if (!other.kinds.contains(spec_.job()) || other.draining) continue;
    if (other.id != worker && !Blacklisted(other.id)) return true;
  }
  return false;
}

bool JobRun::TakeAttempt(WorkerId worker, proto::TaskAssignment& assignment) {
  if (Blacklisted(worker)) return false;
  TaskRef ref;
  bool picked = false;
  // A task that failed goes to another worker than the one it failed on, if there is one (the
  // retries wait at the front of the queue, so the search is short). While map tasks run again
  // because their outputs were lost, no reduce task may start: it would miss their output.
  for (size_t i = 0; i < ready_.size() && i < kRetrySearch;) {
    const TaskRef candidate = ready_[i];
    if (!candidate.map && maps_rerunning_ > 0) {
      blocked_reduces_.push_back(candidate.index);
      ready_.erase(ready_.begin() + static_cast<long>(i));
      continue;
    }
    if (FailedOn(candidate, worker) && HasOtherWorker(worker)) {
      ++i;
      continue;
    }
    ref = candidate;
    ready_.erase(ready_.begin() + static_cast<long>(i));
    picked = true;
    break;
  }
  if (!picked && !ready_.empty()) return false;
  // Nor a backup reduce: it would be given the map outputs known now, without those being made
  // again (and the reduces that look slow are those waiting for them).
  if (!picked && phase_ == proto::TASK_KIND_REDUCE && maps_rerunning_ > 0) return false;
  if (!picked) {
    // A backup, on a worker other than the one running the task; entries whose task has ended
    // or is backed up already are dropped.
    std::vector<Task>& phase = TasksOf(phase_ == proto::TASK_KIND_MAP);
    std::erase_if(backups_, [&](uint32_t index) {
      const Task& task = phase[index];
      return task.state != TaskState::kInProgress || task.live != 1 || task.backed_up;
    });
    auto backup = std::find_if(backups_.begin(), backups_.end(),
                               [&](uint32_t index) { return phase[index].worker != worker; });
    if (backup == backups_.end()) return false;
    ref = TaskRef{phase_ == proto::TASK_KIND_MAP, *backup};
    backups_.erase(backup);
  }
  Task& task = TaskOf(ref);
  const bool backup = task.live > 0;
  task.state = TaskState::kInProgress;
  ++task.attempts;
  ++task.live;
  if (!backup) {
    task.worker = worker;
    task.started = time_.Now();
  }
  Changed();
  FillAssignment(ref, attempt_base_ + task.attempts, assignment);
  return true;
}

void JobRun::FillAssignment(TaskRef ref, uint32_t attempt, proto::TaskAssignment& assignment) {
  proto::TaskAttempt* name = assignment.mutable_attempt();
  name->set_job_id(id_);
  name->set_kind(ref.map ? proto::TASK_KIND_MAP : proto::TASK_KIND_REDUCE);
  name->set_task(ref.index);
  name->set_attempt(attempt);
  const Task& task = TaskOf(ref);
  if (ref.map) {
    *assignment.mutable_split() = plan_.splits[ref.index];
    if (task.record != nullptr) {
      for (uint64_t record : task.record->skip) assignment.add_skip_records(record);
    }
    return;
  }
  // Every map task's run for this partition, with where its holder serves it now (a holder that
  // is gone serves nothing: the reducer reads the path, finds nothing, and the map runs again).
  assignment.set_partition(ref.index);
  absl::flat_hash_map<absl::string_view, const Scheduler::WorkerInfo*> holders;
  for (const auto& [peer, worker] : scheduler_.workers()) {
    if (!worker.data_endpoint.empty()) holders[worker.name] = &worker;
  }
  for (const Task& map : maps_) {
    if (map.record == nullptr) continue;
    for (const proto::MapOutput& output : map.record->outputs) {
      if (output.partition() != ref.index) continue;
      proto::MapOutput& given = *assignment.add_map_outputs();
      given = output;
      given.clear_data_endpoint();
      given.clear_data_key();
      if (auto holder = holders.find(output.worker()); holder != holders.end()) {
        given.set_data_endpoint(holder->second->data_endpoint);
        given.set_data_key(holder->second->key);
      }
    }
  }
}

namespace {

// The attempt's TaskResult if it succeeded; its failure as an error otherwise (for a race, which
// wants the first success).
Deferred<proto::TaskResult> SucceededOnly(Deferred<proto::TaskResult> attempt) {
  return attempt.Then([](proto::TaskResult result) -> Result<proto::TaskResult> {
    if (result.code() != 0) {
      return StatusFromWire(result.code(), result.message());
    }
    return result;
  });
}

// Why both attempts of a race failed: the failure of a task's own code if there was one (it
// counts against the task), else the loss of a worker.
absl::Status RaceFailure(const absl::Status& group) {
  absl::Status lost = absl::UnavailableError(group.message());
  for (const absl::Status& member : FailureGroupMembers(group)) {
    if (absl::IsCancelled(member)) return member;
    if (!absl::IsUnavailable(member)) return member;
  }
  return lost;
}

}  // namespace

void JobRun::AttemptStarted(const proto::TaskAttempt& attempt, Deferred<proto::TaskResult> result) {
  const TaskRef ref{attempt.kind() == proto::TASK_KIND_MAP, attempt.task()};
  const uint32_t number = attempt.attempt();
  Task& task = TaskOf(ref);
  attempts_.emplace(AttemptKey(ref, number), Attempt{result, task.worker});
  if (task.live == 1) {
    // The only attempt: its outcome is the task's — unless a backup races it later, and then the
    // outcome passes on to the race.
    task.lone = number;
    result.Both([this, alive = liveness_.token(), ref,
                 number](Result<proto::TaskResult> outcome) -> Result<proto::TaskResult> {
      if (!alive || TaskOf(ref).backed_up) return outcome;
      OnOutcome(ref, number, std::move(outcome));
      return proto::TaskResult();
    });
    return;
  }
  // A backup: the first of the two attempts to succeed is the task's outcome, and Race cancels
  // the other.
  task.backed_up = true;
  const uint32_t original = task.lone;
  auto lone = attempts_.find(AttemptKey(ref, original));
  Deferred<proto::TaskResult> first = lone != attempts_.end()
                                          ? lone->second.result
                                          : Fail<proto::TaskResult>(absl::CancelledError());
  Race<proto::TaskResult>({SucceededOnly(first), SucceededOnly(result)})
      .Both([this, alive = liveness_.token(), ref, original,
             number](Result<RaceWinner<proto::TaskResult>> winner) {
        if (!alive) return;
        attempts_.erase(AttemptKey(ref, original));
        attempts_.erase(AttemptKey(ref, number));
        Task& task = TaskOf(ref);
        task.live = 0;
        task.backed_up = false;
        if (!winner.ok()) {
          OnOutcome(ref, 0, RaceFailure(winner.status()));
          return;
        }
        LOG(INFO) << "job " << id_ << ": " << TaskName(ref) << " attempt "
                  << (winner->index == 0 ? original : number) << " won the race with its "
                  << (winner->index == 0 ? "backup" : "original");
        OnOutcome(ref, 0, std::move(winner->value));
      });
}

void JobRun::OnOutcome(TaskRef ref, uint32_t attempt, Result<proto::TaskResult> result) {
  if (attempt != 0) {
    // A lone attempt.
    auto it = attempts_.find(AttemptKey(ref, attempt));
    if (it == attempts_.end()) return;  // cancelled: the phase or the job is over
    attempts_.erase(it);
    --TaskOf(ref).live;
  }
  if (!phase_open_) return;
  Task& task = TaskOf(ref);
  const WorkerId worker = task.worker;
  if (!result.ok()) {
    if (absl::IsCancelled(result.status())) return;
    // Lost with its worker or not reachable (not the task's failure), or, after a race, the
    // failure of the task's own code.
    const bool lost = absl::IsUnavailable(result.status());
    Retry(ref, result.status(), /*counts_as_failure=*/!lost, worker);
    return;
  }
  if (result->lost_map_outputs_size() > 0 && !ref.map) {
    RerunMaps(ref, std::vector<uint32_t>(result->lost_map_outputs().begin(),
                                         result->lost_map_outputs().end()));
    return;
  }
  absl::Status outcome = StatusFromWire(result->code(), result->message());
  if (outcome.ok()) outcome = CommitTask(ref, *result);
  if (outcome.ok()) {
    Completed(ref, /*raced=*/attempt == 0);
    return;
  }
  if (absl::IsUnavailable(outcome)) {
    // Handed back by a draining worker: not the task's failure.
    Retry(ref, outcome, /*counts_as_failure=*/false, worker);
    return;
  }
  // Skip mode: a record that failed twice is skipped next time, and that failure is forgiven.
  bool forgiven = false;
  if (ref.map && spec_.skip_bad_records() > 0 && result->failed_record() >= 0 &&
      result->code() != 0) {
    TaskRecord& record = task.Record();
    const uint64_t bad = static_cast<uint64_t>(result->failed_record());
    if (++record.record_failures[bad] >= kSkipAfterFailures &&
        record.skip.size() < spec_.skip_bad_records() &&
        std::find(record.skip.begin(), record.skip.end(), bad) == record.skip.end()) {
      record.skip.push_back(bad);
      forgiven = true;
    }
  }
  Retry(ref, outcome, /*counts_as_failure=*/!forgiven, worker);
}

void JobRun::Retry(TaskRef ref, const absl::Status& why, bool counts_as_failure, WorkerId worker) {
  Task& task = TaskOf(ref);
  if (task.live > 0) return;  // another attempt of the task still runs
  task.state = TaskState::kIdle;
  task.Record().errors.push_back(absl::StrCat("attempt ", task.attempts, ": ", why.ToString()));
  Changed();
  absl::Status gave_up;
  if (counts_as_failure) {
    if (worker != kNoWorker) ++worker_failures_[worker];
    if (++task.failures >= max_attempts_) {
      gave_up = absl::Status(why.code(), absl::StrCat(TaskName(ref), " failed ", task.failures,
                                                      " times; last error: ", why.message()));
    }
  } else if (++task.retries > kMaxRetries) {
    gave_up = absl::AbortedError(
        absl::StrCat(TaskName(ref), " was lost ", task.retries, " times; last: ", why.message()));
  }
  if (!gave_up.ok()) {
    task.state = TaskState::kFailed;
    if (ref.map == (phase_ == proto::TASK_KIND_MAP)) {
      task.done.Errback(gave_up).IgnoreError();
      return;
    }
    // A map task run again for lost output in the reduce phase: the reduce tasks waiting for it
    // cannot go on, and the job fails.
    for (Task& reduce : reduces_) {
      if (reduce.state == TaskState::kCompleted || reduce.state == TaskState::kFailed) continue;
      reduce.state = TaskState::kFailed;
      reduce.done.Errback(gave_up).IgnoreError();
      return;
    }
    return;
  }
  // A retry goes first: a failing task should fail the job soon, not after the queue.
  Enqueue(ref, /*first=*/true);
}

void JobRun::RerunMaps(TaskRef reduce, const std::vector<uint32_t>& maps) {
  Task& task = TaskOf(reduce);
  if (++task.retries > kMaxRetries) {
    // The outputs never become readable (no shared filesystem between the workers?).
    task.state = TaskState::kFailed;
    task.done
        .Errback(absl::AbortedError(absl::StrCat(TaskName(reduce), " could not read map output(s) ",
                                                 absl::StrJoin(maps, ", "), " ", task.retries,
                                                 " times, though they ran again")))
        .IgnoreError();
    return;
  }
  task.state = TaskState::kIdle;
  task.Record().errors.push_back(
      absl::StrCat("attempt ", task.attempts, ": the output of map task(s) ",
                   absl::StrJoin(maps, ", "), " could not be read; they run again"));
  blocked_reduces_.push_back(reduce.index);
  for (uint32_t index : maps) {
    if (index >= maps_.size()) continue;
    Task& map = maps_[index];
    if (map.state != TaskState::kCompleted) continue;  // already running again
    LOG(WARNING) << "job " << id_ << ": map task " << index << "'s output is gone; it runs again";
    map.state = TaskState::kIdle;
    map.Record().outputs.clear();
    --maps_done_;
    ++maps_rerunning_;
    Enqueue(TaskRef{true, index}, /*first=*/true);
  }
  if (maps_rerunning_ == 0) {
    // They are back already (another reduce asked first and they ran): go again at once.
    for (uint32_t index : blocked_reduces_) Enqueue(TaskRef{false, index}, /*first=*/false);
    blocked_reduces_.clear();
  }
  Changed();
}

void JobRun::HolderLost(const std::string& worker) {
  if (finished() || suspended_ || reduces_.empty()) return;
  if (phase_ == proto::TASK_KIND_MAP) {
    // The map phase counts its tasks done once: they run again when it is over.
    lost_holders_.push_back(worker);
    return;
  }
  RerunMapsHeldBy(worker);
}

void JobRun::RerunMapsHeldBy(const std::string& worker) {
  for (uint32_t index = 0; index < maps_.size(); ++index) {
    Task& map = maps_[index];
    if (map.state != TaskState::kCompleted || map.record == nullptr) continue;
    const bool held =
        std::any_of(map.record->outputs.begin(), map.record->outputs.end(),
                    [&](const proto::MapOutput& output) { return output.worker() == worker; });
    if (!held) continue;
    LOG(WARNING) << "job " << id_ << ": map task " << index << "'s output was on worker " << worker
                 << ", which is lost; it runs again";
    map.record->errors.push_back(
        absl::StrCat("its output was lost with worker ", worker, "; it runs again"));
    map.state = TaskState::kIdle;
    map.record->outputs.clear();
    --maps_done_;
    ++maps_rerunning_;
    Enqueue(TaskRef{true, index}, /*first=*/true);
  }
  Changed();
}

void JobRun::Completed(TaskRef ref, bool raced) {
  Task& task = TaskOf(ref);
  task.state = TaskState::kCompleted;
  task.raced = raced;
  task.ran_ms = static_cast<uint32_t>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(time_.Now() - task.started), 0, UINT32_MAX));
  ++(ref.map ? maps_done_ : reduces_done_);
  Changed();
  const bool of_phase = ref.map == (phase_ == proto::TASK_KIND_MAP);
  if (of_phase) {
    // A raced task's time is the original's and the backup's: it says nothing of either worker.
    if (!raced) {
      const int64_t ms = absl::ToInt64Milliseconds(time_.Now() - task.started);
      phase_durations_ms_.push_back(ms);
      phase_total_ms_ += ms;
      const double mean = static_cast<double>(phase_total_ms_) / phase_durations_ms_.size();
      WorkerPace& pace = worker_pace_[task.worker];
      pace.ratio_sum += mean > 0 ? ms / mean : 1;
      ++pace.tasks;
    }
    task.done.Callback().IgnoreError();
    return;
  }
  // A map task run again during the reduce phase: the reduce tasks that waited may go on.
  if (maps_rerunning_ > 0 && --maps_rerunning_ == 0) {
    for (uint32_t index : blocked_reduces_) Enqueue(TaskRef{false, index}, /*first=*/false);
    blocked_reduces_.clear();
  }
}

bool JobRun::SlowWorker(WorkerId worker) const {
  auto pace = worker_pace_.find(worker);
  return pace != worker_pace_.end() && pace->second.tasks > 0 &&
         pace->second.ratio_sum / pace->second.tasks >= kSpeculation.factor;
}

void JobRun::CheckStragglers() {
  if (!phase_open_ || !ready_.empty()) return;
  const absl::Duration median = MedianDuration(phase_durations_ms_);
  const absl::Duration threshold = StragglerThreshold(median, kSpeculation);
  std::vector<Task>& phase = TasksOf(phase_ == proto::TASK_KIND_MAP);
  const absl::Time now = time_.Now();
  std::vector<SpeculatedTask> seen(phase.size());
  for (uint32_t i = 0; i < phase.size(); ++i) {
    const Task& task = phase[i];
    seen[i].backed_up = task.backed_up;
    seen[i].candidate = task.state == TaskState::kInProgress && task.live == 1 && !task.backed_up &&
                        std::find(backups_.begin(), backups_.end(), i) == backups_.end();
    if (!seen[i].candidate) continue;
    seen[i].running_for = now - task.started;
    seen[i].on_slow_worker = SlowWorker(task.worker);
  }
  for (uint32_t i : ChooseBackups(seen, threshold, backups_.size(), kSpeculation)) {
    LOG(INFO) << "job " << id_ << ": " << TaskName(TaskRef{phase_ == proto::TASK_KIND_MAP, i})
              << " has run " << absl::FormatDuration(seen[i].running_for)
              << (seen[i].on_slow_worker ? " on a worker whose tasks are slow" : "")
              << " (the median task " << absl::FormatDuration(median)
              << "): starting a backup attempt";
    backups_.push_back(i);
  }
  if (!backups_.empty()) scheduler_.Wake();
}

absl::Status JobRun::CommitTask(TaskRef ref, proto::TaskResult& result) {
  const bool final_output = !ref.map || plan_.reducers == 0;
  if (final_output && spec_.records_per_task() == 0) {
    // Move the attempt's part file into place: from now on readers see it whole.
    absl::Status committed = committer_.CommitTask(result.attempt(), result.outputs());
    if (!committed.ok()) return committed;
  }
  if (log_ != nullptr) log_->TaskCommitted(id_, result);
  Apply(TaskOf(ref), result);
  return absl::OkStatus();
}

void JobRun::Apply(Task& task, proto::TaskResult& result) {
  if (result.outputs_size() > 0) {
    task.Record().outputs.assign(result.outputs().begin(), result.outputs().end());
  }
  if (result.bag_output_size() > 0) {
    task.Record().bag_output.assign(std::make_move_iterator(result.mutable_bag_output()->begin()),
                                    std::make_move_iterator(result.mutable_bag_output()->end()));
  }
  if (result.skipped_records_size() > 0) {
    task.Record().skipped_records.assign(result.skipped_records().begin(),
                                         result.skipped_records().end());
  }
  if (!result.worker().empty()) task.worker = scheduler_.directory().Intern(result.worker());
  if (!result.status().empty()) task.Record().status = result.status();
  counters_.Add(result.counters());
}

absl::Status JobRun::CommitJob() {
  if (spec_.records_per_task() > 0 && plan_.reducers == 0) {
    // A task-bag job's result, in task order.
    std::vector<const std::vector<std::string>*> lines;
    lines.reserve(maps_.size());
    for (const Task& map : maps_) {
      lines.push_back(map.record == nullptr ? nullptr : &map.record->bag_output);
    }
    absl::Status written = committer_.WriteBagOutput(lines);
    if (!written.ok()) return written;
  }
  return committer_.CommitJob(id_);
}

Deferred<void> JobRun::RemoveOutput() {
  if (output_taken_) {
    Deferred<void> kept;
    kept.Callback().IgnoreError();
    return kept;
  }
  return blocking_calls_.Run([committer = committer_] { return committer.Abort(); });
}

proto::JobStatus JobRun::Status(bool with_tasks) const {
  proto::JobStatus status;
  status.set_job_id(id_);
  status.set_name(spec_.name().empty() ? spec_.job() : spec_.name());
  status.set_state(state_);
  status.set_output(spec_.output());
  status.set_owner(spec_.owner());
  status.set_submission_id(spec_.submission_id());
  status.set_input_bytes(plan_.input_bytes);
  status.set_maps_done(maps_done_);
  status.set_maps_total(static_cast<uint32_t>(maps_.size()));
  status.set_reduces_done(reduces_done_);
  status.set_reduces_total(static_cast<uint32_t>(reduces_.size()));
  status.set_bytes_read(static_cast<uint64_t>(counters_.Get(kFileSystemCounters, kBytesRead)));
  absl::Time end = finished() ? ended_ : time_.Now();
  if (started_ != absl::InfinitePast()) {
    status.set_elapsed_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(end - started_)));
    status.set_started_at_ms(
        static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(started_))));
    if (finished()) {
      status.set_ended_at_ms(
          static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(ended_))));
    }
  }
  counters_.AddTo(status.mutable_counters());
  std::string message = message_;
  if (message.empty() && !finished() && !ready_.empty() && !scheduler_.HasWorkerFor(spec_.job())) {
    message = absl::StrCat("waiting: no connected worker runs job '", spec_.job(), "'");
  }
  if (!end_not_journaled_.ok()) {
    status.set_end_not_journaled(true);
    message = absl::StrCat(message, message.empty() ? "" : "; ", "its end could not be journaled (",
                           end_not_journaled_.message(),
                           "): the outcome is not durable, and a restarted coordinator resumes "
                           "the job");
  }
  status.set_message(message);
  if (spec_.records_per_task() > 0 && state_ == proto::JOB_STATE_SUCCEEDED) {
    for (const Task& map : maps_) {
      if (map.record == nullptr) continue;
      for (const std::string& line : map.record->bag_output) status.add_bag_output(line);
    }
  }
  if (with_tasks) {
    for (proto::TaskKind kind : {proto::TASK_KIND_MAP, proto::TASK_KIND_REDUCE}) {
      const std::vector<Task>& tasks = kind == proto::TASK_KIND_MAP ? maps_ : reduces_;
      for (uint32_t i = 0; i < tasks.size(); ++i) {
        const Task& task = tasks[i];
        proto::TaskStatus* t = status.add_tasks();
        t->set_kind(kind);
        t->set_task(i);
        t->set_state(TaskStateName(static_cast<int>(task.state)));
        t->set_attempts(task.attempts);
        if (task.worker != kNoWorker) t->set_worker(scheduler_.directory().name(task.worker));
        t->set_backed_up(task.backed_up || task.raced);
        if (task.state != TaskState::kIdle && task.started >= started_ &&
            started_ != absl::InfinitePast()) {
          t->set_started_ms(
              static_cast<uint64_t>(absl::ToInt64Milliseconds(task.started - started_)));
          t->set_duration_ms(
              task.state == TaskState::kCompleted
                  ? task.ran_ms
                  : static_cast<uint64_t>(absl::ToInt64Milliseconds(end - task.started)));
        }
        if (task.record == nullptr) continue;
        for (const std::string& error : task.record->errors) t->add_errors(error);
        for (uint64_t record : task.record->skipped_records) t->add_skipped_records(record);
        t->set_status(task.record->status);
      }
    }
  }
  return status;
}

}  // namespace braid
