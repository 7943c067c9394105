// OutputLayout: where a job's output lives — Hadoop's FileOutputCommitter layout, the one rule
// the worker (which writes attempts' files) and the coordinator (which commits them) share.
//
//   OUT/_temporary/ATTEMPT/part-r-00003   what attempt ATTEMPT of reduce 3 writes
//   OUT/part-r-00003                      the same file, committed (renamed) once accepted
//   OUT/part-m-00000                      a map-only job's map 0, committed
//   OUT/_SUCCESS                          written last, when every task has committed

#ifndef BRAID_JOB_OUTPUT_LAYOUT_H_
#define BRAID_JOB_OUTPUT_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "proto/attempt_name.h"
#include "proto/braid.pb.h"

namespace braid {

inline constexpr absl::string_view kSuccessMarker = "_SUCCESS";
inline constexpr absl::string_view kTemporaryDir = "_temporary";

// "part-m-00003" for map 3, "part-r-00003" for reduce 3; with the `extension` of compressed
// output (".gz": job/compressed_output.h), "part-r-00003.gz".
inline std::string PartFileName(proto::TaskKind kind, uint32_t task,
                                absl::string_view extension = "") {
  return absl::StrFormat("part-%c-%05d%s", kind == proto::TASK_KIND_MAP ? 'm' : 'r', task,
                         extension);
}

// OUT/_temporary: what the attempts write below, removed when the job commits.
inline std::string TemporaryOutputDir(absl::string_view output) {
  return absl::StrCat(output, "/", kTemporaryDir);
}

// Where `attempt` writes its part file.
inline std::string AttemptOutputPath(absl::string_view output, const proto::TaskAttempt& attempt,
                                     absl::string_view extension = "") {
  return absl::StrCat(TemporaryOutputDir(output), "/", AttemptName(attempt), "/",
                      PartFileName(attempt.kind(), attempt.task(), extension));
}

// Where a task's part file is once committed.
inline std::string CommittedOutputPath(absl::string_view output, proto::TaskKind kind,
                                       uint32_t task, absl::string_view extension = "") {
  return absl::StrCat(output, "/", PartFileName(kind, task, extension));
}

inline std::string SuccessMarkerPath(absl::string_view output) {
  return absl::StrCat(output, "/", kSuccessMarker);
}

// What _SUCCESS holds: the job that committed the output, one line (Hadoop's is empty or, with
// its manifest committer, a JSON summary: tools test for the file, not its contents).
inline std::string SuccessMarkerContents(absl::string_view job_id) {
  return absl::StrCat("{\"committer\": \"braid\", \"job\": \"", job_id, "\"}\n");
}

// OUT/_temporary/_braid_output: the job's output token (JobDefinition.output_token), which the
// coordinator writes there as it prepares the output. A worker that reads the same token there
// sees the coordinator's output directory and writes its part files in place; one that does not
// sends them through the coordinator.
inline std::string OutputTokenPath(absl::string_view output) {
  return absl::StrCat(TemporaryOutputDir(output), "/_braid_output");
}

}  // namespace braid

#endif  // BRAID_JOB_OUTPUT_LAYOUT_H_
