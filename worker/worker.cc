#include "worker/worker.h"

#include <unistd.h>

#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "job/output_layout.h"
#include "proto/attempt_name.h"
#include "proto/status_coding.h"
#include "worker/run_task.h"

namespace braid {
namespace {

constexpr absl::string_view kBuildVersion = "braid 0.1.0";
// Jobs whose tasks average less than this run in batches.
constexpr double kTinyTaskMs = 1;
constexpr size_t kMaxBatch = 256;
// Weight of the newest run time in the moving average.
constexpr double kRuntimeWeight = 0.2;

std::string AttemptKey(const proto::TaskAttempt& attempt) { return AttemptName(attempt); }

std::string HostName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

}  // namespace

std::string DefaultWorkerName() { return absl::StrCat(HostName(), ":", getpid()); }

Worker::Worker(ReactorTime& time, std::unique_ptr<ClientTransport> transport,
               TaskExecutor& executor, WorkerOptions options)
    : time_(time), executor_(executor), options_(std::move(options)) {
  if (options_.name.empty()) options_.name = DefaultWorkerName();
  if (options_.slots == 0) options_.slots = std::max(1u, std::thread::hardware_concurrency());
  link_ = std::make_unique<Link>(time_, std::move(transport), options_.link,
                                 [this] { return Hello(); });
  link_->SetOnMessage([this](proto::Envelope message) { OnMessage(message); });
  link_->SetOnLost([this](absl::Status why) { OnLost(why); });
  link_->SetOnReconnected([this](const proto::Welcome& welcome) {
    if (options_.fleet != nullptr) options_.fleet->Replace(welcome.fleet_keys());
    RemoveEndedJobsData(welcome);
  });
  auto ask = [this](proto::Envelope request, absl::Duration timeout) {
    return link_->Request(std::move(request), timeout);
  };
  if (options_.fetcher != nullptr) options_.fetcher->SetCoordinator(ask);
  if (options_.part_sender != nullptr) options_.part_sender->SetCoordinator(ask);
}

Worker::~Worker() {
  liveness_.End();
  if (options_.fetcher != nullptr) options_.fetcher->SetCoordinator(nullptr);
  if (options_.part_sender != nullptr) options_.part_sender->SetCoordinator(nullptr);
  for (auto& [key, running] : running_) running.cancelled->store(true);
}

proto::Envelope Worker::Hello() const {
  proto::Envelope hello;
  proto::WorkerHello* worker = hello.mutable_worker_hello();
  worker->set_name(options_.name);
  worker->set_host(HostName());
  worker->set_pid(static_cast<uint32_t>(getpid()));
  worker->set_slots(options_.slots);
  for (const std::string& kind : options_.job_kinds) worker->add_job_kinds(kind);
  worker->set_build_version(std::string(kBuildVersion));
  worker->set_reads_combined_splits(true);
  worker->set_scratch_dir(options_.scratch_dir);
  if (options_.data_server != nullptr) worker->set_data_endpoint(options_.data_server->endpoint());
  return hello;
}

Deferred<proto::Welcome> Worker::Start() {
  return link_->Connect().Then([this](proto::Welcome welcome) {
    if (options_.fleet != nullptr) options_.fleet->Replace(welcome.fleet_keys());
    RemoveEndedJobsData(welcome);
    heartbeat_.emplace(time_, [this] { SendHeartbeat(); });
    heartbeat_
        ->Start(absl::Milliseconds(std::max<uint32_t>(welcome.heartbeat_interval_ms(), 1)),
                /*now=*/false)
        .Catch([](absl::Status error) { LOG(ERROR) << "worker heartbeat stopped: " << error; });
    return welcome;
  });
}

void Worker::OnMessage(proto::Envelope& message) {
  switch (message.body_case()) {
    case proto::Envelope::kAssignTasks:
      OnAssign(*message.mutable_assign_tasks());
      break;
    case proto::Envelope::kCancelTasks:
      OnCancel(message.cancel_tasks());
      break;
    case proto::Envelope::kJobFinished: {
      const std::string& job = message.job_finished().job_id();
      jobs_.erase(job);
      if (options_.data_server != nullptr) {
        options_.data_server->ForgetJob(job);
        MaybeFinishDrain();  // a draining worker served what it held until now
      }
      RemoveJobData(job);
      break;
    }
    case proto::Envelope::kDrainWorker:
      Drain(message.drain_worker().reason());
      break;
    case proto::Envelope::kHolderLost:
      if (options_.fetcher != nullptr) {
        options_.fetcher->HolderLost(message.holder_lost().data_endpoint());
      }
      break;
    case proto::Envelope::kFleetKeys:
      if (options_.fleet != nullptr) options_.fleet->Replace(message.fleet_keys().keys());
      break;
    default:
      LOG_EVERY_N(WARNING, 100) << "worker: ignored a " << BodyName(message) << " message";
  }
}

void Worker::RemoveJobData(const std::string& job) {
  if (options_.scratch_dir.empty() || job.empty() || job.find('/') != std::string::npos ||
      job == "." || job == "..") {
    return;
  }
  auto remove = [&env = env(), job, dir = absl::StrCat(options_.scratch_dir, "/", job)] {
    absl::Status removed = env.RemoveAll(dir);
    if (!removed.ok()) LOG(WARNING) << "cannot remove job " << job << "'s data: " << removed;
    return absl::OkStatus();
  };
  if (options_.blocking_calls == nullptr) {
    remove().IgnoreError();
  } else {
    options_.blocking_calls->Run(std::move(remove)).Catch([](absl::Status) {});
  }
}

void Worker::RemoveEndedJobsData(const proto::Welcome& welcome) {
  if (options_.scratch_dir.empty() || !welcome.lists_running_jobs()) return;
  absl::StatusOr<std::vector<std::string>> children = env().GetChildren(options_.scratch_dir);
  if (!children.ok()) return;
  const absl::flat_hash_set<std::string> running(welcome.running_jobs().begin(),
                                                 welcome.running_jobs().end());
  for (const std::string& child : *children) {
    // Only jobs' directories (job/output_layout.h's job ids), never the worker's other files.
    if (!absl::StartsWith(child, "job_") || running.contains(child) || jobs_.contains(child)) {
      continue;
    }
    LOG(INFO) << "removing the data of job " << child << ", which has ended";
    if (options_.data_server != nullptr) options_.data_server->ForgetJob(child);
    RemoveJobData(child);
  }
}

void Worker::OnAssign(proto::AssignTasks& assign) {
  for (proto::JobDefinition& job : *assign.mutable_jobs()) {
    std::string id = job.job_id();
    jobs_[id].definition = std::make_shared<const proto::JobDefinition>(std::move(job));
  }
  for (proto::TaskAssignment& task : *assign.mutable_tasks()) {
    if (draining_) {
      HandBack(task, "the worker is draining");
    } else {
      queued_.push_back(std::move(task));
    }
  }
  StartTasks();
}

void Worker::OnCancel(const proto::CancelTasks& cancel) {
  for (const proto::TaskAttempt& attempt : cancel.attempts()) {
    const std::string key = AttemptKey(attempt);
    auto running = running_.find(key);
    if (running != running_.end()) {
      Cancel(running->second);
      continue;
    }
    std::erase_if(queued_, [&key](const proto::TaskAssignment& task) {
      return AttemptKey(task.attempt()) == key;
    });
  }
  MaybeFinishDrain();
}

void Worker::Cancel(Running& running) {
  running.cancelled->store(true);
  running.discard = true;
  // In a turn of its own: stopping the copying resumes the batch, which may end it and change
  // running_ (which the caller may be iterating).
  if (std::function<void()> stop = std::exchange(running.stop_copying, nullptr)) {
    time_.CallLater(absl::ZeroDuration(), std::move(stop));
  }
}

void Worker::CancelRunning() {
  for (auto& [key, running] : running_) Cancel(running);
}

void Worker::OnLost(const absl::Status& why) {
  // The coordinator has forgotten this worker and will reschedule its tasks elsewhere.
  CancelRunning();
  queued_.clear();
  results_.clear();
  jobs_.clear();
  if (link_->state() == Link::State::kClosed && on_closed_) on_closed_(why);
  MaybeFinishDrain();
}

void Worker::StartTasks() {
  while (busy_slots_ < options_.slots && !queued_.empty() && !draining_) {
    const std::string job_id = queued_.front().attempt().job_id();
    auto job = jobs_.find(job_id);
    if (job == jobs_.end()) {
      proto::TaskResult result;
      *result.mutable_attempt() = queued_.front().attempt();
      queued_.pop_front();
      result.set_code(StatusCodeToWire(absl::StatusCode::kFailedPrecondition));
      result.set_message(absl::StrCat("the worker has no definition of job ", job_id));
      Report(std::move(result));
      continue;
    }
    std::vector<TaskToRun> batch = TakeBatch(job_id);
    std::vector<std::string> keys;
    keys.reserve(batch.size());
    for (const TaskToRun& item : batch) {
      keys.push_back(AttemptKey(item.task.attempt()));
      running_[keys.back()] = Running{item.task.attempt(), item.cancelled, false, nullptr};
    }
    ++busy_slots_;
    bool fetch = false;
    for (const TaskToRun& item : batch) {
      fetch = fetch || NeedsFetch(item.task) || MayFetchSplit(item.task) ||
              MaySendPartFile(*job->second.definition, item.task);
    }
    (fetch ? FetchThenRun(job->second.definition, std::move(batch))
           : executor_.Run(job->second.definition, std::move(batch)))
        .Both([this, alive = liveness_.token(),
               keys = std::move(keys)](Result<std::vector<proto::TaskResult>> results) mutable {
          if (alive) OnBatchDone(std::move(keys), std::move(results));
        });
  }
}

bool Worker::NeedsFetch(const proto::TaskAssignment& task) const {
  if (options_.fetcher == nullptr || task.attempt().kind() != proto::TASK_KIND_REDUCE) {
    return false;
  }
  for (const proto::MapOutput& output : task.map_outputs()) {
    if (!output.data_endpoint().empty() && output.worker() != options_.name) return true;
  }
  return false;
}

bool Worker::MayFetchSplit(const proto::TaskAssignment& task) const {
  const proto::InputSplit& split = task.split();
  return options_.fetcher != nullptr && task.attempt().kind() == proto::TASK_KIND_MAP &&
         task.has_split() &&
         (split.parts_size() > 0 || (!split.path().empty() && split.has_identity()));
}

bool Worker::MaySendPartFile(const proto::JobDefinition& job,
                             const proto::TaskAssignment& task) const {
  if (options_.part_sender == nullptr || job.output_token().empty()) return false;
  if (task.attempt().kind() == proto::TASK_KIND_REDUCE) return true;
  // A map-only job's maps write part files (a task bag's lines go in the result).
  return job.reduce_tasks() == 0 && job.spec().records_per_task() == 0;
}

Deferred<std::vector<proto::TaskResult>> Worker::FetchThenRun(
    std::shared_ptr<const proto::JobDefinition> job, std::vector<TaskToRun> batch) {
  const Liveness::Token alive = liveness_.token();
  std::vector<std::optional<proto::TaskResult>> results(batch.size());
  std::vector<TaskToRun> runnable;
  std::vector<size_t> runnable_at;        // the batch index of each runnable task
  std::vector<std::string> fetched_dirs;  // removed once the batch has run
  std::vector<bool> sends(batch.size());  // whether the task's part file goes to the coordinator
  std::vector<proto::TaskAttempt> attempts;
  for (const TaskToRun& item : batch) attempts.push_back(item.task.attempt());
  // Fails task i with `why`, about `what`.
  auto fail = [&](size_t i, const absl::Status& why, absl::string_view what) {
    proto::TaskResult& failed = results[i].emplace();
    *failed.mutable_attempt() = attempts[i];
    failed.set_code(StatusCodeToWire(why.code()));
    failed.set_message(absl::StrCat(what, ": ", why.message()));
    return &failed;
  };
  // Lets the attempt's cancellation stop `copying`, until it is done.
  auto stoppable = [this](const proto::TaskAttempt& attempt, auto copying) {
    if (auto running = running_.find(AttemptKey(attempt)); running != running_.end()) {
      running->second.stop_copying = [copying]() mutable { copying.Cancel(); };
    }
  };
  auto stopped = [this](const proto::TaskAttempt& attempt) {
    if (auto running = running_.find(AttemptKey(attempt)); running != running_.end()) {
      running->second.stop_copying = nullptr;
    }
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    TaskToRun& item = batch[i];
    const proto::TaskAttempt attempt = item.task.attempt();
    if (item.cancelled->load()) {
      fail(i, absl::CancelledError("cancelled"), "before its inputs were copied");
      continue;
    }
    if (NeedsFetch(item.task)) {
      // This worker's own outputs are read from its disk; the rest are copied next to them.
      std::vector<proto::MapOutput> remote;
      for (const proto::MapOutput& output : item.task.map_outputs()) {
        if (!output.data_endpoint().empty() && output.worker() != options_.name) {
          remote.push_back(output);
        }
      }
      const std::string dir = absl::StrCat(options_.scratch_dir, "/", attempt.job_id(), "/fetched-",
                                           AttemptName(attempt));
      fetched_dirs.push_back(dir);
      Deferred<MapOutputFetcher::Fetched> fetching =
          options_.fetcher->Fetch(attempt.job_id(), std::move(remote), dir);
      stoppable(attempt, fetching);
      Result<MapOutputFetcher::Fetched> fetched = co_await std::move(fetching);
      if (!alive) co_yield Raise(absl::CancelledError("the worker stopped"));
      stopped(attempt);
      if (!fetched.ok()) {
        fail(i, fetched.status(), "fetching map outputs");
        continue;
      }
      if (!fetched->lost.empty()) {
        // As when a shared filesystem has lost them: the coordinator runs those maps again.
        proto::TaskResult* failed =
            fail(i,
                 absl::UnavailableError(absl::StrCat(
                     "the output of map task(s) ", absl::StrJoin(fetched->lost, ", "), " is gone")),
                 "fetching map outputs");
        for (uint32_t map_task : fetched->lost) failed->add_lost_map_outputs(map_task);
        continue;
      }
      absl::flat_hash_map<uint32_t, proto::MapOutput> copies;
      for (proto::MapOutput& local : fetched->local) copies[local.map_task()] = std::move(local);
      for (proto::MapOutput& output : *item.task.mutable_map_outputs()) {
        if (auto copy = copies.find(output.map_task()); copy != copies.end()) {
          output = std::move(copy->second);
        }
      }
    }
    if (MayFetchSplit(item.task)) {
      const std::string dir = absl::StrCat(options_.scratch_dir, "/", attempt.job_id(), "/input-",
                                           AttemptName(attempt));
      fetched_dirs.push_back(dir);
      Deferred<proto::InputSplit> fetching =
          options_.fetcher->FetchSplit(attempt, item.task.split(), dir);
      stoppable(attempt, fetching);
      Result<proto::InputSplit> split = co_await std::move(fetching);
      if (!alive) co_yield Raise(absl::CancelledError("the worker stopped"));
      stopped(attempt);
      if (!split.ok()) {
        fail(i, split.status(), "reading its input");
        continue;
      }
      *item.task.mutable_split() = *std::move(split);
    }
    if (MaySendPartFile(*job, item.task)) {
      auto known = jobs_.find(attempt.job_id());
      std::optional<bool> sees = known == jobs_.end() ? std::nullopt : known->second.sees_output;
      if (!sees.has_value()) {
        Deferred<bool> looking = options_.part_sender->SeesOutput(*job);
        Result<bool> looked = co_await std::move(looking);
        if (!alive) co_yield Raise(absl::CancelledError("the worker stopped"));
        sees = looked.ok() && *looked;
        if (auto again = jobs_.find(attempt.job_id()); again != jobs_.end()) {
          again->second.sees_output = sees;
        }
        if (!*sees) {
          LOG(INFO) << "job " << attempt.job_id() << ": output directory " << job->spec().output()
                    << " is not on this worker's filesystem: part files go through the "
                    << "coordinator";
        }
      }
      if (!*sees) {
        const std::string dir = absl::StrCat(options_.scratch_dir, "/", attempt.job_id(), "/part-",
                                             AttemptName(attempt));
        fetched_dirs.push_back(dir);
        item.task.set_part_file_dir(dir);
        sends[i] = true;
      }
    }
    runnable_at.push_back(i);
    runnable.push_back(std::move(item));
  }
  absl::Status ran_status;
  if (!runnable.empty()) {
    Deferred<std::vector<proto::TaskResult>> running = executor_.Run(job, std::move(runnable));
    Result<std::vector<proto::TaskResult>> ran = co_await std::move(running);
    if (!alive) co_yield Raise(absl::CancelledError("the worker stopped"));
    if (ran.ok()) {
      for (size_t k = 0; k < runnable_at.size() && k < ran->size(); ++k) {
        results[runnable_at[k]] = std::move((*ran)[k]);
      }
    } else {
      ran_status = ran.status();
    }
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (!sends[i] || !results[i].has_value() || results[i]->code() != 0 ||
        results[i]->outputs_size() != 1) {
      continue;
    }
    if (auto running = running_.find(AttemptKey(attempts[i]));
        running == running_.end() || running->second.cancelled->load()) {
      continue;  // cancelled: its result is discarded, and the coordinator takes no part file
    }
    // Where it would have been written, had this worker seen the output directory.
    proto::MapOutput& part = *results[i]->mutable_outputs(0);
    const std::string name = part.path().substr(part.path().find_last_of('/') + 1);
    Deferred<void> sending =
        options_.part_sender->Send(attempts[i], part.path(), part.bytes(), part.crc32c());
    stoppable(attempts[i], sending);
    absl::Status sent = co_await std::move(sending);
    if (!alive) co_yield Raise(absl::CancelledError("the worker stopped"));
    stopped(attempts[i]);
    if (!sent.ok()) {
      fail(i, sent, "writing its part file");
      continue;
    }
    part.set_path(absl::StrCat(TemporaryOutputDir(job->spec().output()), "/",
                               AttemptName(attempts[i]), "/", name));
  }
  // The copies have been read (or will not be): their disk space goes back now, not at the
  // job's end.
  for (const std::string& dir : fetched_dirs) {
    (options_.fetcher != nullptr ? options_.fetcher->RemoveCopies(dir)
                                 : options_.part_sender->Remove(dir))
        .Catch([dir](absl::Status error) {
          LOG(WARNING) << "cannot remove fetched copies in " << dir << ": " << error;
        });
  }
  std::vector<proto::TaskResult> all;
  all.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].has_value()) {
      all.push_back(std::move(*results[i]));
      continue;
    }
    // The executor failed the batch (or gave fewer results): each of its tasks fails so.
    proto::TaskResult& failed = all.emplace_back();
    *failed.mutable_attempt() = attempts[i];
    const absl::Status why =
        ran_status.ok() ? absl::InternalError("the executor gave no result for it") : ran_status;
    failed.set_code(StatusCodeToWire(why.code()));
    failed.set_message(std::string(why.message()));
  }
  co_return all;
}

std::vector<TaskToRun> Worker::TakeBatch(const std::string& job_id) {
  const Job& job = jobs_[job_id];
  size_t size = 1;
  if (job.runtime_ms >= 0 && job.runtime_ms < kTinyTaskMs) {
    // A fair share of the queue for each free slot, so that no slot idles while one is busy.
    const size_t free_slots = options_.slots - busy_slots_;
    size = std::min(kMaxBatch, (queued_.size() + free_slots - 1) / free_slots);
  }
  std::vector<TaskToRun> batch;
  while (batch.size() < size && !queued_.empty() && queued_.front().attempt().job_id() == job_id) {
    batch.push_back(TaskToRun{std::move(queued_.front()), std::make_shared<std::atomic<bool>>()});
    queued_.pop_front();
  }
  return batch;
}

void Worker::OnBatchDone(std::vector<std::string> keys,
                         Result<std::vector<proto::TaskResult>> results) {
  --busy_slots_;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!results.ok()) {
      OnTaskDone(keys[i], results.status());
      continue;
    }
    proto::TaskResult& result = (*results)[i];
    auto job = jobs_.find(result.attempt().job_id());
    if (job != jobs_.end()) {
      const double ms = static_cast<double>(result.runtime_ms());
      job->second.runtime_ms =
          job->second.runtime_ms < 0
              ? ms
              : (1 - kRuntimeWeight) * job->second.runtime_ms + kRuntimeWeight * ms;
    }
    OnTaskDone(keys[i], std::move(result));
  }
  StartTasks();
  MaybeFinishDrain();
}

absl::string_view Worker::TaskMetrics::KindName(int kind) { return kind == 0 ? "map" : "reduce"; }

absl::string_view Worker::TaskMetrics::OutcomeName(int outcome) {
  switch (outcome) {
    case 0:
      return "succeeded";
    case 1:
      return "failed";
    default:
      return "discarded";
  }
}

void Worker::OnTaskDone(const std::string& key, Result<proto::TaskResult> result) {
  auto it = running_.find(key);
  if (it == running_.end()) return;
  Running running = std::move(it->second);
  running_.erase(it);
  if (result.ok() && result->code() == 0 && options_.data_server != nullptr && !running.discard &&
      jobs_.contains(running.attempt.job_id())) {
    // A map's outputs are served from now on (the coordinator may give them to any reducer).
    for (const proto::MapOutput& output : result->outputs()) {
      options_.data_server->Add(running.attempt.job_id(), output);
    }
  }
  if (!result.ok()) {
    proto::TaskResult failed;
    *failed.mutable_attempt() = running.attempt;
    failed.set_code(StatusCodeToWire(result.status().code()));
    failed.set_message(std::string(result.status().message()));
    result = std::move(failed);
  }
  const int kind = running.attempt.kind() == proto::TASK_KIND_REDUCE ? 1 : 0;
  const int outcome = running.discard ? 2 : result->code() == 0 ? 0 : 1;
  ++task_metrics_.ended[kind][outcome];
  task_metrics_.seconds[kind].Observe(static_cast<double>(result->runtime_ms()) / 1000);
  if (running.discard) {
    // Nobody wants this attempt's output any more.
    for (const proto::MapOutput& output : result->outputs()) {
      env().RemoveFile(output.path()).IgnoreError();  // gone already is as good
    }
  } else {
    Report(*std::move(result));
  }
}

void Worker::Report(proto::TaskResult result) {
  results_.push_back(std::move(result));
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    // Results that finish in the same turn go in one message.
    time_.CallLater(absl::ZeroDuration(), [this, alive = liveness_.token()] {
      if (alive) Flush();
    });
  }
}

void Worker::Flush() {
  flush_scheduled_ = false;
  if (results_.empty()) return;
  proto::Envelope message;
  for (proto::TaskResult& result : results_) {
    *message.mutable_task_results()->add_results() = std::move(result);
  }
  results_.clear();
  absl::Status sent = link_->Send(std::move(message));
  if (!sent.ok()) LOG(WARNING) << "worker: could not report results: " << sent;
  MaybeFinishDrain();
}

void Worker::HandBack(const proto::TaskAssignment& task, absl::string_view why) {
  proto::TaskResult result;
  *result.mutable_attempt() = task.attempt();
  result.set_code(StatusCodeToWire(absl::StatusCode::kUnavailable));
  result.set_message(absl::StrCat("handed back: ", why));
  Report(std::move(result));
}

void Worker::SendHeartbeat() {
  if (!link_->connected()) return;
  proto::Envelope message;
  proto::Heartbeat* heartbeat = message.mutable_heartbeat();
  for (const auto& [key, running] : running_) *heartbeat->add_running() = running.attempt;
  heartbeat->set_free_slots(
      draining_ ? 0 : options_.slots - std::min<uint32_t>(options_.slots, busy_slots_));
  heartbeat->set_draining(draining_);
  link_->Send(std::move(message)).IgnoreError();
}

Deferred<void> Worker::Drain(absl::string_view reason) {
  if (drained_) return Succeed();
  Deferred<void> done;
  drain_waiters_.push_back(done);
  if (!draining_) {
    draining_ = true;
    LOG(INFO) << "worker " << options_.name << " draining: " << reason;
    SendHeartbeat();
    while (!queued_.empty()) {
      HandBack(queued_.front(), "the worker is draining");
      queued_.pop_front();
    }
    MaybeFinishDrain();
  }
  return done;
}

void Worker::MaybeFinishDrain() {
  if (!draining_ || drained_ || !running_.empty() || !queued_.empty()) return;
  if (flush_scheduled_ || !results_.empty()) return;  // Flush comes back here
  // Map outputs it holds are served until their jobs end (JobFinished comes back here), unless
  // the coordinator is gone, which runs their maps again anyway.
  if (options_.data_server != nullptr && options_.data_server->outputs() > 0 &&
      link_->connected() && !drain_serving_over_) {
    if (!serving_for_drain_) {
      serving_for_drain_ = true;
      drain_serving_ =
          time_.CallLater(options_.drain_serving_limit, [this, alive = liveness_.token()] {
            if (!alive) return;
            LOG(WARNING) << "worker " << options_.name << " stops serving its map outputs: drained";
            drain_serving_over_ = true;
            MaybeFinishDrain();
          });
    }
    return;
  }
  if (serving_for_drain_) drain_serving_.Cancel().IgnoreError();
  drained_ = true;
  if (heartbeat_.has_value()) heartbeat_->Stop().IgnoreError();  // ended already if it failed
  link_->Close("drained");
  std::vector<Deferred<void>> waiters = std::move(drain_waiters_);
  for (Deferred<void>& waiter : waiters) waiter.Callback().IgnoreError();
}

}  // namespace braid
