// Planning a job: from what a user submitted to the list of map tasks, checking everything that
// can be checked before any task runs — so that a bad submission is refused with a message that
// names the problem, and an accepted job does not fail for a reason known at the start.
//
// Inputs are files, directories (their files, skipping names that start with '_' or '.', as
// Hadoop does) and globs. Each file is cut into byte-range splits of at most `split_size`; the
// tasks read whole lines (see job/split_reader.h). Small files are packed several to a split
// instead, unless the job says not to (Hadoop's CombineFileInputFormat, JobSpec.combine_inputs).
// A task-bag job is cut by records instead. A
// job whose output must be totally ordered (sort) samples its input's keys for the partition
// boundaries.

#ifndef BRAID_COORDINATOR_PLANNER_H_
#define BRAID_COORDINATOR_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "job/job.h"
#include "proto/braid.pb.h"

namespace braid {

inline constexpr uint64_t kDefaultSplitSize = uint64_t{64} << 20;
inline constexpr uint32_t kMaxReducers = 10'000;
inline constexpr uint64_t kMaxMapTasks = 100'000'000;
// The most tasks (maps and reduces) a coordinator plans for one job unless told otherwise
// (--max-tasks): a job's state grows with its task count, on the coordinator and the workers.
inline constexpr uint64_t kDefaultMaxTasks = 500'000;
// The most --max-tasks may allow.
inline constexpr uint64_t kMaxTasksLimit = kMaxMapTasks;
// A file smaller than the split size over this is small: small files are packed into combined
// splits (JobSpec.combine_inputs) of at most the split size and this many files.
inline constexpr uint64_t kSmallFileDivisor = 4;
inline constexpr uint32_t kMaxSplitParts = 1'000;
// A compressed file counts as this many times its size when packed.
inline constexpr uint64_t kCompressionAllowance = 4;

struct JobPlan {
  // One per map task.
  std::vector<proto::InputSplit> splits;
  uint32_t reducers = 0;
  // For a range-partitioned job: reducers - 1 sorted keys.
  std::vector<std::string> boundaries;
  uint64_t input_bytes = 0;
};

// Checks `spec` and plans it, looking at the inputs and the output through `env` (and reading
// them through it, for task bags and sort's sampling). `definition` is the
// coordinator's own definition of the job, or null if only workers have it (then job-specific
// checks and sampling are skipped). Errors:
//   kInvalidArgument   bad reducers, split size, configuration, streaming commands, no
//                      inputs / output, or more than `max_tasks` tasks (named with the
//                      figure; counted from the input sizes before any split is made, except
//                      for a task bag, whose cutting stops once it passes the limit);
//   kNotFound          an input path, or a glob that matches nothing;
//   kPermissionDenied  an input that cannot be read;
//   kAlreadyExists     the output directory exists (without overwrite).
// Does not touch the output directory.
absl::StatusOr<JobPlan> PlanJob(Env& env, const proto::JobSpec& spec,
                                const JobDefinition* definition,
                                uint64_t max_tasks = kDefaultMaxTasks);

// Expands `inputs` (files, directories, globs with *, ?, [...] and {a,b} alternatives) to the files
// they name, sorted and without duplicates. Errors as above.
absl::StatusOr<std::vector<std::string>> ExpandInputs(Env& env,
                                                      const std::vector<std::string>& inputs);

// Parses a size: plain bytes, or with a K/KB/KiB, M/MB/MiB, G/GB/GiB or T/TB/TiB suffix (all
// powers of 1024). kInvalidArgument naming the text otherwise.
absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text);

}  // namespace braid

#endif  // BRAID_COORDINATOR_PLANNER_H_
