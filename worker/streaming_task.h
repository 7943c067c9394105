// StreamingTask: one attempt of a streaming job's task (Hadoop Streaming) — its working
// directory with the job's shipped files, its commands' environment, and the Mapper and Reducers
// that run the commands, as a JobDefinition that RunTask's usual map and reduce code runs.
//
// Each command runs through StreamingProcess (worker/streaming_process.h) in the working
// directory, whose path is put first in PATH (so `--mapper mapper.py` finds a shipped script).
// What goes in and comes out (worker/streaming_protocol.h):
//   mapper    the split's lines on stdin; each stdout line is split at its first tab into key
//             and value — or, in a map-only job, goes to the output as it is;
//   combiner  one run per pass over a partition's sorted pairs (a spill, the final merge):
//             KEY<TAB>VALUE lines in key order on stdin; its stdout lines are pairs again, and
//             must keep the key order (a combiner that reorders keys fails the attempt);
//   reducer   its partition's pairs as KEY<TAB>VALUE lines, sorted, one key's lines together;
//             its stdout lines go to the part file as they are. Without a reducer command the
//             pairs are written as KEY<TAB>VALUE (KEY alone for an empty value).
// stderr's reporter lines add to the attempt's counters and set its status line; other stderr
// lines go to the worker's stderr, prefixed with the attempt's name, and their tail is kept for
// the error message.
//
// Environment: the worker's own, then Hadoop's task variables under their current and older
// names (mapreduce_task_id and mapred_tip_id, mapreduce_map_input_file and map_input_file, ...;
// docs/jobs.md lists them), the job's --set configuration with every character that is not a
// letter, digit or '_' made '_' (as Hadoop exports its configuration), then --cmdenv.
//
// Threading: the task's thread.

#ifndef BRAID_WORKER_STREAMING_TASK_H_
#define BRAID_WORKER_STREAMING_TASK_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "job/field_selection.h"
#include "job/job.h"
#include "job/streaming_fields.h"
#include "proto/braid.pb.h"
#include "worker/run_task.h"
#include "worker/streaming_process.h"

namespace braid {

class StreamingTask {
 public:
  // Makes the working directory (under SCRATCH/JOB_ID, or the system's temporary directory
  // without a scratch directory) and writes the job's shipped files into it with their modes.
  // `job`, `task` and `environment` must outlive the result.
  static absl::StatusOr<std::unique_ptr<StreamingTask>> Create(const proto::JobDefinition& job,
                                                               const proto::TaskAssignment& task,
                                                               const TaskEnvironment& environment);
  StreamingTask(const StreamingTask&) = delete;
  StreamingTask& operator=(const StreamingTask&) = delete;
  // Removes the working directory and everything in it.
  ~StreamingTask();

  // The job as RunTask runs it; lives as long as this object. Its mappers and reducers must be
  // destroyed before it.
  const JobDefinition& definition() const { return definition_; }

  // The last reporter:status message of the attempt's commands, or empty.
  const std::string& status() const { return status_; }

  const std::string& working_directory() const { return working_directory_; }
  // The commands' environment (NAME=VALUE entries).
  const std::vector<std::string>& environment() const { return process_options_.environment; }

  // Starts `command` in the working directory (for the Mapper and Reducers of definition()).
  absl::StatusOr<std::unique_ptr<StreamingProcess>> Start(const std::string& command,
                                                          StreamingProcess::Listener* listener);
  // Handles a stderr line of a command: true if it was a reporter line (then applied to
  // `context`'s counters or the status line).
  bool OnErrorLine(absl::string_view line, TaskContext* context);

 private:
  StreamingTask(const proto::JobDefinition& job, const proto::TaskAssignment& task,
                const TaskEnvironment& environment);
  absl::Status MakeWorkingDirectory();
  void MakeEnvironment();
  void MakeDefinition();

  const proto::JobDefinition& job_;
  const proto::TaskAssignment& task_;
  const TaskEnvironment& environment_;
  std::string attempt_name_;
  std::string working_directory_;
  StreamingProcess::Options process_options_;
  JobDefinition definition_;
  std::optional<StreamingFields> fields_;
  std::optional<FieldSelection> selection_;
  std::string status_;
};

}  // namespace braid

#endif  // BRAID_WORKER_STREAMING_TASK_H_
