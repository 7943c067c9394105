// Coordinator: the coordinator process's logic — Braid's JobTracker.
//
// It welcomes workers and clients (through a Hub), validates and plans submitted jobs — refusing
// bad ones with a message that names the problem — and runs each accepted job as a JobRun, several
// at once, sharing the workers through one Scheduler. It answers status requests, streams
// progress events to clients that watch a job, and cancels jobs on request. A lost worker's
// attempts are rescheduled.
//
// The logic touches no socket and no wall clock: it runs on a ReactorTime with a
// ServerTransport, so tests run a whole cluster on the fake clock and the in-memory network.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_COORDINATOR_COORDINATOR_H_
#define BRAID_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "coordinator/job_run.h"
#include "coordinator/scheduler.h"
#include "deferred/reactor_time.h"
#include "job/registry.h"
#include "proto/hub.h"
#include "proto/transport.h"
#include "reactor/looping_call.h"

namespace braid {

struct CoordinatorOptions {
  // Shown to peers in Welcome.
  std::string name = "coordinator";
  HubOptions hub;
  // How often watching clients hear of a job's progress (its end, at once).
  absl::Duration event_interval = absl::Milliseconds(200);
};

class Coordinator {
 public:
  // `registry` (the jobs this binary knows) must outlive the coordinator.
  Coordinator(ReactorTime& time, std::unique_ptr<ServerTransport> transport,
              const JobRegistry& registry, CoordinatorOptions options = {});
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;
  ~Coordinator();

  std::string endpoint() const { return hub_.endpoint(); }
  // The job `id`, or null.
  const JobRun* job(const std::string& id) const;
  size_t workers() const { return scheduler_.workers().size(); }
  const Hub& hub() const { return hub_; }

 private:
  enum class PeerKind { kWorker, kClient };

  void OnMessage(const PeerId& peer, proto::Envelope& message);
  void OnPeerLost(const PeerId& peer, const absl::Status& why);
  void OnWorkerHello(const PeerId& peer, const proto::Envelope& message);
  void OnClientHello(const PeerId& peer, const proto::Envelope& message);
  void OnSubmit(const PeerId& peer, const proto::Envelope& message);
  void OnStatus(const PeerId& peer, const proto::Envelope& message);
  void OnWatch(const PeerId& peer, const proto::Envelope& message);
  void OnCancel(const PeerId& peer, const proto::Envelope& message);
  absl::Status Accept(const proto::JobSpec& spec, std::string* job_id);
  void JobEnded(const std::string& job_id);
  void SendEvent(const PeerId& peer, const JobRun& job, bool final);
  void PublishEvents();
  std::string KnownJobs() const;

  ReactorTime& time_;
  const JobRegistry& registry_;
  CoordinatorOptions options_;
  Hub hub_;
  Scheduler scheduler_;
  absl::flat_hash_map<PeerId, PeerKind> peers_;
  uint64_t next_worker_number_ = 1;
  uint64_t next_job_number_ = 1;
  std::string job_prefix_;
  std::map<std::string, std::unique_ptr<JobRun>> jobs_;
  // Watching clients per job, and the job version each last heard of.
  absl::flat_hash_map<std::string, absl::flat_hash_map<PeerId, uint64_t>> watchers_;
  LoopingCall events_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_COORDINATOR_H_
