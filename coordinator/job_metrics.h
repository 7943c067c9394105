// JobMetrics: what the coordinator counts of jobs and committed tasks as they go — the figures
// behind its /metrics on jobs, tasks and bytes (the attempts' are the scheduler's AttemptMetrics).

#ifndef BRAID_COORDINATOR_JOB_METRICS_H_
#define BRAID_COORDINATOR_JOB_METRICS_H_

#include <array>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "base/metrics.h"
#include "proto/braid.pb.h"

namespace braid {

struct JobMetrics {
  JobMetrics();

  // Adds task `result`, just committed: its kind, run time and bytes.
  void Committed(const proto::TaskResult& result);

  uint64_t jobs_accepted = 0;
  // Jobs that ended since the coordinator started, by final state.
  absl::flat_hash_map<proto::JobState, uint64_t> jobs_ended;
  // Index 0 for maps, 1 for reduces: tasks committed, and the run time of each one's attempt.
  std::array<uint64_t, 2> tasks_committed{};
  std::array<Histogram, 2> task_seconds;
  // Of committed tasks (Hadoop's FileSystemCounter BYTES_READ and BYTES_WRITTEN).
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOB_METRICS_H_
