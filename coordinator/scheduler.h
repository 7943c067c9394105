// Scheduler: the coordinator's view of its workers, and the assignment of task attempts to them.
//
// Jobs register as AttemptSources. Whenever a worker has room, the scheduler takes attempts from
// the sources round-robin (so several jobs share the fleet fairly), skipping jobs the worker does
// not have, and sends them in one batched AssignTasks — with the definitions of jobs the worker
// has not seen. A source is asked for an attempt only when one can start at once, so a job's
// queued tasks cost the scheduler nothing.
//
// A worker has room while its outstanding attempts are fewer than its slots, or, for a job whose
// tasks take only milliseconds, enough of them to keep its slots busy for 20 ms (up to 1024 per
// slot): short tasks then queue on the worker instead of each waiting a round trip.
//
// Each attempt is a Deferred that fires with the worker's result, fails with kUnavailable when
// the worker is lost, and can be cancelled (the worker is told to stop it). Results are accepted
// only from the worker an attempt was given to, once.
//
// Threading: the coordinator's loop.

#ifndef BRAID_COORDINATOR_SCHEDULER_H_
#define BRAID_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "coordinator/attempt_metrics.h"
#include "coordinator/worker_directory.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/hub.h"
#include "proto/braid.pb.h"

namespace braid {

// A job's supply of attempts, as the scheduler sees it (JobRun is one).
class AttemptSource {
 public:
  virtual ~AttemptSource() = default;
  // The job as workers are given it, once each.
  virtual const std::shared_ptr<const proto::JobDefinition>& definition() const = 0;
  // Attempts that could start now.
  virtual size_t ready() const = 0;
  // Takes the next ready attempt that worker `worker` may run and describes it in `assignment`;
  // false if none of the ready attempts suits that worker.
  virtual bool TakeAttempt(WorkerId worker, proto::TaskAssignment& assignment) = 0;
  // The outcome of the attempt just taken: `result` fires with the worker's TaskResult, or fails
  // with kUnavailable if the worker is lost or cannot be reached. Cancelling it stops the attempt.
  virtual void AttemptStarted(const proto::TaskAttempt& attempt,
                              Deferred<proto::TaskResult> result) = 0;
  // Worker `worker`, which served the map outputs it held (they were on its disk alone), is
  // lost: what it held must be made again.
  virtual void HolderLost(const std::string& worker) { (void)worker; }
};

class Scheduler {
 public:
  struct WorkerInfo {
    PeerId peer;
    std::string name;
    std::string host;  // as its hello says
    uint32_t pid = 0;
    uint32_t slots = 1;
    absl::flat_hash_set<std::string> kinds;
    std::string build_version;
    bool reads_combined_splits = false;
    // Where it serves its map outputs (empty: reducers read them by path), and the key its
    // connection was authenticated with (the data endpoint's, which reducers verify).
    std::string data_endpoint;
    std::string key;
    WorkerId id = kNoWorker;
    uint32_t outstanding = 0;
    bool draining = false;
    absl::Time last_heard;
    absl::flat_hash_set<std::string> jobs_defined;
  };

  Scheduler(ReactorTime& time, Hub& hub) : time_(time), hub_(hub) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  // Running attempts fail with kCancelled.
  ~Scheduler();

  // A worker joined as `peer`; its id (from directory()). A connected worker of the same name
  // must have been removed first (PeerOf).
  WorkerId AddWorker(const PeerId& peer, const proto::WorkerHello& hello);
  // The peer of the connected worker named `name`, if there is one.
  std::optional<PeerId> PeerOf(absl::string_view name) const;
  // Forgets a worker; its attempts fail with kUnavailable naming `why`.
  void RemoveWorker(const PeerId& peer, const absl::Status& why);
  void OnHeartbeat(const PeerId& peer, const proto::Heartbeat& heartbeat);
  void OnResults(const PeerId& peer, proto::TaskResults& results);

  // Takes attempts from `source` (job `job_id`) from now on. `source` must outlive its removal.
  void AddSource(const std::string& job_id, AttemptSource* source);
  // Job `job_id` is over: no more attempts are taken from it, and the workers that have its
  // definition are told to drop it and its intermediate data.
  void RemoveSource(const std::string& job_id);
  // A source has new ready attempts: assigns at the end of this turn.
  void Wake();

  // Whether `attempt` was given to the worker at `peer` and has not ended.
  bool Runs(const PeerId& peer, const proto::TaskAttempt& attempt) const;

  // Whether some connected worker (not draining) has job `kind`.
  bool HasWorkerFor(const std::string& kind) const;
  const absl::flat_hash_map<PeerId, WorkerInfo>& workers() const { return workers_; }
  // Attempts started and ended so far, and how long they ran.
  const AttemptMetrics& metrics() const { return metrics_; }
  // Attempts given to workers that have not ended.
  size_t running() const { return running_.size(); }
  // Every worker that was ever connected, by id.
  WorkerDirectory& directory() { return directory_; }
  const WorkerDirectory& directory() const { return directory_; }

 private:
  // An attempt, as workers and results name it.
  struct AttemptKey {
    uint32_t source;  // the job's number in sources_
    uint32_t task;
    uint32_t attempt;
    bool reduce;
    bool operator==(const AttemptKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const AttemptKey& key) {
      return H::combine(std::move(h), key.source, key.task, key.attempt, key.reduce);
    }
  };
  struct Running {
    PeerId peer;
    Deferred<proto::TaskResult> result;
  };
  struct Source {
    std::string job_id;
    AttemptSource* source;
    double runtime_ms = -1;  // moving average of attempt run times (-1: none yet)
  };

  void Assign();
  // The source and key of `attempt`, or false if its job is gone.
  bool Find(const proto::TaskAttempt& attempt, Source** source, AttemptKey* key);
  uint32_t Capacity(const WorkerInfo& worker, const Source& source) const;
  void Cancel(const AttemptKey& key);

  ReactorTime& time_;
  Hub& hub_;
  WorkerDirectory directory_;
  absl::flat_hash_map<PeerId, WorkerInfo> workers_;
  absl::flat_hash_map<uint32_t, Source> sources_;       // by number
  absl::flat_hash_map<std::string, uint32_t> numbers_;  // job id -> source number
  std::vector<uint32_t> source_order_;                  // round-robin order of sources_
  size_t next_source_ = 0;
  uint32_t next_number_ = 1;
  absl::flat_hash_map<AttemptKey, Running> running_;
  bool assign_scheduled_ = false;
  AttemptMetrics metrics_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_SCHEDULER_H_
