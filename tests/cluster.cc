#include "tests/cluster.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid::testing {

Deferred<std::vector<proto::TaskResult>> ManualTaskExecutor::Run(
    std::shared_ptr<const proto::JobDefinition> job, std::vector<TaskToRun> batch) {
  pending_.push_back(Pending{std::move(job), std::move(batch), {}});
  return pending_.back().done;
}

void ManualTaskExecutor::RunNext() {
  Pending next = std::move(pending_.front());
  pending_.pop_front();
  next.done.Callback(RunBatch(*next.job, next.batch, environment_)).IgnoreError();
}

Cluster::Cluster(Options options) : options_(std::move(options)) {
  CoordinatorOptions coordinator_options;
  coordinator_options.state_dir = options_.state_dir;
  coordinator_options.env = options_.coordinator_env;
  coordinator_options.blocking_calls = options_.coordinator_blocking_calls;
  coordinator_options.access = options_.access;
  coordinator_options.limits = options_.limits;
  coordinator_ = std::make_unique<Coordinator>(clock_, *network_.Listen("coordinator"),
                                               JobRegistry::Global(), coordinator_options);
  absl::Status recovered = coordinator_->Recover();
  CHECK(recovered.ok()) << recovered;
  if (options_.worker_jobs.empty()) options_.worker_jobs = JobRegistry::Global().Names();
  for (int i = 0; i < options_.workers; ++i) AddWorker(options_.worker_jobs);
  client_ = std::make_unique<Client>(clock_, network_.Connect("coordinator", options_.client_key));
  Await(client_->Connect()).IgnoreError();
}

Cluster::~Cluster() {
  client_.reset();
  workers_.clear();
  part_senders_.clear();
  fetchers_.clear();
  data_servers_.clear();
  fleets_.clear();
  coordinator_.reset();
}

absl::Status Cluster::RestartCoordinator() {
  coordinator_.reset();
  CoordinatorOptions coordinator_options;
  coordinator_options.state_dir = options_.state_dir;
  coordinator_options.env = options_.coordinator_env;
  coordinator_options.blocking_calls = options_.coordinator_blocking_calls;
  coordinator_options.access = options_.access;
  coordinator_options.limits = options_.limits;
  coordinator_ = std::make_unique<Coordinator>(clock_, *network_.Listen("coordinator"),
                                               JobRegistry::Global(), coordinator_options);
  return coordinator_->Recover();
}

void Cluster::StopWorker(int i) {
  workers_[i].reset();
  if (options_.data_plane) {
    part_senders_[i].reset();
    fetchers_[i].reset();
    data_servers_[i].reset();
  }
}

Worker& Cluster::AddWorker(std::vector<std::string> jobs, std::optional<std::string> key) {
  TaskEnvironment environment;
  const int index = static_cast<int>(workers_.size());
  if (std::find(options_.failing_workers.begin(), options_.failing_workers.end(), index) !=
      options_.failing_workers.end()) {
    faults_.push_back(std::make_unique<FaultInjection>());
    faults_.back()->fail_fraction = 1;
    environment.faults = faults_.back().get();
  }
  environment.worker_name = absl::StrCat("worker-", workers_.size());
  environment.scratch_dir = absl::StrCat(scratch_.path(), "/", environment.worker_name);
  environment.registry = &JobRegistry::Global();
  environment.env = options_.task_clock;
  if (options_.manual_tasks) {
    executors_.push_back(std::make_unique<ManualTaskExecutor>(environment));
  } else {
    executors_.push_back(std::make_unique<InlineTaskExecutor>(environment));
  }
  WorkerOptions worker_options;
  worker_options.name = environment.worker_name;
  worker_options.slots = options_.slots;
  worker_options.scratch_dir = environment.scratch_dir;
  worker_options.job_kinds = std::move(jobs);
  if (options_.access != nullptr) {
    fleets_.push_back(std::make_unique<FleetKeys>());
    worker_options.fleet = fleets_.back().get();
  }
  if (options_.data_plane) {
    data_servers_.push_back(std::make_unique<MapOutputServer>(
        *network_.Listen("data-" + environment.worker_name), environment.scratch_dir,
        *Env::Default(),
        options_.data_plane_calls != nullptr ? *options_.data_plane_calls : blocking_calls_));
    fetchers_.push_back(std::make_unique<MapOutputFetcher>(
        clock_,
        [this](const std::string& endpoint,
               const std::string& /*key*/) -> absl::StatusOr<std::unique_ptr<ClientTransport>> {
          return network_.Connect(endpoint);
        },
        *Env::Default(),
        options_.data_plane_calls != nullptr ? *options_.data_plane_calls : blocking_calls_));
    part_senders_.push_back(std::make_unique<PartFileSender>(
        clock_, *Env::Default(),
        options_.data_plane_calls != nullptr ? *options_.data_plane_calls : blocking_calls_));
    worker_options.data_server = data_servers_.back().get();
    worker_options.fetcher = fetchers_.back().get();
    worker_options.part_sender = part_senders_.back().get();
  }
  workers_.push_back(std::make_unique<Worker>(
      clock_, network_.Connect("coordinator", key.value_or(options_.worker_key)),
      *executors_.back(), worker_options));
  Await(workers_.back()->Start()).IgnoreError();
  return *workers_.back();
}

absl::StatusOr<proto::JobStatus> Cluster::Run(proto::JobSpec spec) {
  Result<proto::JobAccepted> accepted = Await(client_->Submit(std::move(spec)));
  if (!accepted.ok()) return accepted.status();
  return Await(client_->Watch(accepted->job_id(), nullptr));
}

}  // namespace braid::testing
