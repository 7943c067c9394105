#include "coordinator/coordinator.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "job/hadoop_properties.h"

namespace braid {
namespace {

// Attempt numbers of the coordinator's Eth start on a state directory begin above (E - 1) * 1000.
constexpr uint32_t kAttemptsPerEpoch = 1000;

}  // namespace

Coordinator::Coordinator(ReactorTime& time, std::unique_ptr<ServerTransport> transport,
                         const JobRegistry& registry, CoordinatorOptions options)
    : time_(time),
      registry_(registry),
      options_(std::move(options)),
      env_(options_.env != nullptr ? *options_.env : *Env::Default()),
      blocking_calls_(options_.blocking_calls != nullptr ? *options_.blocking_calls
                                                         : inline_calls_),
      hub_(time, std::move(transport), options_.hub),
      scheduler_(time, hub_),
      data_(hub_, *this, env_, blocking_calls_),
      job_prefix_(absl::FormatTime("job_%Y%m%d%H%M%S_", env_.Now(), absl::UTCTimeZone())),
      events_(time, [this] { PublishEvents(); }) {
  hub_.SetHandlers(
      [this](const PeerId& peer, proto::Envelope& message) { OnMessage(peer, message); },
      [this](const PeerId& peer, absl::Status why) { OnPeerLost(peer, why); });
  events_.Start(options_.event_interval, /*now=*/false).Catch([](absl::Status error) {
    LOG(ERROR) << "job events stopped: " << error;
  });
}

Coordinator::~Coordinator() {
  liveness_.End();
  events_.Stop().IgnoreError();  // not running once stopped before
  for (auto& [id, job] : jobs_) {
    if (store_ != nullptr) {
      job->Suspend();  // the journal has it: the next start resumes it
    } else {
      job->Cancel(absl::CancelledError("the coordinator stopped"));
    }
  }
  // store_ syncs what it buffered as it goes.
}

const JobRun* Coordinator::job(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

absl::Status Coordinator::Recover() {
  if (options_.state_dir.empty() || store_ != nullptr) return absl::OkStatus();
  JobStore::Options store_options;
  store_options.state_dir = options_.state_dir;
  store_options.sync_interval = options_.sync_interval;
  store_options.kept_ended_jobs = kKeptEndedJobs;
  JobStore::Recovered recovered;
  absl::StatusOr<std::unique_ptr<JobStore>> store =
      JobStore::Open(env_, time_, store_options, &recovered);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  job_prefix_ = absl::StrCat("job_", store_->cluster_id(), "_");
  next_job_number_ = std::max(next_job_number_, recovered.next_job_number);
  // Ended jobs are remembered by their final status; unfinished ones run again, in the order
  // they were accepted.
  for (auto& [id, status] : recovered.ended) {
    if (!status.submission_id().empty()) {
      proto::JobSpec spec;
      spec.set_owner(status.owner());
      spec.set_submission_id(status.submission_id());
      RememberSubmission(spec, id);
    }
    ended_before_[id] = std::move(status);
    ended_.push_back(id);
  }
  // A resumed job may end at once (its output was committed): no compaction until every resumed
  // job is started, or the records of those not yet started would be dropped.
  recovering_ = true;
  for (JobStore::Recovered::Unfinished& job : recovered.unfinished) {
    JobPlan plan;
    plan.splits.assign(job.accepted.splits().begin(), job.accepted.splits().end());
    plan.reducers = job.accepted.reducers();
    plan.boundaries.assign(job.accepted.partition_boundaries().begin(),
                           job.accepted.partition_boundaries().end());
    plan.input_bytes = job.accepted.input_bytes();
    RememberSubmission(job.accepted.spec(), job.job_id);
    StartJob(job.job_id, job.accepted.spec(), std::move(plan), /*resumed=*/true, job.committed);
    LOG(INFO) << "resumed job " << job.job_id << " with " << job.committed.size()
              << " tasks committed before the restart";
  }
  recovering_ = false;
  MaybeCompactJournal();
  LOG(INFO) << "journal " << store_->path() << " (epoch " << store_->epoch()
            << "): " << recovered.unfinished.size() << " jobs resumed, " << ended_.size()
            << " ended jobs remembered"
            << (recovered.cut_bytes > 0
                    ? absl::StrCat(", a torn tail of ", recovered.cut_bytes, " bytes cut")
                    : "");
  return absl::OkStatus();
}

std::vector<proto::JournalRecord> Coordinator::EndedRecords() const {
  std::vector<proto::JournalRecord> records;
  for (const std::string& id : ended_) {
    proto::JobStatus status;
    if (!FindStatus(id, /*with_tasks=*/true, &status)) continue;
    proto::JournalRecord& record = records.emplace_back();
    record.set_job_id(id);
    proto::JournalRecord::JobEnded* ended = record.mutable_job_ended();
    ended->set_state(status.state());
    ended->set_message(status.message());
    ended->set_number(JobNumber(id));
    *ended->mutable_status() = std::move(status);
    // As JobStore::JobEnded does: an end too large to read back is kept without its tasks.
    if (record.ByteSizeLong() > Journal::kMaxRecordBytes) ended->mutable_status()->clear_tasks();
  }
  return records;
}

uint64_t Coordinator::JobNumber(const std::string& id) const {
  uint64_t number = 0;
  if (absl::StartsWith(id, job_prefix_)) {
    (void)absl::SimpleAtoi(absl::string_view(id).substr(job_prefix_.size()), &number);
  }
  return number;
}

bool Coordinator::FindStatus(const std::string& id, bool with_tasks,
                             proto::JobStatus* status) const {
  if (const JobRun* run = job(id); run != nullptr) {
    *status = run->Status(with_tasks);
    return true;
  }
  auto ended = ended_before_.find(id);
  if (ended == ended_before_.end()) return false;
  *status = ended->second;
  if (!with_tasks) status->clear_tasks();
  return true;
}

void Coordinator::TaskCommitted(const std::string& job_id, const proto::TaskResult& result) {
  if (store_ != nullptr) store_->TaskCommitted(job_id, result);
  job_metrics_.Committed(result);
}

absl::StatusOr<const proto::InputSplit*> Coordinator::SplitFor(const PeerId& peer,
                                                               const proto::TaskAttempt& attempt) {
  const JobRun* run = job(attempt.job_id());
  if (run == nullptr || run->finished()) {
    return absl::NotFoundError(
        absl::StrCat("no running job ", absl::string_view(attempt.job_id()).substr(0, 100)));
  }
  const proto::InputSplit* split = run->split(attempt.task());
  if (attempt.kind() != proto::TASK_KIND_MAP || split == nullptr ||
      !scheduler_.Runs(peer, attempt)) {
    return absl::PermissionDeniedError(
        absl::StrCat("attempt ", AttemptName(attempt), " is not a map attempt this worker runs"));
  }
  return split;
}

absl::StatusOr<std::string> Coordinator::PartFileOf(const PeerId& peer,
                                                    const proto::TaskAttempt& attempt) {
  const JobRun* run = job(attempt.job_id());
  if (run == nullptr || run->finished()) {
    return absl::NotFoundError(
        absl::StrCat("no running job ", absl::string_view(attempt.job_id()).substr(0, 100)));
  }
  // Reduces write part files, and so do the maps of a map-only job that is not a task bag.
  const bool writes_part =
      attempt.kind() == proto::TASK_KIND_REDUCE ||
      (attempt.kind() == proto::TASK_KIND_MAP && run->definition()->reduce_tasks() == 0 &&
       run->spec().records_per_task() == 0);
  if (run->spec().output().empty() || !writes_part || !scheduler_.Runs(peer, attempt)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "attempt ", AttemptName(attempt), " is not one this worker runs, with a part file"));
  }
  return run->AttemptOutputPath(attempt);
}

absl::Status Coordinator::MaySend(PeerKind kind, const proto::Envelope& message) {
  bool allowed = true;
  switch (message.body_case()) {
    case proto::Envelope::kSubmitJob:
    case proto::Envelope::kStatusRequest:
    case proto::Envelope::kWatchJob:
    case proto::Envelope::kCancelJob:
      allowed = kind == PeerKind::kClient;
      break;
    case proto::Envelope::kTaskResults:
    case proto::Envelope::kTaskProgress:
    case proto::Envelope::kLocateSplit:
    case proto::Envelope::kFetchRequest:
    case proto::Envelope::kPartChunk:
      allowed = kind == PeerKind::kWorker;
      break;
    default:
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("a ", kind == PeerKind::kWorker ? "worker" : "client", " may not send ",
                   BodyName(message), " messages"));
}

void Coordinator::OnMessage(const PeerId& peer, proto::Envelope& message) {
  if (auto known = peers_.find(peer); known != peers_.end()) {
    if (absl::Status allowed = MaySend(known->second, message); !allowed.ok()) {
      hub_.Reject(peer, message.message_id(), allowed);
      return;
    }
  }
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
    case proto::Envelope::kLocateSplit:
      return data_.OnLocateSplit(peer, message);
    case proto::Envelope::kFetchRequest:
      return data_.OnFetch(peer, message);
    case proto::Envelope::kPartChunk:
      return data_.OnPartChunk(peer, message);
    case proto::Envelope::kGoodbye:
      OnPeerLost(peer,
                 absl::CancelledError(absl::StrCat("said goodbye: ", message.goodbye().reason())));
      hub_.Forget(peer);
      return;
    default:
      hub_.Reject(peer, message.message_id(),
                  absl::UnimplementedError(absl::StrCat("the coordinator does not take ",
                                                        BodyName(message), " messages")));
  }
}

void Coordinator::OnWorkerHello(const PeerId& peer, const proto::Envelope& message) {
  const proto::WorkerHello& hello = message.worker_hello();
  if (auto known = peers_.find(peer); known != peers_.end() && known->second != PeerKind::kWorker) {
    RefuseHello(peer, message.message_id(),
                absl::FailedPreconditionError("this connection introduced itself as a client"));
    return;
  }
  if (options_.access != nullptr) {
    if (absl::Status may = options_.access->MayIntroduce(hub_.key(peer), /*worker=*/true);
        !may.ok()) {
      LOG(WARNING) << "refused worker " << hello.name() << ": " << may.message();
      RefuseHello(peer, message.message_id(), may);
      return;
    }
  }
  if (hello.slots() == 0) {
    RefuseHello(peer, message.message_id(), absl::InvalidArgumentError("a worker needs slots"));
    return;
  }
  if (hello.name().empty()) {
    RefuseHello(peer, message.message_id(), absl::InvalidArgumentError("a worker needs a name"));
    return;
  }
  if (std::optional<PeerId> old = scheduler_.PeerOf(hello.name()); old.has_value()) {
    const Scheduler::WorkerInfo& known = scheduler_.workers().at(*old);
    if (*old != peer && (known.host != hello.host() || known.pid != hello.pid())) {
      // Another process calling itself the same: its attempts would be mistaken for the other's.
      RefuseHello(peer, message.message_id(),
                  absl::AlreadyExistsError(absl::StrFormat(
                      "a worker named '%s' is connected already (pid %d on %s; this one is pid %d "
                      "on %s): give each worker its own --name, or start it again once the "
                      "coordinator has declared the old one lost",
                      hello.name(), known.pid, known.host, hello.pid(), hello.host())));
      return;
    }
    // The same process again (its link reconnected before its old connection timed out): the
    // new connection replaces the old, and what ran on the old runs again.
    LOG(INFO) << "worker " << hello.name() << " reconnected: its earlier connection is dropped";
    scheduler_.RemoveWorker(*old, absl::UnavailableError("it connected again"));
    if (*old != peer) {
      hub_.Forget(*old);
      peers_.erase(*old);
    }
  }
  peers_[peer] = PeerKind::kWorker;
  const WorkerId id = scheduler_.AddWorker(peer, hello);
  proto::Welcome welcome;
  welcome.set_coordinator(options_.name);
  welcome.set_worker_number(id);
  welcome.set_lists_running_jobs(true);
  for (const auto& [job_id, run] : jobs_) {
    if (!run->finished()) welcome.add_running_jobs(job_id);
  }
  if (options_.access != nullptr) {
    // Who may fetch from its data endpoint: the fleet's workers.
    for (std::string& key : options_.access->keys().KeysOf(KeyRole::kWorker)) {
      welcome.add_fleet_keys(std::move(key));
    }
  }
  hub_.Welcome(peer, message.message_id(), welcome);
  LOG(INFO) << "worker " << hello.name() << " joined with " << hello.slots() << " slots and jobs "
            << absl::StrJoin(hello.job_kinds(), ",");
}

void Coordinator::OnClientHello(const PeerId& peer, const proto::Envelope& message) {
  if (auto known = peers_.find(peer); known != peers_.end() && known->second != PeerKind::kClient) {
    RefuseHello(peer, message.message_id(),
                absl::FailedPreconditionError("this connection introduced itself as a worker"));
    return;
  }
  if (options_.access != nullptr) {
    if (absl::Status may = options_.access->MayIntroduce(hub_.key(peer), /*worker=*/false);
        !may.ok()) {
      LOG(WARNING) << "refused client " << message.client_hello().name() << ": " << may.message();
      RefuseHello(peer, message.message_id(), may);
      return;
    }
  }
  peers_[peer] = PeerKind::kClient;
  proto::Welcome welcome;
  welcome.set_coordinator(options_.name);
  hub_.Welcome(peer, message.message_id(), welcome);
}

void Coordinator::RefuseHello(const PeerId& peer, uint64_t hello_id, const absl::Status& why) {
  hub_.Reject(peer, hello_id, why);
  // A peer introduced before (under this connection) is forgotten whole, as if lost.
  OnPeerLost(peer, why);
  hub_.Forget(peer);
}

void Coordinator::OnPeerLost(const PeerId& peer, const absl::Status& why) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  // A lost client waits for no answer (it sends its submit again under a new peer).
  for (auto& [submission, waiting] : submitting_) {
    std::erase_if(waiting, [&peer](const auto& asker) { return asker.first == peer; });
  }
  if (it->second == PeerKind::kWorker) {
    auto worker = scheduler_.workers().find(peer);
    proto::Envelope holder_lost;
    if (worker != scheduler_.workers().end()) {
      LOG(WARNING) << "worker " << worker->second.name << " lost: " << why;
      if (!worker->second.data_endpoint.empty()) {
        holder_lost.mutable_holder_lost()->set_worker(worker->second.name);
        holder_lost.mutable_holder_lost()->set_data_endpoint(worker->second.data_endpoint);
      }
    }
    scheduler_.RemoveWorker(peer, why);
    if (holder_lost.has_holder_lost()) {
      // Reducers copying its outputs would otherwise wait out their requests' timeouts before
      // reporting them lost (and the maps running again).
      for (const auto& [other, kind] : peers_) {
        if (kind == PeerKind::kWorker && other != peer) hub_.Send(other, holder_lost).IgnoreError();
      }
    }
  }
  for (auto& [job, watchers] : watchers_) watchers.erase(peer);
  peers_.erase(it);
}

std::string Coordinator::ClientOf(const PeerId& peer) const {
  const absl::string_view key = hub_.key(peer);
  return key.empty() ? absl::StrCat("peer ", peer) : std::string(key);
}

std::string Coordinator::SubmissionKey(const proto::JobSpec& spec) {
  if (spec.submission_id().empty()) return "";
  return absl::StrCat(spec.owner(), "\n", spec.submission_id());
}

void Coordinator::RememberSubmission(const proto::JobSpec& spec, const std::string& job_id) {
  const std::string key = SubmissionKey(spec);
  if (key.empty()) return;
  submissions_[key] = job_id;
  submission_of_job_[job_id] = key;
}

void Coordinator::ReplyAccepted(const PeerId& peer, uint64_t request, const std::string& job_id,
                                const std::vector<std::string>& warnings) {
  proto::JobStatus status;
  if (!FindStatus(job_id, /*with_tasks=*/false, &status)) {
    hub_.Reject(peer, request,
                absl::InternalError(absl::StrCat("the submit made job ", job_id,
                                                 ", which the coordinator no longer knows")));
    return;
  }
  proto::Envelope reply;
  proto::JobAccepted* answer = reply.mutable_job_accepted();
  answer->set_job_id(job_id);
  answer->set_map_tasks(status.maps_total());
  answer->set_reduce_tasks(status.reduces_total());
  for (const std::string& warning : warnings) answer->add_warnings(warning);
  hub_.Reply(peer, request, reply);
}

absl::Status Coordinator::WithinSubmitLimits(const PeerId& peer, const proto::JobSpec& spec) const {
  const ClientLimits& limits = options_.limits;
  uint64_t shipped = 0;
  for (const proto::ShippedFile& file : spec.streaming().files()) shipped += file.content().size();
  if (shipped > limits.file_bytes_per_job) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the job ships %.1f MiB of files, over the %.1f MiB the coordinator's --max-file-bytes "
        "allows (put larger data in the job's input)",
        static_cast<double>(shipped) / (1 << 20),
        static_cast<double>(limits.file_bytes_per_job) / (1 << 20)));
  }
  if (auto it = planning_.find(ClientOf(peer));
      it != planning_.end() && it->second >= limits.submits_in_flight_per_client) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this client has ", it->second,
                     " submits being planned, the most the coordinator's "
                     "--max-submits-in-flight allows: wait for their answers"));
  }
  const absl::string_view key = hub_.key(peer);
  if (options_.access == nullptr || key.empty()) return absl::OkStatus();
  size_t unfinished = 0;
  for (const auto& [id, job] : jobs_) unfinished += !job->finished() && job->spec().owner() == key;
  if (unfinished >= limits.unfinished_jobs_per_key) {
    return absl::ResourceExhaustedError(absl::StrCat(
        options_.access->keys().Describe(key), " has ", unfinished,
        " jobs that have not ended, the most the coordinator's --max-jobs-per-client allows: "
        "wait for some to end"));
  }
  return absl::OkStatus();
}

void Coordinator::CutOff(const PeerId& peer, const absl::Status& why) {
  OnPeerLost(peer, why);
  hub_.Close(peer, why);
}

void Coordinator::ReplaceAuthorizedKeys(AuthorizedKeys keys) {
  options_.access->Replace(std::move(keys));
  std::vector<std::pair<PeerId, absl::Status>> cut;
  for (const auto& [peer, kind] : peers_) {
    absl::Status may = options_.access->MayIntroduce(hub_.key(peer), kind == PeerKind::kWorker);
    if (!may.ok()) cut.emplace_back(peer, std::move(may));
  }
  for (const auto& [peer, why] : cut) {
    auto kind = peers_.find(peer);
    if (kind == peers_.end()) continue;  // gone meanwhile
    LOG(WARNING) << "cutting off a " << (kind->second == PeerKind::kWorker ? "worker" : "client")
                 << " whose key is no longer authorized: " << why.message();
    CutOff(peer, why);
  }
  // The workers that remain learn who their fleet is now (for their data endpoints).
  proto::Envelope fleet;
  for (std::string& key : options_.access->keys().KeysOf(KeyRole::kWorker)) {
    fleet.mutable_fleet_keys()->add_keys(std::move(key));
  }
  for (const auto& [peer, kind] : peers_) {
    if (kind == PeerKind::kWorker) hub_.Send(peer, fleet).IgnoreError();  // a lost one is lost
  }
  LOG(INFO) << "authorized keys replaced: " << options_.access->keys().size() << " keys, "
            << cut.size() << " peers cut off";
}

std::string Coordinator::KnownJobs() const {
  std::set<std::string> names;
  for (const std::string& name : registry_.Names()) names.insert(name);
  for (const auto& [peer, worker] : scheduler_.workers()) {
    for (const std::string& kind : worker.kinds) names.insert(kind);
  }
  return absl::StrJoin(names, ", ");
}

absl::Status Coordinator::CheckAdmissible(const proto::JobSpec& spec,
                                          const JobDefinition** definition) const {
  if (spec.job().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no job given; known jobs: ", KnownJobs()));
  }
  *definition = registry_.Find(spec.job());
  bool known = *definition != nullptr;
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
  if (auto removing = removing_outputs_.find(spec.output()); removing != removing_outputs_.end()) {
    return absl::UnavailableError(absl::StrCat("the output directory '", spec.output(),
                                               "' of failed job ", removing->second,
                                               " is still being removed: submit again shortly"));
  }
  return absl::OkStatus();
}

absl::Status Coordinator::Accept(const proto::JobSpec& spec, absl::StatusOr<JobPlan> plan,
                                 std::string* job_id) {
  if (!plan.ok()) return plan.status();
  // What was true when the planning started may not be now (another job took the output).
  const JobDefinition* definition = nullptr;
  if (absl::Status admissible = CheckAdmissible(spec, &definition); !admissible.ok()) {
    return admissible;
  }
  const uint64_t number = next_job_number_++;
  *job_id = absl::StrFormat("%s%04d", job_prefix_, number);
  if (store_ != nullptr) {
    // The job is on disk before anyone hears it was accepted.
    proto::JournalRecord::JobAccepted accepted;
    *accepted.mutable_spec() = spec;
    for (const proto::InputSplit& split : plan->splits) *accepted.add_splits() = split;
    accepted.set_reducers(plan->reducers);
    for (const std::string& boundary : plan->boundaries)
      accepted.add_partition_boundaries(boundary);
    accepted.set_input_bytes(plan->input_bytes);
    accepted.set_number(number);
    accepted.set_accepted_at_ms(absl::ToUnixMillis(env_.Now()));
    absl::Status journaled = store_->JobAccepted(*job_id, std::move(accepted));
    if (!journaled.ok()) return journaled;
  }
  RememberSubmission(spec, *job_id);
  StartJob(*job_id, spec, *std::move(plan), /*resumed=*/false, {});
  ++job_metrics_.jobs_accepted;
  return absl::OkStatus();
}

JobRun& Coordinator::StartJob(const std::string& id, const proto::JobSpec& spec, JobPlan plan,
                              bool resumed, const std::vector<proto::TaskCommitted>& committed) {
  auto run =
      std::make_unique<JobRun>(id, spec, std::move(plan), registry_.Find(spec.job()), scheduler_,
                               time_, env_, blocking_calls_, static_cast<JobLog*>(this));
  JobRun& job = *run;
  jobs_[id] = std::move(run);
  if (store_ != nullptr) job.set_attempt_base((store_->epoch() - 1) * kAttemptsPerEpoch);
  if (resumed) job.set_resumed();
  for (const proto::TaskCommitted& task : committed) job.Restore(task);
  job.Run().Both([this, alive = liveness_.token(), id](absl::Status) {
    if (alive) JobEnded(id);
  });
  return job;
}

void Coordinator::OnSubmit(const PeerId& peer, const proto::Envelope& message) {
  const uint64_t request = message.message_id();
  // A submit sent again (its reply was lost, or the coordinator restarted): the job the first
  // one created, or the answer it will get.
  proto::JobSpec sent_as;
  sent_as.set_owner(std::string(hub_.key(peer)));
  sent_as.set_submission_id(message.submit_job().spec().submission_id());
  const std::string submission = SubmissionKey(sent_as);
  if (!submission.empty()) {
    if (auto known = submissions_.find(submission); known != submissions_.end()) {
      LOG(INFO) << "a submit sent again: it created job " << known->second;
      ReplyAccepted(peer, request, known->second, {});
      return;
    }
    if (auto waiting = submitting_.find(submission); waiting != submitting_.end()) {
      if (waiting->second.size() >= options_.limits.submits_in_flight_per_client) {
        hub_.Reject(peer, request,
                    absl::ResourceExhaustedError(
                        absl::StrCat("the same submission is being planned and was sent ",
                                     waiting->second.size(), " times more: wait for its answer")));
        return;
      }
      waiting->second.emplace_back(peer, request);
      return;
    }
  }
  if (absl::Status within = WithinSubmitLimits(peer, message.submit_job().spec()); !within.ok()) {
    hub_.Reject(peer, request, within);
    return;
  }
  proto::JobSpec spec = message.submit_job().spec();
  spec.set_owner(std::string(hub_.key(peer)));
  // Hadoop's properties: honoured, or refused by name when they would change the answer.
  std::vector<std::string> warnings;
  if (absl::Status applied = ApplyHadoopProperties(spec, &warnings); !applied.ok()) {
    hub_.Reject(peer, request, applied);
    return;
  }
  const JobDefinition* definition = nullptr;
  if (absl::Status admissible = CheckAdmissible(spec, &definition); !admissible.ok()) {
    hub_.Reject(peer, request, admissible);
    return;
  }
  if (spec.combine_inputs() == proto::INPUT_COMBINING_DEFAULT) {
    for (const auto& [worker_peer, worker] : scheduler_.workers()) {
      if (worker.reads_combined_splits) continue;
      // Its tasks would fail on a split it cannot read.
      spec.set_combine_inputs(proto::INPUT_COMBINING_OFF);
      warnings.push_back(absl::StrCat(
          "small input files are not packed into combined splits: "
          "worker ",
          worker.name, " is of an older Braid (", worker.build_version, ") that cannot read them"));
      break;
    }
  }
  // Planning reads the filesystem (globs, a stat per input, sort's sampling): off the loop —
  // unless the submit names no file at all. The call captures copies, the Env and the job's
  // definition (the registry outlives everything).
  absl::AnyInvocable<absl::StatusOr<JobPlan>()> planning =
      [&env = env_, spec, definition, max_tasks = options_.limits.tasks_per_job] {
        return PlanJob(env, spec, definition, max_tasks);
      };
  const bool names_files = !spec.inputs().empty() || !spec.output().empty();
  const std::string client = ClientOf(peer);
  ++planning_[client];
  if (!submission.empty()) submitting_[submission];  // retries wait for this answer
  (names_files ? blocking_calls_ : inline_calls_)
      .Compute(std::move(planning))
      .Both([this, alive = liveness_.token(), peer, request, client, submission,
             spec = std::move(spec), warnings = std::move(warnings)](absl::StatusOr<JobPlan> plan) {
        if (!alive) return;
        if (auto it = planning_.find(client); it != planning_.end() && --it->second == 0) {
          planning_.erase(it);
        }
        // The submit, and the same submit sent again while it was planned.
        std::vector<std::pair<PeerId, uint64_t>> askers = {{peer, request}};
        if (auto waiting = submitting_.find(submission); waiting != submitting_.end()) {
          askers.insert(askers.end(), waiting->second.begin(), waiting->second.end());
          submitting_.erase(waiting);
        }
        absl::Status accepted = absl::OkStatus();
        if (options_.access != nullptr) {
          // The key may have been removed while the job was being planned.
          accepted = options_.access->MayIntroduce(spec.owner(), /*worker=*/false);
        }
        std::string job_id;
        if (accepted.ok()) accepted = Accept(spec, std::move(plan), &job_id);
        if (!accepted.ok()) {
          for (const auto& [asker, asked] : askers) hub_.Reject(asker, asked, accepted);
          return;
        }
        for (const std::string& warning : warnings) {
          LOG(WARNING) << "job " << job_id << ": " << warning;
        }
        for (const auto& [asker, asked] : askers) ReplyAccepted(asker, asked, job_id, warnings);
        const proto::JobStatus status = job(job_id)->Status(false);
        LOG(INFO) << "accepted job " << job_id << " (" << spec.job() << "): " << status.maps_total()
                  << " map tasks, " << status.reduces_total() << " reduce tasks";
      });
}

void Coordinator::OnStatus(const PeerId& peer, const proto::Envelope& message) {
  absl::StatusOr<proto::StatusResponse> status = Status(message.status_request().job_id());
  if (!status.ok()) {
    hub_.Reject(peer, message.message_id(), status.status());
    return;
  }
  proto::Envelope reply;
  *reply.mutable_status_response() = *std::move(status);
  hub_.Reply(peer, message.message_id(), reply);
}

absl::StatusOr<proto::StatusResponse> Coordinator::Status(const std::string& id) const {
  proto::StatusResponse response;
  const absl::Time now = time_.Now();
  for (const auto& [worker_peer, worker] : scheduler_.workers()) {
    proto::WorkerStatus* status = response.add_workers();
    status->set_name(worker.name);
    status->set_slots(worker.slots);
    status->set_running(worker.outstanding);
    for (const std::string& kind : worker.kinds) status->add_job_kinds(kind);
    status->set_last_heard_ms_ago(
        static_cast<uint64_t>(absl::ToInt64Milliseconds(now - worker.last_heard)));
    status->set_build_version(worker.build_version);
  }
  if (store_ != nullptr && !store_->error().ok()) {
    response.set_journal_error(std::string(store_->error().message()));
  }
  if (store_ != nullptr) response.set_state_dir(options_.state_dir);
  if (id.empty()) {
    for (const std::string& job_id : ended_) {
      auto ended = ended_before_.find(job_id);
      if (ended == ended_before_.end()) continue;
      proto::JobStatus* summary = response.add_jobs();
      *summary = ended->second;
      summary->clear_tasks();
    }
    for (const auto& [job_id, run] : jobs_) *response.add_jobs() = run->Status(false);
  } else if (!FindStatus(id, /*with_tasks=*/true, response.add_jobs())) {
    return absl::NotFoundError(absl::StrCat("no job ", id));
  }
  return response;
}

void Coordinator::OnWatch(const PeerId& peer, const proto::Envelope& message) {
  const std::string& id = message.watch_job().job_id();
  const JobRun* run = job(id);
  auto ended = ended_before_.find(id);
  if (run == nullptr && ended == ended_before_.end()) {
    hub_.Reject(peer, message.message_id(), absl::NotFoundError(absl::StrCat("no job ", id)));
    return;
  }
  if (run != nullptr && !run->finished()) {
    size_t watching = 0;
    for (const auto& [job_id, watchers] : watchers_) watching += watchers.contains(peer);
    auto of_this_job = watchers_.find(id);
    const bool again = of_this_job != watchers_.end() && of_this_job->second.contains(peer);
    if (watching >= options_.limits.watches_per_client && !again) {
      hub_.Reject(peer, message.message_id(),
                  absl::ResourceExhaustedError(absl::StrCat(
                      "this client watches ", watching,
                      " jobs already, the most the coordinator's --max-watches-per-client "
                      "allows")));
      return;
    }
  }
  proto::Envelope ack;
  ack.mutable_ack();
  hub_.Reply(peer, message.message_id(), ack);
  if (run == nullptr) {
    proto::Envelope event;
    *event.mutable_job_event()->mutable_status() = ended->second;
    event.mutable_job_event()->mutable_status()->clear_tasks();
    event.mutable_job_event()->set_final(true);
    hub_.Send(peer, std::move(event)).IgnoreError();
    return;
  }
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
  proto::JobStatus status;
  if (!FindStatus(id, /*with_tasks=*/false, &status)) {
    hub_.Reject(peer, message.message_id(), absl::NotFoundError(absl::StrCat("no job ", id)));
    return;
  }
  if (options_.access != nullptr) {
    if (absl::Status may = options_.access->MayCancel(hub_.key(peer), status.owner()); !may.ok()) {
      hub_.Reject(peer, message.message_id(), may);
      return;
    }
  }
  if (it == jobs_.end() || it->second->finished()) {
    hub_.Reject(
        peer, message.message_id(),
        absl::FailedPreconditionError(absl::StrCat("job ", id, " has ended already (",
                                                   proto::JobState_Name(status.state()), ")")));
    return;
  }
  it->second->Cancel(absl::CancelledError("cancelled by a client"));
  proto::Envelope ack;
  ack.mutable_ack();
  hub_.Reply(peer, message.message_id(), ack);
}

void Coordinator::JobEnded(const std::string& job_id) {
  scheduler_.RemoveSource(job_id);
  data_.ForgetJob(job_id);
  const JobRun* run = job(job_id);
  if (run == nullptr || !run->finished()) return;  // (a suspended job has not ended)
  ++job_metrics_.jobs_ended[run->state()];
  absl::Status on_record = absl::OkStatus();
  if (store_ != nullptr) {
    proto::JournalRecord::JobEnded ended;
    ended.set_state(run->state());
    *ended.mutable_status() = run->Status(/*with_tasks=*/true);
    ended.set_message(ended.status().message());
    ended.set_ended_at_ms(absl::ToUnixMillis(env_.Now()));
    ended.set_number(JobNumber(job_id));
    on_record = store_->JobEnded(job_id, std::move(ended));
    if (!on_record.ok()) jobs_[job_id]->set_end_not_journaled(on_record);
  }
  // Only once the end is on record: a restart must not resume a job whose output is gone.
  if (run->state() != proto::JOB_STATE_SUCCEEDED) {
    if (on_record.ok()) {
      // Until it is gone, no job may take the directory (its removal would race the new job).
      const std::string output = run->spec().output();
      if (!output.empty()) removing_outputs_[output] = job_id;
      jobs_[job_id]->RemoveOutput().Both(
          [this, alive = liveness_.token(), job_id, output](absl::Status removed) {
            if (!removed.ok()) LOG(ERROR) << "job " << job_id << ": " << removed;
            if (alive) removing_outputs_.erase(output);
          });
    } else {
      LOG(ERROR) << "job " << job_id << " ended " << proto::JobState_Name(run->state())
                 << " but its end is not on record (" << on_record
                 << "): its output stays for the restart that resumes it";
    }
  }
  auto watchers = watchers_.find(job_id);
  if (watchers != watchers_.end()) {
    for (const auto& [peer, version] : watchers->second) SendEvent(peer, *run, /*final=*/true);
    watchers_.erase(watchers);
  }
  // Remember the latest ended jobs; forget older ones (never the one ending now: its JobRun is
  // still on the stack).
  ended_.push_back(job_id);
  while (ended_.size() > kKeptEndedJobs) {
    const std::string oldest = ended_.front();
    ended_.pop_front();
    ended_before_.erase(oldest);
    if (auto submission = submission_of_job_.find(oldest); submission != submission_of_job_.end()) {
      submissions_.erase(submission->second);
      submission_of_job_.erase(submission);
    }
    if (auto it = jobs_.find(oldest); it != jobs_.end() && it->second->finished()) {
      jobs_.erase(it);
    }
  }
  MaybeCompactJournal();
}

void Coordinator::MaybeCompactJournal() {
  if (store_ == nullptr || recovering_ || !store_->compaction_due()) return;
  for (const auto& [id, run] : jobs_) {
    if (!run->finished()) return;  // a running job's records are needed: compact later
  }
  store_->Compact(EndedRecords()).IgnoreError();  // logged; the journal stays as it was
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
