#include "reactor/reactor.h"

#include <utility>
#include <vector>

namespace braid {

uint64_t Reactor::AddPendingWork(Completion completion) {
  uint64_t id = next_work_id_++;
  pending_work_.emplace(id, std::move(completion));
  return id;
}

void Reactor::CompletePendingWork(uint64_t id, void* result, const absl::Status& error) {
  auto it = pending_work_.find(id);
  if (it == pending_work_.end()) return;
  Completion completion = std::move(it->second);
  pending_work_.erase(it);
  completion(result, error);
}

void Reactor::FailPendingWork(const absl::Status& error) {
  std::vector<uint64_t> ids;
  ids.reserve(pending_work_.size());
  for (const auto& [id, completion] : pending_work_) ids.push_back(id);
  for (uint64_t id : ids) CompletePendingWork(id, nullptr, error);
}

}  // namespace braid
