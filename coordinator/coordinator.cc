#include "coordinator/coordinator.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"

namespace braid {

Coordinator::Coordinator(ReactorTime& time, std::unique_ptr<ServerTransport> transport,
                         const JobRegistry& registry, CoordinatorOptions options)
    : time_(time),
      registry_(registry),
      options_(std::move(options)),
      hub_(time, std::move(transport), options_.hub),
      scheduler_(time, hub_),
      job_prefix_(absl::FormatTime("job_%Y%m%d%H%M%S_", absl::Now(), absl::UTCTimeZone())),
      events_(time, [this] { PublishEvents(); }) {
  hub_.SetHandlers(
      [this](const PeerId& peer, proto::Envelope& message) { OnMessage(peer, message); },
      [this](const PeerId& peer, absl::Status why) { OnPeerLost(peer, why); });
  events_.Start(options_.event_interval, /*now=*/false).Catch([](absl::Status error) {
    LOG(ERROR) << "job events stopped: " << error;
  });
}

Coordinator::~Coordinator() {
  events_.Stop();
  for (auto& [id, job] : jobs_) job->Cancel(absl::CancelledError("the coordinator stopped"));
}

const JobRun* Coordinator::job(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

void Coordinator::OnMessage(const PeerId& peer, proto::Envelope& message) {
  switch (message.body_case()) {
    case proto::Envelope::kWorkerHello:
      return OnWorkerHello(peer, message);
    case proto::Envelope::kClientHello:
      return OnClientHello(peer, message);
    case proto::Envelope::kTaskResults:
      return scheduler_.OnResults(peer, *message.mutable_task_results());
    case proto::Envelope::kHeartbeat:
      return scheduler_.OnHeartbeat(peer, message.heartbeat());
    case proto::Envelope::kTaskProgress:
      return;  // progress lines are shown with the next results
    case proto::Envelope::kSubmitJob:
      return OnSubmit(peer, message);
    case proto::Envelope::kStatusRequest:
      return OnStatus(peer, message);
    case proto::Envelope::kWatchJob:
      return OnWatch(peer, message);
    case proto::Envelope::kCancelJob:
      return OnCancel(peer, message);
    case proto::Envelope::kGoodbye:
      OnPeerLost(peer,
                 absl::CancelledError(absl::StrCat("said goodbye: ", message.goodbye().reason())));
      hub_.Forget(peer);
      return;
    default:
      hub_.Reject(peer, message.message_id(),
                  absl::UnimplementedError(absl::StrCat("the coordinator does not take ",
                                                        BodyName(message), " messages")))
          .IgnoreError();
  }
}

void Coordinator::OnWorkerHello(const PeerId& peer, const proto::Envelope& message) {
  const proto::WorkerHello& hello = message.worker_hello();
  if (hello.slots() == 0) {
    hub_.Reject(peer, message.message_id(), absl::InvalidArgumentError("a worker needs slots"))
        .IgnoreError();
    hub_.Forget(peer);
    return;
  }
  peers_[peer] = PeerKind::kWorker;
  uint64_t number = next_worker_number_++;
  scheduler_.AddWorker(peer, hello, number);
  proto::Welcome welcome;
  welcome.set_coordinator(options_.name);
  welcome.set_worker_number(number);
  hub_.Welcome(peer, message.message_id(), welcome).IgnoreError();
  LOG(INFO) << "worker " << hello.name() << " joined with " << hello.slots() << " slots and jobs "
            << absl::StrJoin(hello.job_kinds(), ",");
}

void Coordinator::OnClientHello(const PeerId& peer, const proto::Envelope& message) {
  peers_[peer] = PeerKind::kClient;
  proto::Welcome welcome;
  welcome.set_coordinator(options_.name);
  hub_.Welcome(peer, message.message_id(), welcome).IgnoreError();
}

void Coordinator::OnPeerLost(const PeerId& peer, const absl::Status& why) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  if (it->second == PeerKind::kWorker) {
    auto worker = scheduler_.workers().find(peer);
    if (worker != scheduler_.workers().end()) {
      LOG(WARNING) << "worker " << worker->second.name << " lost: " << why;
    }
    scheduler_.RemoveWorker(peer, why);
  }
  for (auto& [job, watchers] : watchers_) watchers.erase(peer);
  peers_.erase(it);
}

std::string Coordinator::KnownJobs() const {
  std::set<std::string> names;
  for (const std::string& name : registry_.Names()) names.insert(name);
  for (const auto& [peer, worker] : scheduler_.workers()) {
    for (const std::string& kind : worker.kinds) names.insert(kind);
  }
  return absl::StrJoin(names, ", ");
}

absl::Status Coordinator::Accept(const proto::JobSpec& spec, std::string* job_id) {
  if (spec.job().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no job given; known jobs: ", KnownJobs()));
  }
  const JobDefinition* definition = registry_.Find(spec.job());
  bool known = definition != nullptr;
  for (const auto& [peer, worker] : scheduler_.workers()) {
    known = known || worker.kinds.contains(spec.job());
  }
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown job '", spec.job(), "'; known jobs: ", KnownJobs()));
  }
  for (const auto& [id, job] : jobs_) {
    if (!job->finished() && !spec.output().empty() && job->spec().output() == spec.output()) {
      return absl::AlreadyExistsError(
          absl::StrCat("job ", id, " is writing to '", spec.output(), "' already"));
    }
  }
  absl::StatusOr<JobPlan> plan = PlanJob(spec, definition);
  if (!plan.ok()) return plan.status();
  *job_id = absl::StrFormat("%s%04d", job_prefix_, next_job_number_++);
  auto run =
      std::make_unique<JobRun>(*job_id, spec, *std::move(plan), definition, scheduler_, time_);
  JobRun& job = *run;
  jobs_[*job_id] = std::move(run);
  job.Run().Both([this, id = *job_id](absl::Status) { JobEnded(id); });
  return absl::OkStatus();
}

void Coordinator::OnSubmit(const PeerId& peer, const proto::Envelope& message) {
  std::string job_id;
  absl::Status accepted = Accept(message.submit_job().spec(), &job_id);
  if (!accepted.ok()) {
    hub_.Reject(peer, message.message_id(), accepted).IgnoreError();
    return;
  }
  const JobRun* run = job(job_id);
  proto::Envelope reply;
  proto::JobAccepted* answer = reply.mutable_job_accepted();
  answer->set_job_id(job_id);
  proto::JobStatus status = run->Status(false);
  answer->set_map_tasks(status.maps_total());
  answer->set_reduce_tasks(status.reduces_total());
  hub_.Reply(peer, message.message_id(), reply).IgnoreError();
  LOG(INFO) << "accepted job " << job_id << " (" << message.submit_job().spec().job()
            << "): " << status.maps_total() << " map tasks, " << status.reduces_total()
            << " reduce tasks";
}

void Coordinator::OnStatus(const PeerId& peer, const proto::Envelope& message) {
  const std::string& id = message.status_request().job_id();
  proto::Envelope reply;
  proto::StatusResponse* response = reply.mutable_status_response();
  const absl::Time now = time_.Now();
  for (const auto& [worker_peer, worker] : scheduler_.workers()) {
    proto::WorkerStatus* status = response->add_workers();
    status->set_name(worker.name);
    status->set_slots(worker.slots);
    status->set_running(worker.outstanding);
    for (const std::string& kind : worker.kinds) status->add_job_kinds(kind);
    status->set_last_heard_ms_ago(
        static_cast<uint64_t>(absl::ToInt64Milliseconds(now - worker.last_heard)));
    status->set_build_version(worker.build_version);
  }
  if (id.empty()) {
    for (const auto& [job_id, run] : jobs_) *response->add_jobs() = run->Status(false);
  } else {
    const JobRun* run = job(id);
    if (run == nullptr) {
      hub_.Reject(peer, message.message_id(), absl::NotFoundError(absl::StrCat("no job ", id)))
          .IgnoreError();
      return;
    }
    *response->add_jobs() = run->Status(true);
  }
  hub_.Reply(peer, message.message_id(), reply).IgnoreError();
}

void Coordinator::OnWatch(const PeerId& peer, const proto::Envelope& message) {
  const std::string& id = message.watch_job().job_id();
  const JobRun* run = job(id);
  if (run == nullptr) {
    hub_.Reject(peer, message.message_id(), absl::NotFoundError(absl::StrCat("no job ", id)))
        .IgnoreError();
    return;
  }
  proto::Envelope ack;
  ack.mutable_ack();
  hub_.Reply(peer, message.message_id(), ack).IgnoreError();
  if (run->finished()) {
    SendEvent(peer, *run, /*final=*/true);
    return;
  }
  watchers_[id][peer] = run->version();
  SendEvent(peer, *run, /*final=*/false);
}

void Coordinator::OnCancel(const PeerId& peer, const proto::Envelope& message) {
  const std::string& id = message.cancel_job().job_id();
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    hub_.Reject(peer, message.message_id(), absl::NotFoundError(absl::StrCat("no job ", id)))
        .IgnoreError();
    return;
  }
  if (it->second->finished()) {
    hub_.Reject(peer, message.message_id(),
                absl::FailedPreconditionError(
                    absl::StrCat("job ", id, " has ended already (",
                                 proto::JobState_Name(it->second->state()), ")")))
        .IgnoreError();
    return;
  }
  it->second->Cancel(absl::CancelledError("cancelled by a client"));
  proto::Envelope ack;
  ack.mutable_ack();
  hub_.Reply(peer, message.message_id(), ack).IgnoreError();
}

void Coordinator::JobEnded(const std::string& job_id) {
  scheduler_.RemoveSource(job_id);
  const JobRun* run = job(job_id);
  auto watchers = watchers_.find(job_id);
  if (watchers == watchers_.end() || run == nullptr) return;
  for (const auto& [peer, version] : watchers->second) SendEvent(peer, *run, /*final=*/true);
  watchers_.erase(watchers);
}

void Coordinator::SendEvent(const PeerId& peer, const JobRun& job, bool final) {
  proto::Envelope event;
  *event.mutable_job_event()->mutable_status() = job.Status(false);
  event.mutable_job_event()->set_final(final);
  hub_.Send(peer, std::move(event)).IgnoreError();
}

void Coordinator::PublishEvents() {
  for (auto& [job_id, watchers] : watchers_) {
    const JobRun* run = job(job_id);
    if (run == nullptr) continue;
    for (auto& [peer, version] : watchers) {
      if (version == run->version()) continue;
      version = run->version();
      SendEvent(peer, *run, /*final=*/false);
    }
  }
}

}  // namespace braid
