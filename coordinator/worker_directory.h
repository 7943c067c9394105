// WorkerDirectory: the coordinator's one identity for a worker — a WorkerId, given to each
// worker name the first time it is seen and kept for the coordinator's lifetime, so that a worker
// that reconnects (a new peer on the network) is still the worker whose attempts failed, or ran
// slowly. Names are what workers call themselves in their hello (unique among connected workers:
// the coordinator lets a new connection of a name replace the old one) and what the journal and
// `braid status` show; ids are what the coordinator's tables hold (4 bytes, not a string).
//
// Threading: the coordinator's loop.

#ifndef BRAID_COORDINATOR_WORKER_DIRECTORY_H_
#define BRAID_COORDINATOR_WORKER_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace braid {

// 1, 2, ... in the order names were first seen; 0 is no worker.
using WorkerId = uint32_t;
inline constexpr WorkerId kNoWorker = 0;

class WorkerDirectory {
 public:
  // The id of `name`, given now if it has none. REQUIRES: !name.empty().
  WorkerId Intern(absl::string_view name) {
    auto [it, added] = ids_.try_emplace(name, static_cast<WorkerId>(names_.size() + 1));
    if (added) names_.emplace_back(name);
    return it->second;
  }
  // The id of `name`, or kNoWorker if it was never seen.
  WorkerId Find(absl::string_view name) const {
    auto it = ids_.find(name);
    return it == ids_.end() ? kNoWorker : it->second;
  }
  // REQUIRES: `id` was given by Intern.
  const std::string& name(WorkerId id) const { return names_[id - 1]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, WorkerId> ids_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_WORKER_DIRECTORY_H_
