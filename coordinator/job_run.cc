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
  for (size_t i = 0; i < maps_.size(); ++i) {
    maps_[i].kind = proto::TASK_KIND_MAP;
    maps_[i].index = static_cast<uint32_t>(i);
    maps_[i].split = plan_.splits[i];
  }
  reduces_.resize(plan_.reducers);
  for (size_t i = 0; i < reduces_.size(); ++i) {
    reduces_[i].kind = proto::TASK_KIND_REDUCE;
    reduces_[i].index = static_cast<uint32_t>(i);
  }
}

bool JobRun::finished() const {
  return state_ == proto::JOB_STATE_SUCCEEDED || state_ == proto::JOB_STATE_FAILED ||
         state_ == proto::JOB_STATE_CANCELLED;
}

std::string JobRun::TaskName(const Task& task) const {
  return absl::StrFormat("%s task %d", task.kind == proto::TASK_KIND_MAP ? "map" : "reduce",
                         task.index);
}

Deferred<void> JobRun::Run() {
  started_ = time_.Now();
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
  // Cancelling a task may end the phase at once, which touches running_tasks_: take it first.
  std::vector<Deferred<void>> tasks = std::move(running_tasks_);
  running_tasks_.clear();
  for (Deferred<void>& task : tasks) task.Cancel();
  if (run_.has_value()) run_->Cancel();
}

Deferred<void> JobRun::RunJob() {
  absl::Status prepared = PrepareOutput();
  if (!prepared.ok()) co_return prepared;

  state_ = proto::JOB_STATE_MAPPING;
  Changed();
  absl::Status mapped = co_await RunPhase(maps_);
  if (!mapped.ok()) co_return mapped;

  if (!reduces_.empty()) {
    // Every partition's runs, one per map task that produced any.
    for (const Task& map : maps_) {
      for (const proto::MapOutput& output : map.outputs) {
        if (output.partition() < reduces_.size()) {
          reduces_[output.partition()].outputs.push_back(output);
        }
      }
    }
    state_ = proto::JOB_STATE_REDUCING;
    Changed();
    absl::Status reduced = co_await RunPhase(reduces_);
    if (!reduced.ok()) co_return reduced;
  }
  co_return CommitJob();
}

Deferred<void> JobRun::RunPhase(std::vector<Task>& tasks) {
  running_tasks_.clear();
  for (Task& task : tasks) running_tasks_.push_back(RunTask(task));
  Result<DeferredListResult<void>> phase =
      co_await DeferredList(running_tasks_, {.fire_on_one_errback = true, .consume_errors = true});
  if (!phase.ok()) {
    // One task failed for good: the others are no longer wanted.
    std::vector<Deferred<void>> others = std::move(running_tasks_);
    running_tasks_.clear();
    for (Deferred<void>& task : others) task.Cancel();
    co_return absl::Status(phase.status().code(), phase.status().message());
  }
  running_tasks_.clear();
  co_return absl::OkStatus();
}

proto::TaskAssignment JobRun::MakeAssignment(Task& task) {
  proto::TaskAssignment assignment;
  proto::TaskAttempt* attempt = assignment.mutable_attempt();
  attempt->set_job_id(id_);
  attempt->set_kind(task.kind);
  attempt->set_task(task.index);
  attempt->set_attempt(++task.attempts);
  if (task.kind == proto::TASK_KIND_MAP) {
    *assignment.mutable_split() = task.split;
  } else {
    assignment.set_partition(task.index);
    for (const proto::MapOutput& output : task.outputs) *assignment.add_map_outputs() = output;
  }
  assignment.set_output_dir(spec_.output());
  return assignment;
}

Deferred<void> JobRun::RunTask(Task& task) {
  while (true) {
    proto::TaskAssignment assignment = MakeAssignment(task);
    task.state = TaskState::kInProgress;
    Changed();
    Result<proto::TaskResult> result =
        co_await scheduler_.Dispatch(wire_definition_, std::move(assignment));
    if (!result.ok()) {
      task.state = TaskState::kIdle;
      Changed();
      if (absl::IsCancelled(result.status())) co_return result.status();
      // Lost with its worker.
      task.errors.push_back(
          absl::StrCat("attempt ", task.attempts, ": ", result.status().message()));
      if (++task.retries > kMaxRetries) {
        task.state = TaskState::kFailed;
        co_return absl::AbortedError(absl::StrCat(TaskName(task), " was lost ", task.retries,
                                                  " times; last: ", result.status().message()));
      }
      continue;
    }
    task.worker = result->worker();
    absl::Status outcome(static_cast<absl::StatusCode>(result->code()), result->message());
    if (outcome.ok()) outcome = CommitTask(task, *result);
    if (outcome.ok()) {
      task.state = TaskState::kCompleted;
      Changed();
      co_return absl::OkStatus();
    }
    task.state = TaskState::kIdle;
    task.errors.push_back(absl::StrCat("attempt ", task.attempts, ": ", outcome.ToString()));
    Changed();
    if (absl::IsUnavailable(outcome) && ++task.retries <= kMaxRetries) continue;  // handed back
    if (++task.failures >= max_attempts_) {
      task.state = TaskState::kFailed;
      co_return absl::Status(outcome.code(),
                             absl::StrCat(TaskName(task), " failed ", task.failures,
                                          " times; last error: ", outcome.message()));
    }
  }
}

absl::Status JobRun::CommitTask(Task& task, proto::TaskResult& result) {
  const bool final_output = task.kind == proto::TASK_KIND_REDUCE || plan_.reducers == 0;
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
  task.outputs.assign(result.outputs().begin(), result.outputs().end());
  task.bag_output.assign(std::make_move_iterator(result.mutable_bag_output()->begin()),
                         std::make_move_iterator(result.mutable_bag_output()->end()));
  task.skipped_records.assign(result.skipped_records().begin(), result.skipped_records().end());
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
      for (const std::string& line : map.bag_output) out << line << '\n';
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
  auto done = [](const std::vector<Task>& tasks) {
    uint32_t n = 0;
    for (const Task& task : tasks) n += task.state == TaskState::kCompleted;
    return n;
  };
  status.set_maps_done(done(maps_));
  status.set_maps_total(static_cast<uint32_t>(maps_.size()));
  status.set_reduces_done(done(reduces_));
  status.set_reduces_total(static_cast<uint32_t>(reduces_.size()));
  status.set_bytes_read(static_cast<uint64_t>(counters_.Get(kFileSystemCounters, kBytesRead)));
  absl::Time end = finished() ? ended_ : time_.Now();
  if (started_ != absl::InfinitePast()) {
    status.set_elapsed_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(end - started_)));
  }
  counters_.AddTo(status.mutable_counters());
  std::string message = message_;
  if (message.empty() && !finished() && scheduler_.queued(id_) > 0 &&
      !scheduler_.HasWorkerFor(spec_.job())) {
    message = absl::StrCat("waiting: no connected worker runs job '", spec_.job(), "'");
  }
  status.set_message(message);
  if (spec_.records_per_task() > 0 && state_ == proto::JOB_STATE_SUCCEEDED) {
    for (const Task& map : maps_) {
      for (const std::string& line : map.bag_output) status.add_bag_output(line);
    }
  }
  if (with_tasks) {
    for (const std::vector<Task>* tasks : {&maps_, &reduces_}) {
      for (const Task& task : *tasks) {
        proto::TaskStatus* t = status.add_tasks();
        t->set_kind(task.kind);
        t->set_task(task.index);
        t->set_state(TaskStateName(static_cast<int>(task.state)));
        t->set_attempts(task.attempts);
        for (const std::string& error : task.errors) t->add_errors(error);
        for (uint64_t record : task.skipped_records) t->add_skipped_records(record);
        t->set_worker(task.worker);
      }
    }
  }
  return status;
}

}  // namespace braid
