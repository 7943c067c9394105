#include "worker/run_merger.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

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

absl::StatusOr<MergedRuns> MergeToFanIn(std::vector<RunLocation> runs, const std::string& dir,
                                        size_t fan_in, Env& env,
                                        const std::function<bool()>& cancelled) {
  fan_in = std::max<size_t>(fan_in, 2);
  MergedRuns merged;
  std::vector<bool> intermediate(runs.size(), false);
  for (int pass = 1; runs.size() > fan_in; ++pass) {
    if (pass == 1) {
      if (absl::Status made = env.CreateDirs(dir); !made.ok()) return made;
    }
    // A full pass merges every group of fan_in runs. If that would leave fewer than fan_in runs,
    // the pass merges only as many runs, from the first, as leave exactly fan_in: the rest is
    // left for the last merge, and not written once more.
    size_t excess = runs.size() - fan_in;
    const bool full = excess >= runs.size() - (runs.size() + fan_in - 1) / fan_in;
    std::vector<RunLocation> next;
    std::vector<bool> next_intermediate;
    for (size_t begin = 0, end; begin < runs.size(); begin = end) {
      end = std::min(runs.size(), begin + (full ? fan_in : std::min(fan_in, excess + 1)));
      excess -= std::min(excess, end - begin - 1);
      if (end - begin == 1) {
        next.push_back(runs[begin]);
        next_intermediate.push_back(intermediate[begin]);
        continue;
      }
      std::vector<std::unique_ptr<RunReader>> readers;
      for (size_t i = begin; i < end; ++i) {
        absl::StatusOr<std::unique_ptr<RunReader>> reader =
            RunReader::Open(runs[i].path, 0, UINT64_MAX, runs[i].crc32c, env);
        if (!reader.ok()) return reader.status();
        readers.push_back(*std::move(reader));
      }
      RunMerger merger(std::move(readers));
      absl::StatusOr<std::unique_ptr<RunWriter>> writer =
          RunWriter::Create(absl::StrCat(dir, "/merge-", pass, "-", next.size(), ".run"), env);
      if (!writer.ok()) return writer.status();
      for (uint64_t records = 0; merger.Next(); ++records) {
        if (records % 4096 == 0 && cancelled && cancelled()) {
          return absl::CancelledError("cancelled while merging");
        }
        (*writer)->Add(merger.key(), merger.value());
      }
      if (!merger.status().ok()) return merger.status();
      if (absl::Status finished = (*writer)->Finish(); !finished.ok()) return finished;
      merged.bytes_read += merger.bytes_read();
      for (size_t i = begin; i < end; ++i) {
        if (intermediate[i]) env.RemoveFile(runs[i].path).IgnoreError();  // dir goes anyway
      }
      next.push_back(RunLocation{
          .path = (*writer)->path(), .bytes = (*writer)->bytes(), .crc32c = (*writer)->crc32c()});
      next_intermediate.push_back(true);
    }
    runs = std::move(next);
    intermediate = std::move(next_intermediate);
  }
  merged.runs = std::move(runs);
  return merged;
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
