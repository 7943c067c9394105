#include "coordinator/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "proto/attempt_name.h"

namespace braid {
namespace {

// Jobs whose attempts average less than this get deeper per-worker queues.
constexpr double kTinyTaskMs = 20;
constexpr uint32_t kTinyTaskDepth = 32;
// Weight of the newest run time in the moving average.
constexpr double kRuntimeWeight = 0.2;

}  // namespace

Scheduler::~Scheduler() {
  *alive_ = false;
  auto pending = std::move(pending_);
  for (auto& [key, entry] : pending) {
    entry->result.Errback(absl::CancelledError("the coordinator is shutting down")).IgnoreError();
  }
  auto running = std::move(running_);
  for (auto& [key, entry] : running) {
    entry.result.Errback(absl::CancelledError("the coordinator is shutting down")).IgnoreError();
  }
}

void Scheduler::AddWorker(const PeerId& peer, const proto::WorkerHello& hello, uint64_t number) {
  WorkerInfo& worker = workers_[peer];
  worker.peer = peer;
  worker.name = hello.name();
  worker.slots = std::max<uint32_t>(1, hello.slots());
  worker.kinds =
      absl::flat_hash_set<std::string>(hello.job_kinds().begin(), hello.job_kinds().end());
  worker.build_version = hello.build_version();
  worker.number = number;
  worker.last_heard = time_.Now();
  AssignSoon();
}

void Scheduler::RemoveWorker(const PeerId& peer, const absl::Status& why) {
  auto worker = workers_.find(peer);
  if (worker == workers_.end()) return;
  std::string name = worker->second.name;
  workers_.erase(worker);
  std::vector<Deferred<proto::TaskResult>> lost;
  for (auto it = running_.begin(); it != running_.end();) {
    if (it->second.peer == peer) {
      lost.push_back(std::move(it->second.result));
      running_.erase(it++);
    } else {
      ++it;
    }
  }
  absl::Status error =
      absl::UnavailableError(absl::StrCat("worker ", name, " was lost: ", why.message()));
  for (Deferred<proto::TaskResult>& result : lost) result.Errback(error).IgnoreError();
  AssignSoon();
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

void Scheduler::OnResults(const PeerId& peer, proto::TaskResults& results) {
  auto worker = workers_.find(peer);
  if (worker != workers_.end()) worker->second.last_heard = time_.Now();
  for (proto::TaskResult& result : *results.mutable_results()) {
    const std::string key = AttemptName(result.attempt());
    auto running = running_.find(key);
    if (running == running_.end() || running->second.peer != peer) {
      // Cancelled, a duplicate, or from a worker this attempt was not given to.
      VLOG(1) << "ignored a result for attempt " << key;
      continue;
    }
    Deferred<proto::TaskResult> deferred = std::move(running->second.result);
    if (worker != workers_.end()) result.set_worker(worker->second.name);
    auto queue = queues_.find(running->second.job_id);
    running_.erase(running);
    if (worker != workers_.end() && worker->second.outstanding > 0) --worker->second.outstanding;
    if (queue != queues_.end()) {
      double ms = static_cast<double>(result.runtime_ms());
      queue->second.runtime_ms =
          queue->second.runtime_ms < 0
              ? ms
              : (1 - kRuntimeWeight) * queue->second.runtime_ms + kRuntimeWeight * ms;
    }
    deferred.Callback(std::move(result)).IgnoreError();
  }
  AssignSoon();
}

Deferred<proto::TaskResult> Scheduler::Dispatch(std::shared_ptr<const proto::JobDefinition> job,
                                                proto::TaskAssignment assignment) {
  const std::string key = AttemptName(assignment.attempt());
  const std::string job_id = job->job_id();
  Deferred<proto::TaskResult> result([this, alive = alive_, key](Deferred<proto::TaskResult>&) {
    if (*alive) Cancel(key);
  });
  JobQueue& queue = queues_[job_id];
  if (queue.job == nullptr) {
    queue.job = job;
    job_order_.push_back(job_id);
  }
  queue.order.push_back(key);
  ++queue.live;
  pending_[key] = std::make_unique<Pending>(Pending{std::move(job), std::move(assignment), result});
  AssignSoon();
  return result;
}

void Scheduler::Cancel(const std::string& key) {
  auto pending = pending_.find(key);
  if (pending != pending_.end()) {
    auto queue = queues_.find(pending->second->job->job_id());
    if (queue != queues_.end() && queue->second.live > 0) --queue->second.live;
    pending_.erase(pending);
    return;
  }
  auto running = running_.find(key);
  if (running == running_.end()) return;
  auto worker = workers_.find(running->second.peer);
  if (worker != workers_.end()) {
    if (worker->second.outstanding > 0) --worker->second.outstanding;
    proto::Envelope cancel;
    *cancel.mutable_cancel_tasks()->add_attempts() = running->second.attempt;
    hub_.Send(running->second.peer, cancel).IgnoreError();
  }
  running_.erase(running);
  AssignSoon();
}

void Scheduler::FinishJob(const std::string& job_id) {
  auto queue = queues_.find(job_id);
  if (queue != queues_.end()) {
    std::vector<Deferred<proto::TaskResult>> dropped;
    for (const std::string& key : queue->second.order) {
      auto pending = pending_.find(key);
      if (pending == pending_.end()) continue;
      dropped.push_back(std::move(pending->second->result));
      pending_.erase(pending);
    }
    queues_.erase(queue);
    std::erase(job_order_, job_id);
    for (Deferred<proto::TaskResult>& result : dropped) {
      result.Errback(absl::CancelledError("the job is over")).IgnoreError();
    }
  }
  proto::Envelope finished;
  finished.mutable_job_finished()->set_job_id(job_id);
  for (auto& [peer, worker] : workers_) {
    if (worker.jobs_defined.erase(job_id) > 0) hub_.Send(peer, finished).IgnoreError();
  }
}

bool Scheduler::HasWorkerFor(const std::string& kind) const {
  for (const auto& [peer, worker] : workers_) {
    if (!worker.draining && worker.kinds.contains(kind)) return true;
  }
  return false;
}

std::string Scheduler::WorkerOf(const std::string& attempt_name) const {
  auto running = running_.find(attempt_name);
  if (running == running_.end()) return "";
  auto worker = workers_.find(running->second.peer);
  return worker == workers_.end() ? "" : worker->second.name;
}

size_t Scheduler::queued(const std::string& job_id) const {
  auto queue = queues_.find(job_id);
  return queue == queues_.end() ? 0 : queue->second.live;
}

void Scheduler::AssignSoon() {
  if (assign_scheduled_) return;
  assign_scheduled_ = true;
  time_.CallLater(absl::ZeroDuration(), [this, alive = alive_] {
    if (!*alive) return;
    assign_scheduled_ = false;
    Assign();
  });
}

uint32_t Scheduler::Capacity(const WorkerInfo& worker, const JobQueue& queue) const {
  const bool tiny = queue.runtime_ms >= 0 && queue.runtime_ms < kTinyTaskMs;
  return worker.slots * (tiny ? kTinyTaskDepth : 1);
}

std::unique_ptr<Scheduler::Pending> Scheduler::PopPending(JobQueue& queue) {
  while (!queue.order.empty()) {
    std::string key = std::move(queue.order.front());
    queue.order.pop_front();
    auto pending = pending_.find(key);
    if (pending == pending_.end()) continue;  // cancelled while queued
    std::unique_ptr<Pending> taken = std::move(pending->second);
    pending_.erase(pending);
    --queue.live;
    return taken;
  }
  return nullptr;
}

void Scheduler::Assign() {
  if (pending_.empty() || workers_.empty()) return;
  // Emptiest workers first, so that work spreads.
  std::vector<WorkerInfo*> order;
  for (auto& [peer, worker] : workers_) {
    if (!worker.draining) order.push_back(&worker);
  }
  std::sort(order.begin(), order.end(), [](const WorkerInfo* a, const WorkerInfo* b) {
    return a->outstanding * b->slots < b->outstanding * a->slots ||
           (a->outstanding * b->slots == b->outstanding * a->slots && a->number < b->number);
  });
  for (WorkerInfo* worker : order) {
    proto::Envelope message;
    proto::AssignTasks* assign = message.mutable_assign_tasks();
    std::vector<std::pair<std::string, Deferred<proto::TaskResult>>> given;
    size_t skipped = 0;  // consecutive jobs that could give this worker nothing
    while (!job_order_.empty() && skipped < job_order_.size()) {
      next_job_ %= job_order_.size();
      JobQueue& queue = queues_[job_order_[next_job_]];
      ++next_job_;
      if (queue.live == 0 || !worker->kinds.contains(queue.job->spec().job()) ||
          worker->outstanding >= Capacity(*worker, queue)) {
        ++skipped;
        continue;
      }
      std::unique_ptr<Pending> pending = PopPending(queue);
      if (pending == nullptr) {
        ++skipped;
        continue;
      }
      skipped = 0;
      const std::string& job_id = queue.job->job_id();
      if (worker->jobs_defined.insert(job_id).second) *assign->add_jobs() = *queue.job;
      const std::string key = AttemptName(pending->assignment.attempt());
      running_[key] = Running{worker->peer, pending->result, job_id, pending->assignment.attempt()};
      given.emplace_back(key, pending->result);
      *assign->add_tasks() = std::move(pending->assignment);
      ++worker->outstanding;
    }
    if (assign->tasks_size() == 0) continue;
    absl::Status sent = hub_.Send(worker->peer, std::move(message));
    if (!sent.ok()) {
      // The worker is gone or not keeping up: those attempts go back into their queues' front.
      LOG(WARNING) << "could not assign to worker " << worker->name << ": " << sent;
      for (auto& [key, result] : given) {
        auto running = running_.find(key);
        if (running == running_.end()) continue;
        running_.erase(running);
        result
            .Errback(absl::UnavailableError(
                absl::StrCat("could not reach worker ", worker->name, ": ", sent.message())))
            .IgnoreError();
      }
      worker->outstanding -= std::min<uint32_t>(worker->outstanding, given.size());
    }
  }
}

}  // namespace braid
