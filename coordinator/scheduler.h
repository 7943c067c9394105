// Scheduler: the coordinator's view of its workers, and the assignment of task attempts to them.
//
// Attempts wait in one queue per job; whenever a worker has room, the scheduler takes attempts
// round-robin across the running jobs (so several jobs share the fleet fairly), skipping jobs
// the worker does not have, and sends them in one batched AssignTasks — with the definitions of
// jobs the worker has not seen. A worker has room while its outstanding attempts are fewer than
// its slots, or, for a job whose tasks take only milliseconds, 32 times its slots: tiny tasks
// then queue on the worker instead of each waiting a round trip.
//
// Each attempt is a Deferred that fires with the worker's result, fails with kUnavailable when
// the worker is lost, and can be cancelled (it leaves the queue, or the worker is told to stop
// it). Results are accepted only from the worker an attempt was given to, once.
//
// Threading: the coordinator's loop.

#ifndef BRAID_COORDINATOR_SCHEDULER_H_
#define BRAID_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "deferred/reactor_time.h"
#include "proto/braid.pb.h"
#include "proto/hub.h"

namespace braid {

class Scheduler {
 public:
  struct WorkerInfo {
    PeerId peer;
    std::string name;
    uint32_t slots = 1;
    absl::flat_hash_set<std::string> kinds;
    std::string build_version;
    uint64_t number = 0;
    uint32_t outstanding = 0;
    bool draining = false;
    absl::Time last_heard;
    absl::flat_hash_set<std::string> jobs_defined;
  };

  Scheduler(ReactorTime& time, Hub& hub) : time_(time), hub_(hub) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  // Queued and running attempts fail with kCancelled.
  ~Scheduler();

  void AddWorker(const PeerId& peer, const proto::WorkerHello& hello, uint64_t number);
  // Forgets a worker; its attempts fail with `why`.
  void RemoveWorker(const PeerId& peer, const absl::Status& why);
  void OnHeartbeat(const PeerId& peer, const proto::Heartbeat& heartbeat);
  void OnResults(const PeerId& peer, proto::TaskResults& results);

  // Queues `assignment` for a worker that has job `job->spec().job()`. See the top of the file.
  Deferred<proto::TaskResult> Dispatch(std::shared_ptr<const proto::JobDefinition> job,
                                       proto::TaskAssignment assignment);

  // Job `job_id` is over: its queued attempts fail with kCancelled, and the workers that have
  // its definition are told to drop it and its intermediate data.
  void FinishJob(const std::string& job_id);

  // Whether some connected worker (not draining) has job `kind`.
  bool HasWorkerFor(const std::string& kind) const;
  // The worker running attempt `attempt_name`, or empty.
  std::string WorkerOf(const std::string& attempt_name) const;
  const absl::flat_hash_map<PeerId, WorkerInfo>& workers() const { return workers_; }
  size_t queued(const std::string& job_id) const;

 private:
  struct Pending {
    std::shared_ptr<const proto::JobDefinition> job;
    proto::TaskAssignment assignment;
    Deferred<proto::TaskResult> result;
  };
  struct Running {
    PeerId peer;
    Deferred<proto::TaskResult> result;
    std::string job_id;
    proto::TaskAttempt attempt;
  };
  struct JobQueue {
    std::shared_ptr<const proto::JobDefinition> job;
    std::deque<std::string> order;  // attempt names; cancelled ones are skipped when reached
    size_t live = 0;                // entries of `order` still in pending_
    double runtime_ms = -1;         // moving average of attempt run times (-1: none yet)
  };

  // Schedules Assign for the end of this turn (once, however many changes ask for it).
  void AssignSoon();
  void Assign();
  // Takes the next live attempt of `queue`, or null.
  std::unique_ptr<Pending> PopPending(JobQueue& queue);
  uint32_t Capacity(const WorkerInfo& worker, const JobQueue& queue) const;
  void Cancel(const std::string& key);

  ReactorTime& time_;
  Hub& hub_;
  absl::flat_hash_map<PeerId, WorkerInfo> workers_;
  absl::flat_hash_map<std::string, JobQueue> queues_;  // by job id
  std::vector<std::string> job_order_;                 // round-robin order of queues_
  size_t next_job_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Pending>> pending_;  // by attempt name
  absl::flat_hash_map<std::string, Running> running_;                   // by attempt name
  bool assign_scheduled_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_SCHEDULER_H_
