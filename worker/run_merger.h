// RunMerger: several sorted runs read as one sorted stream, and the grouping of that stream by
// key — the merge under every reduce task, and under a map task's final merge of its spills.

#ifndef BRAID_WORKER_RUN_MERGER_H_
#define BRAID_WORKER_RUN_MERGER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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
