#include "worker/task_executor.h"

namespace braid {

std::vector<proto::TaskResult> RunBatch(const proto::JobDefinition& job,
                                        const std::vector<TaskToRun>& batch,
                                        TaskEnvironment environment) {
  std::vector<proto::TaskResult> results;
  results.reserve(batch.size());
  for (const TaskToRun& item : batch) {
    environment.cancelled = item.cancelled.get();
    results.push_back(RunTask(job, item.task, environment));
  }
  return results;
}

}  // namespace braid
