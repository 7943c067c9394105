#include "coordinator/output_committer.h"

#include <stdio.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/file_error.h"
#include "job/output_layout.h"

namespace braid {

absl::Status OutputCommitter::Prepare(bool overwrite, bool resumed) {
  if (output_.empty()) return absl::OkStatus();
  std::error_code error;
  if (overwrite && !resumed) std::filesystem::remove_all(output_, error);
  std::filesystem::create_directories(TemporaryOutputDir(output_), error);
  if (error) {
    return absl::Status(
        ErrnoCode(error.value()),
        absl::StrCat("cannot create the output directory '", output_, "': ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status OutputCommitter::CommitTask(
    const proto::TaskAttempt& attempt,
    const google::protobuf::RepeatedPtrField<proto::MapOutput>& outputs) {
  if (output_.empty()) return absl::OkStatus();
  const std::string written = AttemptOutputPath(output_, attempt);
  for (const proto::MapOutput& output : outputs) {
    if (output.path() != written) {
      return absl::InvalidArgumentError(absl::StrCat("attempt output '", output.path(),
                                                     "' is not where the attempt writes ('",
                                                     written, "'): not committed"));
    }
  }
  const std::string committed = CommittedOutputPath(output_, attempt.kind(), attempt.task());
  for (const proto::MapOutput& output : outputs) {
    if (rename(output.path().c_str(), committed.c_str()) != 0) {
      return FileError(absl::StrCat("commit '", output.path(), "' as"), committed);
    }
  }
  return absl::OkStatus();
}

absl::Status OutputCommitter::WriteBagOutput(
    const std::vector<const std::vector<std::string>*>& lines_by_task) {
  if (output_.empty()) return absl::OkStatus();
  const std::string path = CommittedOutputPath(output_, proto::TASK_KIND_MAP, 0);
  std::ofstream out(path, std::ios::binary);
  for (const std::vector<std::string>* lines : lines_by_task) {
    if (lines == nullptr) continue;
    for (const std::string& line : *lines) out << line << '\n';
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status OutputCommitter::CommitJob() {
  if (output_.empty()) return absl::OkStatus();
  std::error_code error;
  std::filesystem::remove_all(TemporaryOutputDir(output_), error);
  const std::string marker = SuccessMarkerPath(output_);
  std::ofstream success(marker);
  success.close();
  if (!success) return absl::InternalError(absl::StrCat("cannot write ", marker));
  return absl::OkStatus();
}

void OutputCommitter::Abort() {
  if (output_.empty()) return;
  std::error_code error;
  std::filesystem::remove_all(output_, error);
}

}  // namespace braid
