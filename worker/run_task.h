// RunTask: one attempt of one map or reduce task, start to finish, on the calling thread — the
// blocking work a worker hands to its thread pool.
//
// A map attempt reads its split, runs the job's mapper on each line, and leaves one sorted (and
// combined) run per partition under the worker's scratch directory — or, for a map-only job, its
// part file under the output's _temporary directory; for a task-bag job, its output lines in the
// result. A reduce attempt merges every map's run of its partition, runs the reducer per key, and
// writes its part file under the output's _temporary directory. The coordinator commits what it
// accepts. Everything the attempt did is in the returned TaskResult: its outcome (code and
// message), counters, output locations with sizes and checksums, and run time.

#ifndef BRAID_WORKER_RUN_TASK_H_
#define BRAID_WORKER_RUN_TASK_H_

#include <atomic>
#include <cstddef>
#include <string>

#include "base/env.h"
#include "job/registry.h"
#include "proto/attempt_name.h"
#include "proto/braid.pb.h"
#include "worker/fault_injection.h"

namespace braid {

struct TaskEnvironment {
  // The worker's name, recorded in the map outputs it writes.
  std::string worker_name;
  // Where map outputs go: SCRATCH/JOB_ID/map-TASK.ATTEMPT/.
  std::string scratch_dir;
  // A map task's in-memory output before it spills.
  size_t map_buffer_bytes = size_t{128} << 20;
  // The jobs this worker has. Not owned.
  const JobRegistry* registry = nullptr;
  // Set (by another thread) to stop the attempt early: it then fails with kCancelled. May be
  // null.
  const std::atomic<bool>* cancelled = nullptr;
  // Faults to inflict (tests only). May be null.
  FaultInjection* faults = nullptr;
  // The clock an attempt's run time (TaskResult.runtime_ms, which drives scheduling and
  // speculation) is measured on; null for Env::Default(). Not owned. (A task's files — its split,
  // runs and part file — are on the machine's filesystem, Env::Default().)
  Env* env = nullptr;
};

proto::TaskResult RunTask(const proto::JobDefinition& job, const proto::TaskAssignment& task,
                          const TaskEnvironment& environment);

// Where a map attempt keeps its sorted runs, in the worker's scratch directory. (What an attempt
// writes to the job's output follows job/output_layout.h.)
std::string MapRunDirectory(const std::string& scratch_dir, const proto::TaskAttempt& attempt);

}  // namespace braid

#endif  // BRAID_WORKER_RUN_TASK_H_
