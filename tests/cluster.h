// An in-process Braid cluster for tests: a coordinator, workers and a client on the in-memory
// network and the fake clock, with tasks run inline. Deterministic and fast; the same coordinator
// and worker logic as the real processes.

#ifndef BRAID_TESTS_CLUSTER_H_
#define BRAID_TESTS_CLUSTER_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/env.h"
#include "coordinator/coordinator.h"
#include "deferred/testing.h"
#include "job/registry.h"
#include "messaging/memory_transport.h"
#include "reactor/fake_clock.h"
#include "tests/temp_files.h"
#include "tools/client.h"
#include "worker/task_executor.h"
#include "worker/worker.h"

namespace braid::testing {

// Runs tasks only when the test says so: a worker's tasks stay "running" until RunNext.
class ManualTaskExecutor final : public TaskExecutor {
 public:
  explicit ManualTaskExecutor(TaskEnvironment environment) : environment_(std::move(environment)) {}

  Deferred<std::vector<proto::TaskResult>> Run(std::shared_ptr<const proto::JobDefinition> job,
                                               std::vector<TaskToRun> batch) override;

  // Batches waiting to run.
  size_t pending() const { return pending_.size(); }
  // Tasks in the oldest pending batch. REQUIRES: pending() > 0.
  size_t next_batch_size() const { return pending_.front().batch.size(); }
  // The oldest pending batch's tasks, as the worker handed them over. REQUIRES: pending() > 0.
  const std::vector<TaskToRun>& next_batch() const { return pending_.front().batch; }
  // Runs the oldest pending batch to its end and fires its Deferred.
  void RunNext();

 private:
  struct Pending {
    std::shared_ptr<const proto::JobDefinition> job;
    std::vector<TaskToRun> batch;
    Deferred<std::vector<proto::TaskResult>> done;
  };
  TaskEnvironment environment_;
  std::deque<Pending> pending_;
};

class Cluster {
 public:
  struct Options {
    int workers = 2;
    uint32_t slots = 2;
    // Job kinds the workers advertise (default: every registered job).
    std::vector<std::string> worker_jobs;
    // Tasks run when the test calls executor(i).RunNext(), not at once.
    bool manual_tasks = false;
    // The clock attempts' run times are measured on (null: the machine's), for tests that
    // depend on how quick tasks look to the scheduler.
    Env* task_clock = nullptr;
    // The coordinator's journal (empty: none).
    std::string state_dir;
    // The coordinator's Env (null: the machine's). A FakeEnv suits jobs that read and write no
    // files of their own (the workers write on the machine's).
    Env* coordinator_env = nullptr;
    // Where the coordinator's slow filesystem calls run (null: inline).
    BlockingCalls* coordinator_blocking_calls = nullptr;
    // Workers (by index) whose every attempt fails.
    std::vector<int> failing_workers;
    // The coordinator's authorized keys (null: none, every peer may do everything), and the
    // keys the workers and the client connect with (the in-memory network's stand-in for CURVE).
    AccessControl* access = nullptr;
    std::string worker_key;
    std::string client_key;
    ClientLimits limits;
    // Each worker serves its map outputs on a data endpoint of its own, and reducers copy the
    // outputs other workers hold (rather than read them by path); a worker fetches the input it
    // does not hold from the coordinator and sends it the part files of an output directory it
    // does not see (give the coordinator a FakeEnv of its own for a fleet that shares no files).
    bool data_plane = false;
    // Where the data plane's reads and writes run (null: inline).
    BlockingCalls* data_plane_calls = nullptr;
  };

  explicit Cluster(Options options);
  Cluster() : Cluster(Options()) {}
  ~Cluster();

  FakeClock& clock() { return clock_; }
  MemoryNetwork& network() { return network_; }
  Coordinator& coordinator() { return *coordinator_; }
  Client& client() { return *client_; }
  Worker& worker(int i) { return *workers_[i]; }
  // REQUIRES: Options::data_plane.
  MapOutputServer& data_server(int i) { return *data_servers_[i]; }
  // The fleet's keys as worker `i` last heard them (REQUIRES: Options::access).
  const FleetKeys& fleet(int i) const { return *fleets_[i]; }
  MapOutputFetcher& fetcher(int i) { return *fetchers_[i]; }
  PartFileSender& part_sender(int i) { return *part_senders_[i]; }
  // REQUIRES: Options::manual_tasks.
  ManualTaskExecutor& executor(int i) { return static_cast<ManualTaskExecutor&>(*executors_[i]); }
  const std::string& scratch() const { return scratch_.path(); }

  // Destroys the coordinator (as when its process stops).
  void StopCoordinator() { coordinator_.reset(); }
  // Stops the coordinator and starts a new one on the same state directory; workers and the
  // client find it by themselves.
  absl::Status RestartCoordinator();

  // Destroys worker `i` (as when its process dies: its data endpoint goes with it); the
  // coordinator finds it lost after the heartbeats. Its executor stays (do not run its batches).
  void StopWorker(int i);

  // Adds a worker advertising `jobs`, connecting with `key` (default: Options::worker_key).
  // Its Start has been awaited: coordinator().workers() tells whether it was welcomed.
  Worker& AddWorker(std::vector<std::string> jobs, std::optional<std::string> key = std::nullopt);

  // Moves fake time in small steps until `d` has a result (at most `limit` of fake time).
  template <typename T>
  Result<T> Await(const Deferred<T>& d, absl::Duration limit = absl::Hours(1)) {
    for (absl::Duration passed; passed < limit && !HasResult(d); passed += kStep) {
      clock_.Advance(kStep);
    }
    std::optional<Result<T>> result = ResultNow(d);
    if (!result.has_value()) return absl::DeadlineExceededError("no result in time");
    return *std::move(result);
  }

  // Moves fake time on by `d`, in small steps.
  void Pass(absl::Duration d) {
    for (absl::Duration passed; passed < d; passed += kStep) clock_.Advance(kStep);
  }

  // Submits `spec` and waits for the job's end: its final status, or the refusal.
  absl::StatusOr<proto::JobStatus> Run(proto::JobSpec spec);

 private:
  static constexpr absl::Duration kStep = absl::Milliseconds(10);

  FakeClock clock_;
  MemoryNetwork network_{clock_};
  TempDir scratch_;
  std::unique_ptr<Coordinator> coordinator_;
  std::vector<std::unique_ptr<TaskExecutor>> executors_;
  std::vector<std::unique_ptr<FaultInjection>> faults_;
  std::vector<std::unique_ptr<FleetKeys>> fleets_;
  std::vector<std::unique_ptr<MapOutputServer>> data_servers_;
  std::vector<std::unique_ptr<MapOutputFetcher>> fetchers_;
  std::vector<std::unique_ptr<PartFileSender>> part_senders_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Client> client_;
  InlineBlockingCalls blocking_calls_;
  Options options_;
};

}  // namespace braid::testing

#endif  // BRAID_TESTS_CLUSTER_H_
