#include "coordinator/output_committer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "job/output_layout.h"

namespace braid {

absl::Status OutputCommitter::Prepare(bool overwrite, bool resumed, absl::string_view token) const {
  if (output_.empty()) return absl::OkStatus();
  if (overwrite && !resumed) {
    absl::Status removed = env_.RemoveAll(output_);
    if (!removed.ok()) return removed;
  }
  absl::Status made = env_.CreateDirs(TemporaryOutputDir(output_));
  if (!made.ok() || token.empty()) return made;
  return env_.WriteStringToFile(OutputTokenPath(output_), token);
}

absl::Status OutputCommitter::CommitTask(
    const proto::TaskAttempt& attempt,
    const google::protobuf::RepeatedPtrField<proto::MapOutput>& outputs) {
  if (output_.empty()) return absl::OkStatus();
  const std::string written = AttemptOutputPath(output_, attempt, extension_);
  for (const proto::MapOutput& output : outputs) {
    if (output.path() != written) {
      return absl::InvalidArgumentError(absl::StrCat("attempt output '", output.path(),
                                                     "' is not where the attempt writes ('",
                                                     written, "'): not committed"));
    }
  }
  const std::string committed =
      CommittedOutputPath(output_, attempt.kind(), attempt.task(), extension_);
  for (const proto::MapOutput& output : outputs) {
    absl::Status renamed = env_.RenameFile(output.path(), committed);
    if (!renamed.ok()) return renamed;
  }
  return absl::OkStatus();
}

absl::Status OutputCommitter::WriteBagOutput(
    const std::vector<const std::vector<std::string>*>& lines_by_task) {
  if (output_.empty()) return absl::OkStatus();
  std::string data;
  for (const std::vector<std::string>* lines : lines_by_task) {
    if (lines == nullptr) continue;
    for (const std::string& line : *lines) absl::StrAppend(&data, line, "\n");
  }
  return env_.WriteStringToFile(CommittedOutputPath(output_, proto::TASK_KIND_MAP, 0), data);
}

absl::Status OutputCommitter::CommitJob(absl::string_view job_id) {
  if (output_.empty()) return absl::OkStatus();
  // Every part is in place: a _temporary left behind (what the losing attempts wrote) is untidy,
  // not a reason to fail the job and remove its output.
  if (absl::Status removed = env_.RemoveAll(TemporaryOutputDir(output_)); !removed.ok()) {
    LOG(WARNING) << "output " << output_ << ": " << removed;
  }
  return env_.WriteStringToFile(SuccessMarkerPath(output_), SuccessMarkerContents(job_id));
}

bool OutputCommitter::CommittedBy(absl::string_view job_id) const {
  if (output_.empty()) return false;
  absl::StatusOr<std::string> marker = env_.ReadFile(SuccessMarkerPath(output_));
  return marker.ok() && *marker == SuccessMarkerContents(job_id);
}

std::optional<std::string> OutputCommitter::CommittedJob() const {
  if (output_.empty()) return std::nullopt;
  absl::StatusOr<std::string> marker = env_.ReadFile(SuccessMarkerPath(output_));
  if (!marker.ok()) return std::nullopt;
  const std::string kJob = "\"job\": \"";
  const size_t start = marker->find(kJob);
  if (start == std::string::npos) return std::string();
  const size_t end = marker->find('"', start + kJob.size());
  if (end == std::string::npos) return std::string();
  const std::string job = marker->substr(start + kJob.size(), end - start - kJob.size());
  return *marker == SuccessMarkerContents(job) ? job : std::string();
}

absl::Status OutputCommitter::Abort() const {
  if (output_.empty()) return absl::OkStatus();
  return env_.RemoveAll(output_);
}

}  // namespace braid
