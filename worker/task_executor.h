// TaskExecutor: where a worker's tasks run — the seam between the worker's logic, which lives on
// the loop, and the blocking work of a task.
//
// In production the work runs on the reactor's thread pool (ThreadTaskExecutor), so heartbeats
// and messages keep flowing while a task reads gigabytes; in tests and simulations it can run
// inline or under a test's control. Tasks come in batches of one job, run one after the other:
// a worker hands tiny tasks over many at a time, so that a thread hop is not paid per task.

#ifndef BRAID_WORKER_TASK_EXECUTOR_H_
#define BRAID_WORKER_TASK_EXECUTOR_H_

#include <atomic>
#include <memory>
#include <vector>

#include "deferred/deferred.h"
#include "proto/braid.pb.h"
#include "reactor/reactor.h"
#include "worker/run_task.h"

namespace braid {

// A task of a batch, and the flag that asks it to stop early.
struct TaskToRun {
  proto::TaskAssignment task;
  std::shared_ptr<std::atomic<bool>> cancelled;
};

// Runs each task of `batch` with RunTask, in order, and returns their results in the same order.
std::vector<proto::TaskResult> RunBatch(const proto::JobDefinition& job,
                                        const std::vector<TaskToRun>& batch,
                                        TaskEnvironment environment);

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;

  // Runs the tasks of `batch` (all of job `job`) one after the other, and fires with their
  // results in the same order (whatever happened to each: this Deferred fails only if the batch
  // could not be run at all).
  virtual Deferred<std::vector<proto::TaskResult>> Run(
      std::shared_ptr<const proto::JobDefinition> job, std::vector<TaskToRun> batch) = 0;
};

// Runs batches on the reactor's thread pool (DeferToThread).
class ThreadTaskExecutor final : public TaskExecutor {
 public:
  // `environment.cancelled` is ignored (each task has its own flag).
  ThreadTaskExecutor(Reactor& reactor, TaskEnvironment environment)
      : reactor_(reactor), environment_(std::move(environment)) {}

  Deferred<std::vector<proto::TaskResult>> Run(std::shared_ptr<const proto::JobDefinition> job,
                                               std::vector<TaskToRun> batch) override {
    return reactor_.DeferToThread(
        [environment = environment_, job = std::move(job), batch = std::move(batch)] {
          return RunBatch(*job, batch, environment);
        });
  }

 private:
  Reactor& reactor_;
  TaskEnvironment environment_;
};

// Runs batches at once, on the calling thread (tests and in-process simulations).
class InlineTaskExecutor final : public TaskExecutor {
 public:
  explicit InlineTaskExecutor(TaskEnvironment environment) : environment_(std::move(environment)) {}

  Deferred<std::vector<proto::TaskResult>> Run(std::shared_ptr<const proto::JobDefinition> job,
                                               std::vector<TaskToRun> batch) override {
    return Succeed(RunBatch(*job, batch, environment_));
  }

 private:
  TaskEnvironment environment_;
};

}  // namespace braid

#endif  // BRAID_WORKER_TASK_EXECUTOR_H_
