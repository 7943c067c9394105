// The framework's partitioners: a stable hash (every job's default), and the range partitioner
// of jobs whose output is totally ordered across part files (sort).

#ifndef BRAID_WORKER_PARTITIONERS_H_
#define BRAID_WORKER_PARTITIONERS_H_

#include <algorithm>
#include <string>
#include <vector>

#include "job/job.h"

namespace braid {

class HashPartitioner final : public Partitioner {
 public:
  uint32_t Partition(absl::string_view key, uint32_t partitions) const override {
    return HashPartition(key, partitions);
  }
};

// Partition i holds the keys below boundaries[i] (and at or above boundaries[i - 1]); the last
// one, the rest. REQUIRES: boundaries sorted; partitions == boundaries.size() + 1.
class RangePartitioner final : public Partitioner {
 public:
  explicit RangePartitioner(std::vector<std::string> boundaries)
      : boundaries_(std::move(boundaries)) {}
  uint32_t Partition(absl::string_view key, uint32_t partitions) const override {
    auto it = std::upper_bound(boundaries_.begin(), boundaries_.end(), key,
                               [](absl::string_view k, const std::string& b) { return k < b; });
    return std::min<uint32_t>(static_cast<uint32_t>(it - boundaries_.begin()), partitions - 1);
  }

 private:
  std::vector<std::string> boundaries_;
};

}  // namespace braid

#endif  // BRAID_WORKER_PARTITIONERS_H_
