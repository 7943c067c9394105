#include "worker/run_merger.h"

#include <algorithm>

namespace braid {

RunMerger::RunMerger(std::vector<std::unique_ptr<RunReader>> runs) : runs_(std::move(runs)) {}

bool RunMerger::Less(size_t a, size_t b) const {
  int order = runs_[a]->key().compare(runs_[b]->key());
  return order < 0 || (order == 0 && a < b);
}

void RunMerger::Push(size_t run) {
  heap_.push_back(run);
  std::push_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Less(b, a); });
}

size_t RunMerger::Pop() {
  std::pop_heap(heap_.begin(), heap_.end(), [this](size_t a, size_t b) { return Less(b, a); });
  size_t run = heap_.back();
  heap_.pop_back();
  return run;
}

bool RunMerger::Next() {
  if (!status_.ok()) return false;
  if (!started_) {
    started_ = true;
    for (size_t i = 0; i < runs_.size(); ++i) {
      if (runs_[i]->Next()) {
        Push(i);
      } else if (!runs_[i]->status().ok()) {
        status_ = runs_[i]->status();
        return false;
      }
    }
  } else {
    if (runs_[current_]->Next()) {
      Push(current_);
    } else if (!runs_[current_]->status().ok()) {
      status_ = runs_[current_]->status();
      return false;
    }
  }
  if (heap_.empty()) return false;
  current_ = Pop();
  return true;
}

uint64_t RunMerger::bytes_read() const {
  uint64_t total = 0;
  for (const auto& run : runs_) total += run->bytes_read();
  return total;
}

bool KeyGroups::NextKey() {
  if (done_) return false;
  // Skip what the reducer left of the previous key.
  if (in_group_) {
    absl::string_view ignored;
    while (Next(&ignored)) {
    }
  }
  if (!pending_) {
    if (!merger_.Next()) {
      done_ = true;
      return false;
    }
    pending_ = true;
  }
  key_.assign(merger_.key().data(), merger_.key().size());
  in_group_ = true;
  return true;
}

bool KeyGroups::Next(absl::string_view* value) {
  if (!in_group_) return false;
  if (!pending_) {
    if (!merger_.Next()) {
      done_ = true;
      in_group_ = false;
      return false;
    }
    pending_ = true;
    if (merger_.key() != key_) {
      in_group_ = false;  // the record starts the next key
      return false;
    }
  }
  pending_ = false;
  *value = merger_.value();
  ++records_;
  return true;
}

}  // namespace braid
