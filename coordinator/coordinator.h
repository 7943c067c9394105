// Coordinator: the coordinator process's logic — Braid's JobTracker.
//
// It welcomes workers and clients (through a Hub), validates and plans submitted jobs — refusing
// bad ones with a message that names the problem — and runs each accepted job as a JobRun, several
// at once, sharing the workers through one Scheduler. It answers status requests, streams
// progress events to clients that watch a job, and cancels jobs on request. A lost worker's
// attempts are rescheduled.
//
// With a state directory it is durable: every accepted job, committed task and ended job goes to
// its JobStore, a submit is acknowledged only once its job is on disk, and Recover — after a
// crash or an orderly stop — resumes the unfinished jobs with the work they had committed.
// Stopping it then suspends its jobs instead of cancelling them. Ended jobs are remembered (the
// latest kKeptEndedJobs of them) for status requests, across restarts too. Once the journal
// fails (a full disk, say), submits are refused with kUnavailable, a failed job's output is kept,
// and status answers say why.
//
// The logic touches no socket, no clock and no file of its own: it runs on a ReactorTime with a
// ServerTransport and an Env, so tests run a whole cluster on the fake clock, the in-memory
// network and, where they choose, FakeEnv.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_COORDINATOR_COORDINATOR_H_
#define BRAID_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "base/metrics.h"
#include "coordinator/access_control.h"
#include "coordinator/data_service.h"
#include "coordinator/job_metrics.h"
#include "coordinator/job_run.h"
#include "coordinator/job_store.h"
#include "coordinator/planner.h"
#include "coordinator/scheduler.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "job/registry.h"
#include "job/streaming_spec.h"
#include "messaging/hub.h"
#include "messaging/transport.h"
#include "reactor/blocking_calls.h"
#include "reactor/looping_call.h"

namespace braid {

// What one client may cost the coordinator. A request beyond a limit is refused with
// RESOURCE_EXHAUSTED naming the limit and the braid coordinator flag that sets it; nothing is
// dropped without a word.
struct ClientLimits {
  // Jobs submitted with one key that have not ended (with authorized keys only: without them
  // there is no one to tell apart). --max-jobs-per-client.
  size_t unfinished_jobs_per_key = 100;
  // Submits from one client being planned at once. --max-submits-in-flight.
  size_t submits_in_flight_per_client = 16;
  // Jobs one connection watches at once. --max-watches-per-client.
  size_t watches_per_client = 1000;
  // Bytes of files shipped with one streaming job (--file), at most kMaxShippedBytes, which the
  // protocol's frame size bounds. --max-file-bytes.
  uint64_t file_bytes_per_job = kMaxShippedBytes;
  // Tasks (maps and reduces) of one job, counted at submit. --max-tasks.
  uint64_t tasks_per_job = kDefaultMaxTasks;
};

struct CoordinatorOptions {
  // Shown to peers in Welcome.
  std::string name = "coordinator";
  HubOptions hub;
  // How often watching clients hear of a job's progress (its end, at once).
  absl::Duration event_interval = absl::Milliseconds(200);
  // Where the journal lives; empty for a coordinator that forgets its jobs when it stops.
  std::string state_dir;
  // How long a committed task may wait in the journal's buffer before it is fsynced.
  absl::Duration sync_interval = absl::Seconds(1);
  // The wall clock and the filesystem (state directory, inputs, outputs); null for
  // Env::Default(). Must outlive the coordinator.
  Env* env = nullptr;
  // Where the filesystem calls too slow for the loop run (planning a submit: globs, a stat per
  // input; removing an output directory: a failed job's, or the old one an --overwrite
  // replaces); null to run them inline. Must outlive the coordinator and its calls.
  BlockingCalls* blocking_calls = nullptr;
  // Who may do what (an --authorized-keys file); null for a coordinator whose transport does
  // not authenticate, where every peer may do everything. Must outlive the coordinator.
  AccessControl* access = nullptr;
  ClientLimits limits;
};

class Coordinator final : private JobLog, private DataService::Catalog {
 public:
  // Ended jobs remembered for status requests.
  static constexpr size_t kKeptEndedJobs = 100;

  // `registry` (the jobs this binary knows) must outlive the coordinator.
  Coordinator(ReactorTime& time, std::unique_ptr<ServerTransport> transport,
              const JobRegistry& registry, CoordinatorOptions options = {});
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;
  // Suspends (with a state directory) or cancels (without) the jobs still running.
  ~Coordinator() override;

  // Opens the journal in options.state_dir and resumes what it holds; call once, before the loop
  // runs. Without a state directory it does nothing. Errors are JobStore::Open's.
  absl::Status Recover();

  std::string endpoint() const { return hub_.endpoint(); }
  // The job `id` while it runs or, after it ended, until kKeptEndedJobs later jobs ended (and
  // never for a job that ended before a restart); null otherwise.
  const JobRun* job(const std::string& id) const;
  // The job store, once Recover opened one; null otherwise.
  const JobStore* store() const { return store_.get(); }
  size_t workers() const { return scheduler_.workers().size(); }
  const Hub& hub() const { return hub_; }
  // What it served of its inputs and received of part files, for workers that share no
  // filesystem with it.
  const DataService& data_service() const { return data_; }

  // What `braid status` shows: the workers, the journal's state, and every job remembered (an
  // empty `job_id`) or job `job_id` with its tasks. kNotFound for a job it does not know.
  absl::StatusOr<proto::StatusResponse> Status(const std::string& job_id) const;
  // Adds the coordinator's metrics to `page` (docs/metrics.md lists them).
  void WriteMetrics(MetricsPage& page) const;

  // Replaces the authorized keys (REQUIRES: options.access) and cuts off every peer whose key
  // no longer allows what it connected as: a worker's attempts run elsewhere, a client's watches
  // end (the client's side learns of it: its link is closed). Their further frames are refused
  // until a hello, which their keys no longer pass.
  void ReplaceAuthorizedKeys(AuthorizedKeys keys);

 private:
  enum class PeerKind { kWorker, kClient };

  void OnMessage(const PeerId& peer, proto::Envelope& message);
  // OK if a peer of `kind` may send `message` (a worker speaks the task protocol, a client
  // submits, watches, asks and cancels); kPermissionDenied otherwise.
  static absl::Status MaySend(PeerKind kind, const proto::Envelope& message);
  // Forgets `peer` as if it were lost, for `why`, telling it that it is closed for good.
  void CutOff(const PeerId& peer, const absl::Status& why);
  // Answers a hello with a refusal and forgets the peer (whole, if it was introduced before).
  void RefuseHello(const PeerId& peer, uint64_t hello_id, const absl::Status& why);
  void OnPeerLost(const PeerId& peer, const absl::Status& why);
  void OnWorkerHello(const PeerId& peer, const proto::Envelope& message);
  void OnClientHello(const PeerId& peer, const proto::Envelope& message);
  void OnSubmit(const PeerId& peer, const proto::Envelope& message);
  void OnStatus(const PeerId& peer, const proto::Envelope& message);
  void OnWatch(const PeerId& peer, const proto::Envelope& message);
  void OnCancel(const PeerId& peer, const proto::Envelope& message);
  // The checks of a submit that need no filesystem (the job known, the output not in use); sets
  // `definition` (null if only workers have the job).
  absl::Status CheckAdmissible(const proto::JobSpec& spec, const JobDefinition** definition) const;
  // Accepts a planned submit: checks it again, journals it and starts it.
  absl::Status Accept(const proto::JobSpec& spec, absl::StatusOr<JobPlan> plan,
                      std::string* job_id);
  // Starts a JobRun (a new one, or one the journal resumes).
  // `resumed`: the journal had accepted it before a restart (`committed` is what it had done).
  JobRun& StartJob(const std::string& id, const proto::JobSpec& spec, JobPlan plan, bool resumed,
                   const std::vector<proto::TaskCommitted>& committed);
  void JobEnded(const std::string& job_id);
  // The status of a job, running or ended; false if it is unknown.
  bool FindStatus(const std::string& id, bool with_tasks, proto::JobStatus* status) const;
  // JobLog.
  void TaskCommitted(const std::string& job_id, const proto::TaskResult& result) override;
  // DataService::Catalog.
  absl::StatusOr<const proto::InputSplit*> SplitFor(const PeerId& peer,
                                                    const proto::TaskAttempt& attempt) override;
  absl::StatusOr<std::string> PartFileOf(const PeerId& peer,
                                         const proto::TaskAttempt& attempt) override;
  void MaybeCompactJournal();
  // The number in a job id of this cluster (0 if it is not one).
  uint64_t JobNumber(const std::string& id) const;
  // The records a compacted journal keeps of the jobs that have ended.
  std::vector<proto::JournalRecord> EndedRecords() const;
  void SendEvent(const PeerId& peer, const JobRun& job, bool final);
  void PublishEvents();
  std::string KnownJobs() const;
  // OK if `peer` may submit `spec` now; RESOURCE_EXHAUSTED naming the limit otherwise.
  absl::Status WithinSubmitLimits(const PeerId& peer, const proto::JobSpec& spec) const;
  // Who a client is, for its limits: its key, or without keys its connection.
  std::string ClientOf(const PeerId& peer) const;
  // Where a submit with a submission id is remembered: its owner's key and the id ("" for a
  // submit without one).
  static std::string SubmissionKey(const proto::JobSpec& spec);
  void RememberSubmission(const proto::JobSpec& spec, const std::string& job_id);
  void ReplyAccepted(const PeerId& peer, uint64_t request, const std::string& job_id,
                     const std::vector<std::string>& warnings);

  ReactorTime& time_;
  const JobRegistry& registry_;
  CoordinatorOptions options_;
  Env& env_;
  InlineBlockingCalls inline_calls_;
  BlockingCalls& blocking_calls_;
  Hub hub_;
  Scheduler scheduler_;
  DataService data_;
  absl::flat_hash_map<PeerId, PeerKind> peers_;
  uint64_t next_job_number_ = 1;
  std::string job_prefix_;
  std::map<std::string, std::unique_ptr<JobRun>> jobs_;
  // Jobs that ended before a restart: their final status, as journaled.
  absl::flat_hash_map<std::string, proto::JobStatus> ended_before_;
  // Ended jobs, oldest first (at most kKeptEndedJobs).
  std::deque<std::string> ended_;
  std::unique_ptr<JobStore> store_;
  bool recovering_ = false;  // Recover is starting the resumed jobs
  // Output directories of failed jobs being removed (off the loop), and their jobs.
  absl::flat_hash_map<std::string, std::string> removing_outputs_;
  Liveness liveness_;
  // Submits being planned, per client (its key, or its peer id without keys).
  absl::flat_hash_map<std::string, size_t> planning_;
  // Submits with a submission id: the job each created (while the job is remembered), and the
  // ones being planned with the requests that wait for them (a retry while the first plans).
  absl::flat_hash_map<std::string, std::string> submissions_;
  absl::flat_hash_map<std::string, std::string> submission_of_job_;
  absl::flat_hash_map<std::string, std::vector<std::pair<PeerId, uint64_t>>> submitting_;
  // Watching clients per job, and the job version each last heard of.
  absl::flat_hash_map<std::string, absl::flat_hash_map<PeerId, uint64_t>> watchers_;
  LoopingCall events_;
  JobMetrics job_metrics_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_COORDINATOR_H_
