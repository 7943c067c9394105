// Worker: a worker process's logic — Braid's TaskTracker.
//
// It introduces itself to the coordinator (its name, slots and jobs), keeps the connection
// alive, takes assignments (batched) into a queue, runs up to `slots` tasks at once on its
// TaskExecutor, and reports results in batches. It tells the coordinator what it runs with every
// heartbeat. When the coordinator is lost, everything in flight is dropped (the coordinator will
// have rescheduled it) and the worker reconnects as a new peer. Drain finishes what runs, hands
// the queued tasks back, and says goodbye.
//
// The logic touches no socket and no wall clock: it runs on a ReactorTime with a ClientTransport
// and a TaskExecutor, so tests run it on the fake clock and the in-memory network.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_WORKER_WORKER_H_
#define BRAID_WORKER_WORKER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "base/metrics.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/link.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"
#include "reactor/blocking_calls.h"
#include "reactor/looping_call.h"
#include "worker/fleet_keys.h"
#include "worker/map_output_fetcher.h"
#include "worker/map_output_server.h"
#include "worker/part_file_sender.h"
#include "worker/task_executor.h"

namespace braid {

struct WorkerOptions {
  // Shown in status and logs; "host:pid" if empty.
  std::string name;
  // Tasks run at once; 0 means the number of cores.
  uint32_t slots = 0;
  // Where map outputs go (announced to the coordinator).
  std::string scratch_dir;
  // The jobs this worker runs (advertised in its hello).
  std::vector<std::string> job_kinds;
  LinkOptions link;
  // Removes what the worker keeps in scratch_dir; null for Env::Default(). Must outlive the
  // worker.
  Env* env = nullptr;
  // Where an ended job's scratch data is removed, off the loop (a job of many tasks leaves many
  // files); null: on the loop. Must outlive the worker.
  BlockingCalls* blocking_calls = nullptr;
  // The data plane (both null: map outputs are read by path, from a filesystem the workers
  // share). `data_server` serves this worker's map outputs to other workers' reducers, and its
  // endpoint goes in the hello; `fetcher` copies the outputs other workers hold before a reduce
  // runs. Must outlive the worker.
  MapOutputServer* data_server = nullptr;
  MapOutputFetcher* fetcher = nullptr;
  // A fleet without a shared filesystem: with `fetcher`, a map task whose input this worker's
  // filesystem does not hold (as planned: job/file_identity.h) reads a copy fetched from the
  // coordinator; with `part_sender`, a task that writes a part file into an output directory
  // this worker does not see (job/output_layout.h's token) writes it locally and sends it to
  // the coordinator. Null: inputs and outputs are read and written by path. Must outlive the
  // worker.
  PartFileSender* part_sender = nullptr;
  // How long a draining worker goes on serving the map outputs it holds once it runs nothing
  // (their jobs' ends usually come first; this bounds a drain whose coordinator forgot them).
  absl::Duration drain_serving_limit = absl::Minutes(10);
  // With keys: the fleet's worker keys, kept as the coordinator says (Welcome, FleetKeys), for
  // the data endpoint's admission check. Must outlive the worker.
  FleetKeys* fleet = nullptr;
};

// "host:pid": the name a worker goes by unless it is given one.
std::string DefaultWorkerName();

class Worker {
 public:
  Worker(ReactorTime& time, std::unique_ptr<ClientTransport> transport, TaskExecutor& executor,
         WorkerOptions options);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  // Connects; fires with the first Welcome (failing if the coordinator refused this worker, or
  // did not answer — it then keeps trying).
  Deferred<proto::Welcome> Start();

  // Finishes the running tasks, hands the queued ones back, goes on serving the map outputs it
  // holds until their jobs have ended (with a data server; at most drain_serving_limit), says
  // goodbye; fires when done (at once if it is done already). May be called any number of times.
  Deferred<void> Drain(absl::string_view reason);

  // Told when the coordinator closes this worker's link for good (its key is no longer
  // authorized), with the coordinator's reason. The worker then runs nothing more.
  void SetOnClosed(absl::AnyInvocable<void(absl::Status)> on_closed) {
    on_closed_ = std::move(on_closed);
  }

  // Asks every running attempt to stop now; their results are discarded (a streaming command is
  // killed with its process group). For a worker that stops without draining.
  void CancelRunning();

  const std::string& name() const { return options_.name; }
  uint32_t slots() const { return options_.slots; }
  // Tasks started (running, or waiting their turn in a batch that runs).
  size_t running() const { return running_.size(); }
  size_t queued() const { return queued_.size(); }
  bool draining() const { return draining_; }
  const Link& link() const { return *link_; }

  // What this worker's task attempts came to, for its /metrics.
  struct TaskMetrics {
    // Kinds: 0 map, 1 reduce. Outcomes: 0 succeeded, 1 failed, 2 discarded (the coordinator
    // no longer wanted the result: cancelled, or the connection was lost).
    static constexpr int kOutcomes = 3;
    static absl::string_view KindName(int kind);
    static absl::string_view OutcomeName(int outcome);
    std::array<std::array<uint64_t, kOutcomes>, 2> ended{};
    // Each attempt's run time, in seconds, by kind.
    std::array<Histogram, 2> seconds{Histogram(Histogram::ExponentialBounds(0.001, 4, 11)),
                                     Histogram(Histogram::ExponentialBounds(0.001, 4, 11))};
  };
  const TaskMetrics& task_metrics() const { return task_metrics_; }

 private:
  Env& env() const { return options_.env != nullptr ? *options_.env : *Env::Default(); }
  struct Running {
    proto::TaskAttempt attempt;
    std::shared_ptr<std::atomic<bool>> cancelled;
    bool discard = false;  // cancelled by the coordinator, or from a lost connection
    // While the attempt's inputs are being copied, or its part file sent: stops that.
    std::function<void()> stop_copying;
  };
  // Marks an attempt cancelled, and stops the copying of its inputs if it is at that.
  void Cancel(Running& running);

  proto::Envelope Hello() const;
  void OnMessage(proto::Envelope& message);
  void OnAssign(proto::AssignTasks& assign);
  void OnCancel(const proto::CancelTasks& cancel);
  void OnLost(const absl::Status& why);
  void StartTasks();
  // The next batch to run from the front of the queue: one task, or for a job whose tasks take
  // under a millisecond, the queued tasks of that job up to a fair share of them.
  std::vector<TaskToRun> TakeBatch(const std::string& job_id);
  void OnBatchDone(std::vector<std::string> keys, Result<std::vector<proto::TaskResult>> results);
  // Whether `task` is a reduce some of whose inputs another worker holds (and serves).
  bool NeedsFetch(const proto::TaskAssignment& task) const;
  // Whether `task` is a map whose input may have to be fetched from the coordinator.
  bool MayFetchSplit(const proto::TaskAssignment& task) const;
  // Whether `task` writes a part file that may have to be sent to the coordinator.
  bool MaySendPartFile(const proto::JobDefinition& job, const proto::TaskAssignment& task) const;
  // Copies the remote inputs of the batch's tasks to this worker's disk (map outputs other
  // workers hold, splits of files this worker does not have), runs the batch, and sends the
  // part files of an output directory this worker does not see: fires with a result per task,
  // in the batch's order (a reduce whose inputs are lost fails with them listed, without
  // running).
  Deferred<std::vector<proto::TaskResult>> FetchThenRun(
      std::shared_ptr<const proto::JobDefinition> job, std::vector<TaskToRun> batch);
  void OnTaskDone(const std::string& key, Result<proto::TaskResult> result);
  void Report(proto::TaskResult result);
  void Flush();
  void HandBack(const proto::TaskAssignment& task, absl::string_view why);
  void SendHeartbeat();
  void MaybeFinishDrain();
  // Removes SCRATCH/JOB, what the worker kept of job `job`.
  void RemoveJobData(const std::string& job);
  // Removes the scratch data of every job the coordinator's welcome does not list as running
  // (their ends were missed while the worker was away, or before it restarted).
  void RemoveEndedJobsData(const proto::Welcome& welcome);

  ReactorTime& time_;
  TaskExecutor& executor_;
  WorkerOptions options_;
  std::unique_ptr<Link> link_;
  struct Job {
    std::shared_ptr<const proto::JobDefinition> definition;
    double runtime_ms = -1;  // moving average of its tasks' run times (-1: none yet)
    // Whether this worker sees the job's output directory (its token), once looked at.
    std::optional<bool> sees_output;
  };
  absl::flat_hash_map<std::string, Job> jobs_;
  std::deque<proto::TaskAssignment> queued_;
  uint32_t busy_slots_ = 0;  // batches running
  absl::flat_hash_map<std::string, Running> running_;
  std::vector<proto::TaskResult> results_;
  bool flush_scheduled_ = false;
  bool draining_ = false;
  bool drained_ = false;
  bool serving_for_drain_ = false;  // the drain waits for the outputs' jobs to end
  bool drain_serving_over_ = false;
  DelayedCall drain_serving_;
  std::vector<Deferred<void>> drain_waiters_;
  std::optional<LoopingCall> heartbeat_;
  // Lets callbacks that outlive this Worker (a task finishing late) find out.
  absl::AnyInvocable<void(absl::Status)> on_closed_;
  TaskMetrics task_metrics_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_WORKER_WORKER_H_
