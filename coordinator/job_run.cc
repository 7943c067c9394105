#include "coordinator/job_run.h"

#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "deferred/deferred_list.h"
#include "deferred/errors.h"
#include "glog/logging.h"
#include "proto/attempt_name.h"

namespace braid {
namespace {

constexpr uint32_t kDefaultMaxAttempts = 4;
// Attempts lost with their workers (or handed back) before a task gives up all the same.
constexpr uint32_t kMaxRetries = 100;

const char* TaskStateName(int state) {
  static const char* const kNames[] = {"idle", "in progress", "completed", "failed"};
  return kNames[state];
}

}  // namespace

JobRun::JobRun(std::string id, proto::JobSpec spec, JobPlan plan, const JobDefinition* definition,
               Scheduler& scheduler, ReactorTime& time)
    : id_(std::move(id)),
      spec_(std::move(spec)),
      plan_(std::move(plan)),
      definition_(definition),
      scheduler_(scheduler),
      time_(time),
      max_attempts_(spec_.max_attempts() == 0 ? kDefaultMaxAttempts : spec_.max_attempts()) {
  auto wire = std::make_shared<proto::JobDefinition>();
  wire->set_job_id(id_);
  *wire->mutable_spec() = spec_;
  for (const std::string& boundary : plan_.boundaries) wire->add_partition_boundaries(boundary);
  wire->set_map_tasks(static_cast<uint32_t>(plan_.splits.size()));
  wire->set_reduce_tasks(plan_.reducers);
  wire_definition_ = std::move(wire);
  maps_.resize(plan_.splits.size());
  reduces_.resize(plan_.reducers);
}

JobRun::~JobRun() { *alive_ = false; }

JobRun::TaskRecord& JobRun::Task::Record() {
  if (record == nullptr) record = std::make_unique<TaskRecord>();
  return *record;
}

bool JobRun::finished() const {
  return state_ == proto::JOB_STATE_SUCCEEDED || state_ == proto::JOB_STATE_FAILED ||
         state_ == proto::JOB_STATE_CANCELLED;
}

std::string JobRun::TaskName(proto::TaskKind kind, uint32_t index) const {
  return absl::StrFormat("%s task %d", kind == proto::TASK_KIND_MAP ? "map" : "reduce", index);
}

uint32_t JobRun::WorkerNumber(const std::string& name) {
  auto [it, added] = worker_numbers_.emplace(name, worker_names_.size() + 1);
  if (added) worker_names_.push_back(name);
  return it->second;
}

Deferred<void> JobRun::Run() {
  started_ = time_.Now();
  scheduler_.AddSource(id_, this);
  run_ = RunJob().Both([this](absl::Status outcome) {
    ended_ = time_.Now();
    if (outcome.ok()) {
      state_ = proto::JOB_STATE_SUCCEEDED;
      message_.clear();
    } else {
      if (state_ != proto::JOB_STATE_CANCELLED) state_ = proto::JOB_STATE_FAILED;
      if (message_.empty()) message_ = std::string(outcome.message());
      Abandon();
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
  if (run_.has_value()) run_->Cancel();
}

Deferred<void> JobRun::RunJob() {
  absl::Status prepared = PrepareOutput();
  if (!prepared.ok()) co_return prepared;

  state_ = proto::JOB_STATE_MAPPING;
  Changed();
  absl::Status mapped = co_await RunPhase(proto::TASK_KIND_MAP);
  if (!mapped.ok()) co_return mapped;

  if (!reduces_.empty()) {
    state_ = proto::JOB_STATE_REDUCING;
    Changed();
    absl::Status reduced = co_await RunPhase(proto::TASK_KIND_REDUCE);
    if (!reduced.ok()) co_return reduced;
  }
  co_return CommitJob();
}

Deferred<void> JobRun::RunPhase(proto::TaskKind kind) {
  phase_ = kind;
  phase_open_ = true;
  std::vector<Task>& phase = tasks();
  std::vector<Deferred<void>> done;
  done.reserve(phase.size());
  for (uint32_t i = 0; i < phase.size(); ++i) {
    done.push_back(phase[i].done);
    ready_.push_back(i);
  }
  scheduler_.Wake();
  Result<DeferredListResult<void>> ended =
      co_await DeferredList(std::move(done), {.fire_on_one_errback = true, .consume_errors = true});
  // Done, or one task failed for good: whatever else runs is no longer wanted.
  EndPhase();
  if (!ended.ok()) co_return absl::Status(ended.status().code(), ended.status().message());
  co_return absl::OkStatus();
}

void JobRun::EndPhase() {
  phase_open_ = false;
  ready_.clear();
  // Cancelling an attempt calls back into OnAttemptDone, which must not see the map change.
  auto attempts = std::move(attempts_);
  attempts_.clear();
  for (auto& [key, attempt] : attempts) attempt.Cancel();
}

void JobRun::TakeAttempt(const std::string& worker, proto::TaskAssignment& assignment) {
  const uint32_t index = ready_.front();
  ready_.pop_front();
  Task& task = tasks()[index];
  task.state = TaskState::kInProgress;
  ++task.attempts;
  Changed();
  task.worker = WorkerNumber(worker);
  proto::TaskAttempt* attempt = assignment.mutable_attempt();
  attempt->set_job_id(id_);
  attempt->set_kind(phase_);
  attempt->set_task(index);
  attempt->set_attempt(task.attempts);
  if (phase_ == proto::TASK_KIND_MAP) {
    *assignment.mutable_split() = plan_.splits[index];
  } else {
    // Every map task's run for this partition.
    assignment.set_partition(index);
    for (const Task& map : maps_) {
      if (map.record == nullptr) continue;
      for (const proto::MapOutput& output : map.record->outputs) {
        if (output.partition() == index) *assignment.add_map_outputs() = output;
      }
    }
  }
}

void JobRun::AttemptStarted(const proto::TaskAttempt& attempt, Deferred<proto::TaskResult> result) {
  const uint32_t index = attempt.task();
  const uint32_t number = attempt.attempt();
  attempts_.emplace(uint64_t{index} << 32 | number, result);
  result.Both([this, alive = alive_, index, number](Result<proto::TaskResult> outcome) {
    if (*alive) OnAttemptDone(index, number, std::move(outcome));
  });
}

void JobRun::OnAttemptDone(uint32_t index, uint32_t attempt, Result<proto::TaskResult> result) {
  if (attempts_.erase(uint64_t{index} << 32 | attempt) == 0 || !phase_open_) {
    return;  // cancelled: the phase or the job is over
  }
  Task& task = tasks()[index];
  if (!result.ok()) {
    // Lost with its worker, or the worker could not be reached.
    Retry(index, result.status(), /*counts_as_failure=*/false);
    return;
  }
  absl::Status outcome(static_cast<absl::StatusCode>(result->code()), result->message());
  if (outcome.ok()) outcome = CommitTask(task, index, *result);
  if (!outcome.ok()) {
    // A task handed back by a draining worker is not its failure.
    Retry(index, outcome, /*counts_as_failure=*/!absl::IsUnavailable(outcome));
    return;
  }
  task.state = TaskState::kCompleted;
  ++(phase_ == proto::TASK_KIND_MAP ? maps_done_ : reduces_done_);
  Changed();
  task.done.Callback().IgnoreError();
}

void JobRun::Retry(uint32_t index, const absl::Status& why, bool counts_as_failure) {
  Task& task = tasks()[index];
  task.state = TaskState::kIdle;
  task.Record().errors.push_back(absl::StrCat("attempt ", task.attempts, ": ", why.ToString()));
  Changed();
  absl::Status gave_up;
  if (counts_as_failure && ++task.failures >= max_attempts_) {
    gave_up =
        absl::Status(why.code(), absl::StrCat(TaskName(phase_, index), " failed ", task.failures,
                                              " times; last error: ", why.message()));
  } else if (!counts_as_failure && ++task.retries > kMaxRetries) {
    gave_up = absl::AbortedError(absl::StrCat(TaskName(phase_, index), " was lost ", task.retries,
                                              " times; last: ", why.message()));
  }
  if (!gave_up.ok()) {
    task.state = TaskState::kFailed;
    task.done.Errback(gave_up).IgnoreError();
    return;
  }
  // A retry goes first: a failing task should fail the job soon, not after the queue.
  ready_.push_front(index);
  scheduler_.Wake();
}

absl::Status JobRun::CommitTask(Task& task, uint32_t index, proto::TaskResult& result) {
  const bool final_output = phase_ == proto::TASK_KIND_REDUCE || plan_.reducers == 0;
  if (final_output && spec_.records_per_task() == 0 && !spec_.output().empty()) {
    // Move the attempt's part file into place: from now on readers see it whole.
    for (const proto::MapOutput& output : result.outputs()) {
      std::string name = output.path().substr(output.path().rfind('/') + 1);
      std::string final_path = absl::StrCat(spec_.output(), "/", name);
      if (rename(output.path().c_str(), final_path.c_str()) != 0) {
        return absl::InternalError(absl::StrCat("cannot commit ", output.path(), " as ", final_path,
                                                ": ", std::strerror(errno)));
      }
    }
  }
  (void)index;
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
  if (!result.status().empty()) task.Record().status = result.status();
  counters_.Add(result.counters());
  return absl::OkStatus();
}

absl::Status JobRun::PrepareOutput() {
  if (spec_.output().empty()) return absl::OkStatus();
  std::error_code error;
  if (spec_.overwrite()) std::filesystem::remove_all(spec_.output(), error);
  std::filesystem::create_directories(std::filesystem::path(spec_.output()) / "_temporary", error);
  if (error) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create the output directory '",
                                                    spec_.output(), "': ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status JobRun::CommitJob() {
  if (spec_.output().empty()) return absl::OkStatus();
  if (spec_.records_per_task() > 0 && plan_.reducers == 0) {
    // A task-bag job's result, in task order.
    std::ofstream out(absl::StrCat(spec_.output(), "/part-m-00000"), std::ios::binary);
    for (const Task& map : maps_) {
      if (map.record == nullptr) continue;
      for (const std::string& line : map.record->bag_output) out << line << '\n';
    }
    if (!out) return absl::InternalError(absl::StrCat("cannot write to ", spec_.output()));
  }
  std::error_code error;
  std::filesystem::remove_all(std::filesystem::path(spec_.output()) / "_temporary", error);
  std::ofstream success(absl::StrCat(spec_.output(), "/_SUCCESS"));
  if (!success) {
    return absl::InternalError(absl::StrCat("cannot write ", spec_.output(), "/_SUCCESS"));
  }
  return absl::OkStatus();
}

void JobRun::Abandon() {
  // Nothing partial is left behind: the output directory goes (it was made for this job).
  if (spec_.output().empty()) return;
  std::error_code error;
  std::filesystem::remove_all(spec_.output(), error);
}

proto::JobStatus JobRun::Status(bool with_tasks) const {
  proto::JobStatus status;
  status.set_job_id(id_);
  status.set_name(spec_.name().empty() ? spec_.job() : spec_.name());
  status.set_state(state_);
  status.set_output(spec_.output());
  status.set_input_bytes(plan_.input_bytes);
  status.set_maps_done(maps_done_);
  status.set_maps_total(static_cast<uint32_t>(maps_.size()));
  status.set_reduces_done(reduces_done_);
  status.set_reduces_total(static_cast<uint32_t>(reduces_.size()));
  status.set_bytes_read(static_cast<uint64_t>(counters_.Get(kFileSystemCounters, kBytesRead)));
  absl::Time end = finished() ? ended_ : time_.Now();
  if (started_ != absl::InfinitePast()) {
    status.set_elapsed_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(end - started_)));
  }
  counters_.AddTo(status.mutable_counters());
  std::string message = message_;
  if (message.empty() && !finished() && !ready_.empty() && !scheduler_.HasWorkerFor(spec_.job())) {
    message = absl::StrCat("waiting: no connected worker runs job '", spec_.job(), "'");
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
        if (task.worker > 0) t->set_worker(worker_names_[task.worker - 1]);
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
