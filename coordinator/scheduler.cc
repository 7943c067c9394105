#include "coordinator/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "proto/attempt_name.h"

namespace braid {
namespace {

// A worker is given enough of a job's short attempts to keep each slot busy this long without
// waiting for a round trip, up to kMaxDepth attempts per slot.
constexpr double kQueuedWorkMs = 20;
constexpr double kMaxDepth = 1024;
// Weight of the newest run time in the moving average.
constexpr double kRuntimeWeight = 0.2;

}  // namespace

Scheduler::~Scheduler() {
  liveness_.End();
  auto running = std::move(running_);
  for (auto& [key, entry] : running) {
    entry.result.Errback(absl::CancelledError("the coordinator is shutting down")).IgnoreError();
  }
}

WorkerId Scheduler::AddWorker(const PeerId& peer, const proto::WorkerHello& hello) {
  WorkerInfo& worker = workers_[peer];
  worker.peer = peer;
  worker.name = hello.name();
  worker.host = hello.host();
  worker.pid = hello.pid();
  worker.slots = std::max<uint32_t>(1, hello.slots());
  worker.kinds =
      absl::flat_hash_set<std::string>(hello.job_kinds().begin(), hello.job_kinds().end());
  worker.build_version = hello.build_version();
  worker.reads_combined_splits = hello.reads_combined_splits();
  worker.data_endpoint = hello.data_endpoint();
  worker.key = std::string(hub_.key(peer));
  worker.id = directory_.Intern(hello.name());
  worker.last_heard = time_.Now();
  Wake();
  return worker.id;
}

std::optional<PeerId> Scheduler::PeerOf(absl::string_view name) const {
  const WorkerId id = directory_.Find(name);
  if (id == kNoWorker) return std::nullopt;
  for (const auto& [peer, worker] : workers_) {
    if (worker.id == id) return peer;
  }
  return std::nullopt;
}

void Scheduler::RemoveWorker(const PeerId& peer, const absl::Status& why) {
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return;
  std::string name = worker->second.name;
  const bool held_outputs = !worker->second.data_endpoint.empty();
  workers_.erase(worker);
  std::vector<Deferred<proto::TaskResult>> lost;
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.peer == peer) {
      metrics_.Ended(it->first.reduce, AttemptMetrics::kLost);
      lost.push_back(std::move(it->second.result));
      running_.erase(it++);
    } else {
      ++it;
    }
  }
  absl::Status error =
      absl::UnavailableError(absl::StrCat("worker ", name, " was lost: ", why.message()));
  for (Deferred<proto::TaskResult>& result : lost) result.Errback(error).IgnoreError();
  if (held_outputs) {
    // By job, looked up afresh: telling one job may end another.
    std::vector<std::string> jobs;
    for (const auto& [number, source] : sources_) jobs.push_back(source.job_id);
    for (const std::string& job_id : jobs) {
      auto number = numbers_.find(job_id);
      if (number != numbers_.end()) sources_.at(number->second).source->HolderLost(name);
    }
  }
  Wake();
}

void Scheduler::OnHeartbeat(const PeerId& peer, const proto::Heartbeat& heartbeat) {
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return;
  worker->second.last_heard = time_.Now();
  if (heartbeat.draining() && !worker->second.draining) {
    worker->second.draining = true;
    LOG(INFO) << "worker " << worker->second.name << " is draining";
  }
}

bool Scheduler::Find(const proto::TaskAttempt& attempt, Source** source, AttemptKey* key) {
  auto number = numbers_.find(attempt.job_id());
  if (number == numbers_.end()) return false;
  *source = &sources_.find(number->second)->second;
  *key = AttemptKey{number->second, attempt.task(), attempt.attempt(),
                    attempt.kind() == proto::TASK_KIND_REDUCE};
  return true;
}

bool Scheduler::Runs(const PeerId& peer, const proto::TaskAttempt& attempt) const {
  if (attempt.kind() != proto::TASK_KIND_MAP && attempt.kind() != proto::TASK_KIND_REDUCE) {
    return false;
  }
  auto number = numbers_.find(attempt.job_id());
  if (number == numbers_.end()) return false;
  auto running = running_.find(AttemptKey{number->second, attempt.task(), attempt.attempt(),
                                          attempt.kind() == proto::TASK_KIND_REDUCE});
  return running != running_.end() && running->second.peer == peer;
}

void Scheduler::OnResults(const PeerId& peer, proto::TaskResults& results) {
  auto worker = workers_.find(peer);
  if (worker != workers_.end()) worker->second.last_heard = time_.Now();
  for (proto::TaskResult& result : *results.mutable_results()) {
    Source* source;
    AttemptKey key;
    auto running = Find(result.attempt(), &source, &key) ? running_.find(key) : running_.end();
    if (running == running_.end() || running->second.peer != peer) {
      // Cancelled, a duplicate, or from a worker this attempt was not given to.
      VLOG(1) << "ignored a result for attempt " << AttemptName(result.attempt());
      continue;
    }
    Deferred<proto::TaskResult> deferred = std::move(running->second.result);
    running_.erase(running);
    metrics_.Ended(key.reduce,
                   result.code() == 0 ? AttemptMetrics::kSucceeded : AttemptMetrics::kFailed);
    metrics_.seconds[key.reduce].Observe(static_cast<double>(result.runtime_ms()) / 1000);
    if (worker != workers_.end()) {
      result.set_worker(worker->second.name);
      if (worker->second.outstanding > 0) --worker->second.outstanding;
    }
    const double ms = static_cast<double>(result.runtime_ms());
    source->runtime_ms = source->runtime_ms < 0
                             ? ms
                             : (1 - kRuntimeWeight) * source->runtime_ms + kRuntimeWeight * ms;
    deferred.Callback(std::move(result)).IgnoreError();
  }
  Wake();
}

void Scheduler::AddSource(const std::string& job_id, AttemptSource* source) {
  const uint32_t number = next_number_++;
  sources_.emplace(number, Source{job_id, source});
  numbers_[job_id] = number;
  source_order_.push_back(number);
  Wake();
}

void Scheduler::RemoveSource(const std::string& job_id) {
  auto number = numbers_.find(job_id);
  if (number != numbers_.end()) {
    std::erase(source_order_, number->second);
    sources_.erase(number->second);
    numbers_.erase(number);
  }
  proto::Envelope finished;
  finished.mutable_job_finished()->set_job_id(job_id);
  for (auto& [peer, worker] : workers_) {
    // A worker with a data endpoint may hold outputs of the job from before it reconnected.
    if (worker.jobs_defined.erase(job_id) > 0 || !worker.data_endpoint.empty()) {
      hub_.Send(peer, finished).IgnoreError();
    }
  }
}

void Scheduler::Cancel(const AttemptKey& key) {
  auto running = running_.find(key);
  if (running == running_.end()) return;
  auto worker = workers_.find(running->second.peer);
  auto source = sources_.find(key.source);
  if (worker != workers_.end()) {
    if (worker->second.outstanding > 0) --worker->second.outstanding;
    if (source != sources_.end()) {
      proto::Envelope cancel;
      proto::TaskAttempt* attempt = cancel.mutable_cancel_tasks()->add_attempts();
      attempt->set_job_id(source->second.job_id);
      attempt->set_kind(key.reduce ? proto::TASK_KIND_REDUCE : proto::TASK_KIND_MAP);
      attempt->set_task(key.task);
      attempt->set_attempt(key.attempt);
      hub_.Send(running->second.peer, cancel).IgnoreError();
    }
  }
  running_.erase(running);
  metrics_.Ended(key.reduce, AttemptMetrics::kCancelled);
  Wake();
}

bool Scheduler::HasWorkerFor(const std::string& kind) const {
  for (const auto& [peer, worker] : workers_) {
    if (!worker.draining && worker.kinds.contains(kind)) return true;
  }
  return false;
}

void Scheduler::Wake() {
  if (assign_scheduled_) return;
  assign_scheduled_ = true;
  time_.CallLater(absl::ZeroDuration(), [this, alive = liveness_.token()] {
    if (!alive) return;
    assign_scheduled_ = false;
    Assign();
  });
}

uint32_t Scheduler::Capacity(const WorkerInfo& worker, const Source& source) const {
  if (source.runtime_ms < 0) return worker.slots;  // nothing known yet
  // Run times are whole milliseconds: a task reported as 0 ms took less than one.
  const double depth =
      std::clamp(kQueuedWorkMs / std::max(source.runtime_ms, 0.02), 1.0, kMaxDepth);
  return worker.slots * static_cast<uint32_t>(depth);
}

void Scheduler::Assign() {
  if (source_order_.empty() || workers_.empty()) return;
  // Emptiest workers first, so that work spreads.
  std::vector<WorkerInfo*> order;
  for (auto& [peer, worker] : workers_) {
    if (!worker.draining) order.push_back(&worker);
  }
  std::sort(order.begin(), order.end(), [](const WorkerInfo* a, const WorkerInfo* b) {
    return a->outstanding * b->slots < b->outstanding * a->slots ||
           (a->outstanding * b->slots == b->outstanding * a->slots && a->id < b->id);
  });
  // Beyond its free slots, a worker queues no more than its share of what is ready, so that the
  // first worker asked does not take everything.
  size_t ready = 0;
  for (const auto& [number, source] : sources_) ready += source.source->ready();
  const size_t share = (ready + order.size() - 1) / std::max<size_t>(order.size(), 1);
  for (WorkerInfo* worker : order) {
    proto::Envelope message;
    proto::AssignTasks* assign = message.mutable_assign_tasks();
    std::vector<AttemptKey> given;
    size_t skipped = 0;  // consecutive sources that could give this worker nothing
    while (!source_order_.empty() && skipped < source_order_.size() &&
           (given.size() < share || worker->outstanding < worker->slots)) {
      next_source_ %= source_order_.size();
      const uint32_t number = source_order_[next_source_++];
      Source& source = sources_.find(number)->second;
      const std::shared_ptr<const proto::JobDefinition>& job = source.source->definition();
      if (source.source->ready() == 0 || !worker->kinds.contains(job->spec().job()) ||
          worker->outstanding >= Capacity(*worker, source)) {
        ++skipped;
        continue;
      }
      proto::TaskAssignment* assignment = assign->add_tasks();
      if (!source.source->TakeAttempt(worker->id, *assignment)) {
        assign->mutable_tasks()->RemoveLast();
        ++skipped;
        continue;
      }
      skipped = 0;
      if (worker->jobs_defined.insert(source.job_id).second) *assign->add_jobs() = *job;
      const proto::TaskAttempt& attempt = assignment->attempt();
      const AttemptKey key{number, attempt.task(), attempt.attempt(),
                           attempt.kind() == proto::TASK_KIND_REDUCE};
      Deferred<proto::TaskResult> result(
          [this, alive = liveness_.token(), key](Deferred<proto::TaskResult>&) {
            if (alive) Cancel(key);
          });
      running_[key] = Running{worker->peer, result};
      ++metrics_.started[key.reduce];
      given.push_back(key);
      ++worker->outstanding;
      source.source->AttemptStarted(attempt, std::move(result));
    }
    if (assign->tasks_size() == 0) continue;
    absl::Status sent = hub_.Send(worker->peer, std::move(message));
    if (!sent.ok()) {
      // The worker is gone or not keeping up: those attempts fail and their tasks run again.
      LOG(WARNING) << "could not assign to worker " << worker->name << ": " << sent;
      const absl::Status error = absl::UnavailableError(
          absl::StrCat("could not reach worker ", worker->name, ": ", sent.message()));
      for (const AttemptKey& key : given) {
        auto running = running_.find(key);
        if (running == running_.end()) continue;
        Deferred<proto::TaskResult> result = std::move(running->second.result);
        running_.erase(running);
        metrics_.Ended(key.reduce, AttemptMetrics::kLost);
        result.Errback(error).IgnoreError();
      }
      worker->outstanding -= std::min<uint32_t>(worker->outstanding, given.size());
    }
  }
}

}  // namespace braid
