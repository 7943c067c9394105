// OutputCommitter: Hadoop's output commit for one job, on the coordinator — the directory made
// before the first task, each accepted attempt's part file renamed into place, the success marker
// written last, and everything removed if the job fails. The layout is job/output_layout.h, the
// same rule the worker writes by. A job with no output directory commits nothing.
//
// The calls are the Env's blocking filesystem calls. Renames and small files are quick and are
// made on the coordinator's loop; Prepare and Abort, which may remove a large directory tree, are
// const and need only a copy of the committer, so that JobRun can run them on its BlockingCalls.

#ifndef BRAID_COORDINATOR_OUTPUT_COMMITTER_H_
#define BRAID_COORDINATOR_OUTPUT_COMMITTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "job/output_layout.h"
#include "proto/braid.pb.h"

namespace braid {

class OutputCommitter {
 public:
  // For the output directory `output` (empty: the job has none), on `env` (which must outlive
  // the committer), its part files named with `extension` (of compressed output). Errors are
  // the Env's.
  OutputCommitter(Env& env, std::string output, std::string extension = "")
      : env_(env), output_(std::move(output)), extension_(std::move(extension)) {}

  // Makes OUT and OUT/_temporary. With `overwrite`, what OUT held goes first — except for a job
  // resumed after a restart (`resumed`), which keeps what it committed before. A `token` is
  // written to OutputTokenPath (job/output_layout.h), for workers to see whether they see OUT.
  absl::Status Prepare(bool overwrite, bool resumed, absl::string_view token = "") const;

  // Where `attempt` writes its part file (job/output_layout.h's AttemptOutputPath).
  std::string AttemptPath(const proto::TaskAttempt& attempt) const {
    return AttemptOutputPath(output_, attempt, extension_);
  }

  // Commits the part files that `attempt` wrote (`outputs`, as the worker reported them) by
  // renaming each into place. kInvalidArgument for a path that is not where the layout says this
  // attempt writes (nothing is renamed then); the rename's error otherwise.
  absl::Status CommitTask(const proto::TaskAttempt& attempt,
                          const google::protobuf::RepeatedPtrField<proto::MapOutput>& outputs);

  // Writes a task-bag job's lines, in task order, as OUT/part-m-00000 (before CommitJob).
  absl::Status WriteBagOutput(const std::vector<const std::vector<std::string>*>& lines_by_task);

  // Removes OUT/_temporary (a failure to is logged, not returned) and writes OUT/_SUCCESS,
  // naming `job_id` (SuccessMarkerContents).
  absl::Status CommitJob(absl::string_view job_id);
  // Whether OUT/_SUCCESS is there and names `job_id`: the job committed its output (a resumed
  // job whose end did not reach the journal need not run again).
  bool CommittedBy(absl::string_view job_id) const;
  // The job OUT/_SUCCESS names: nullopt if there is no _SUCCESS, "" if it names no Braid job
  // (another tool's, or an older Braid's).
  std::optional<std::string> CommittedJob() const;

  // Removes OUT and everything in it: a failed job leaves nothing partial behind.
  absl::Status Abort() const;

  const std::string& output() const { return output_; }

 private:
  Env& env_;
  std::string output_;
  std::string extension_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_OUTPUT_COMMITTER_H_
