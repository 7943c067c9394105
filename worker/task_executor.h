// TaskExecutor: where a worker's tasks run — the seam between the worker's logic, which lives on
// the loop, and the blocking work of a task.
//
// In production the work runs on the reactor's thread pool (ThreadTaskExecutor), so heartbeats
// and messages keep flowing while a task reads gigabytes; in tests and simulations it can run
// inline or under a test's control.

#ifndef BRAID_WORKER_TASK_EXECUTOR_H_
#define BRAID_WORKER_TASK_EXECUTOR_H_

#include <atomic>
#include <memory>

#include "deferred/deferred.h"
#include "proto/braid.pb.h"
#include "reactor/reactor.h"
#include "worker/run_task.h"

namespace braid {

class TaskExecutor {
 public:
  virtual ~TaskExecutor() = default;

  // Runs `task` of `job` and fires with its result (whatever happened, as a TaskResult: this
  // Deferred fails only if the task could not be run at all). Setting `*cancelled` asks the task
  // to stop early.
  virtual Deferred<proto::TaskResult> Run(std::shared_ptr<const proto::JobDefinition> job,
                                          proto::TaskAssignment task,
                                          std::shared_ptr<std::atomic<bool>> cancelled) = 0;
};

// Runs tasks with RunTask on the reactor's thread pool (DeferToThread).
class ThreadTaskExecutor final : public TaskExecutor {
 public:
  // `environment.cancelled` is ignored (each task gets its own flag).
  ThreadTaskExecutor(Reactor& reactor, TaskEnvironment environment)
      : reactor_(reactor), environment_(std::move(environment)) {}

  Deferred<proto::TaskResult> Run(std::shared_ptr<const proto::JobDefinition> job,
                                  proto::TaskAssignment task,
                                  std::shared_ptr<std::atomic<bool>> cancelled) override {
    return reactor_.DeferToThread([environment = environment_, job = std::move(job),
                                   task = std::move(task),
                                   cancelled = std::move(cancelled)]() mutable {
      environment.cancelled = cancelled.get();
      return RunTask(*job, task, environment);
    });
  }

 private:
  Reactor& reactor_;
  TaskEnvironment environment_;
};

// Runs tasks with RunTask at once, on the calling thread (tests and in-process simulations).
class InlineTaskExecutor final : public TaskExecutor {
 public:
  explicit InlineTaskExecutor(TaskEnvironment environment) : environment_(std::move(environment)) {}

  Deferred<proto::TaskResult> Run(std::shared_ptr<const proto::JobDefinition> job,
                                  proto::TaskAssignment task,
                                  std::shared_ptr<std::atomic<bool>> cancelled) override {
    TaskEnvironment environment = environment_;
    environment.cancelled = cancelled.get();
    return Succeed(RunTask(*job, task, environment));
  }

 private:
  TaskEnvironment environment_;
};

}  // namespace braid

#endif  // BRAID_WORKER_TASK_EXECUTOR_H_
