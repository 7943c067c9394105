// RunMerger: several sorted runs read as one sorted stream, and the grouping of that stream by
// key — the merge under every reduce task, and under a map task's final merge of its spills;
// MergeToFanIn: the passes that bound how many runs one merge reads.

#ifndef BRAID_WORKER_RUN_MERGER_H_
#define BRAID_WORKER_RUN_MERGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "job/job.h"
#include "worker/run_file.h"

namespace braid {

class RunMerger {
 public:
  explicit RunMerger(std::vector<std::unique_ptr<RunReader>> runs);

  // Moves to the next record in key order (equal keys: in the order of the runs); false at the
  // end or on an error (see status()). The views live until the next call.
  bool Next();
  absl::string_view key() const { return runs_[current_]->key(); }
  absl::string_view value() const { return runs_[current_]->value(); }
  // The first error of any run.
  absl::Status status() const { return status_; }
  uint64_t bytes_read() const;

 private:
  bool Less(size_t a, size_t b) const;
  void Push(size_t run);
  size_t Pop();

  std::vector<std::unique_ptr<RunReader>> runs_;
  std::vector<size_t> heap_;  // runs with a current record, smallest key on top
  size_t current_ = 0;
  bool started_ = false;
  absl::Status status_;
};

// A run file, as its writer reported it: what a merge needs to read and check it.
struct RunLocation {
  std::string path;
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
};

// The most runs one merge reads at once (Hadoop's mapreduce.task.io.sort.factor): a reduce of
// more map outputs merges them in passes first, so that its memory and open files do not grow
// with its job's map count.
inline constexpr size_t kMergeFanIn = 64;

struct MergedRuns {
  // At most the fan-in of runs, in order.
  std::vector<RunLocation> runs;
  // Read by the passes.
  uint64_t bytes_read = 0;
};

// Merges `runs` in passes, each group of `fan_in` consecutive runs into one intermediate run in
// `dir`, until at most `fan_in` are left: a merge of those gives the records a merge of `runs`
// would, equal keys in the same order. Removes each intermediate run once merged again (not
// `runs`, nor, on an error, the last intermediate ones: the caller removes `dir`). `cancelled`,
// if set, is polled. Errors: a run's (kNotFound if it is missing, kDataLoss if corrupt), the
// disk's, or kCancelled.
absl::StatusOr<MergedRuns> MergeToFanIn(std::vector<RunLocation> runs, const std::string& dir,
                                        size_t fan_in, Env& env,
                                        const std::function<bool()>& cancelled = nullptr);

// Walks a RunMerger one key at a time: Values over the records of the current key.
//
//   KeyGroups groups(merger);
//   while (groups.NextKey()) reducer.Reduce(groups.key(), groups, out);
class KeyGroups final : public Values {
 public:
  explicit KeyGroups(RunMerger& merger) : merger_(merger) {}

  // Moves to the next key (skipping values of the previous one that were not read); false at
  // the end or on the merger's error.
  bool NextKey();
  // The current key (stable until NextKey).
  absl::string_view key() const { return key_; }
  // Values of the current key.
  bool Next(absl::string_view* value) override;
  // Records read through this group so far.
  uint64_t records() const { return records_; }

 private:
  RunMerger& merger_;
  std::string key_;
  bool pending_ = false;  // the merger is on a record not yet given out
  bool in_group_ = false;
  bool done_ = false;
  uint64_t records_ = 0;
};

}  // namespace braid

#endif  // BRAID_WORKER_RUN_MERGER_H_
