#include "worker/map_output_buffer.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "worker/run_file.h"
#include "worker/run_merger.h"

namespace braid {
namespace {

uint64_t Prefix(absl::string_view key) {
  unsigned char bytes[8] = {0};
  std::memcpy(bytes, key.data(), std::min<size_t>(8, key.size()));
  uint64_t prefix = 0;
  for (unsigned char b : bytes) prefix = (prefix << 8) | b;
  return prefix;
}

std::string RunName(const std::string& directory, absl::string_view stem, uint32_t n) {
  return absl::StrFormat("%s/%s-%05d.run", directory, stem, n);
}

// An Emitter that appends to a run, counting what it is given.
class RunSink final : public Emitter {
 public:
  explicit RunSink(RunWriter& writer) : writer_(writer) {}
  void Emit(absl::string_view key, absl::string_view value) override {
    writer_.Add(key, value);
    ++emitted_;
  }
  uint64_t emitted() const { return emitted_; }

 private:
  RunWriter& writer_;
  uint64_t emitted_ = 0;
};

// Values over a range of sorted entries.
template <typename Get>
class RangeValues final : public Values {
 public:
  RangeValues(size_t begin, size_t end, Get get) : at_(begin), end_(end), get_(get) {}
  bool Next(absl::string_view* value) override {
    if (at_ == end_) return false;
    *value = get_(at_++);
    return true;
  }

 private:
  size_t at_;
  size_t end_;
  Get get_;
};

}  // namespace

MapOutputBuffer::MapOutputBuffer(MapOutputOptions options, Counters* counters)
    : options_(std::move(options)), counters_(counters) {
  options_.buffer_bytes = std::min<size_t>(options_.buffer_bytes, size_t{2} << 30);
  arena_.reserve(std::min<size_t>(options_.buffer_bytes, size_t{8} << 20));
}

MapOutputBuffer::~MapOutputBuffer() {
  for (const Spill& spill : spills_) Env::Default()->RemoveFile(spill.path).IgnoreError();
}

void MapOutputBuffer::Emit(absl::string_view key, absl::string_view value) {
  if (!status_.ok()) return;
  const uint32_t partition =
      options_.partitions == 1 ? 0 : options_.partitioner->Partition(key, options_.partitions);
  entries_.push_back(Entry{Prefix(key), partition, static_cast<uint32_t>(arena_.size()),
                           static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())});
  arena_.append(key.data(), key.size());
  arena_.append(value.data(), value.size());
  if (arena_.size() + entries_.size() * sizeof(Entry) >= options_.buffer_bytes) {
    status_ = SpillNow();
  }
}

void MapOutputBuffer::Sort() {
  std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    if (a.partition != b.partition) return a.partition < b.partition;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return KeyOf(a) < KeyOf(b);
  });
}

absl::Status MapOutputBuffer::WritePartition(size_t begin, size_t end, Emitter& sink) {
  if (options_.combiner == nullptr) {
    for (size_t i = begin; i < end; ++i) sink.Emit(KeyOf(entries_[i]), ValueOf(entries_[i]));
    return absl::OkStatus();
  }
  auto value_at = [this](size_t i) { return ValueOf(entries_[i]); };
  for (size_t group = begin; group < end;) {
    absl::string_view key = KeyOf(entries_[group]);
    size_t next = group + 1;
    while (next < end && KeyOf(entries_[next]) == key) ++next;
    combine_input_ += next - group;
    RangeValues<decltype(value_at)> values(group, next, value_at);
    absl::Status combined = options_.combiner->Reduce(key, values, sink);
    if (!combined.ok()) return combined;
    group = next;
  }
  return options_.combiner->Finish(sink);
}

absl::Status MapOutputBuffer::SpillNow() {
  Sort();
  Spill spill;
  spill.path = RunName(options_.directory, "spill", static_cast<uint32_t>(spills_.size()));
  absl::StatusOr<std::unique_ptr<RunWriter>> writer = RunWriter::Create(spill.path);
  if (!writer.ok()) return writer.status();
  RunSink sink(**writer);
  size_t at = 0;
  for (uint32_t p = 0; p < options_.partitions; ++p) {
    size_t end = at;
    while (end < entries_.size() && entries_[end].partition == p) ++end;
    spill.offsets.push_back((*writer)->bytes());
    absl::Status written = WritePartition(at, end, sink);
    if (!written.ok()) return written;
    at = end;
  }
  absl::Status finished = (*writer)->Finish();
  if (!finished.ok()) return finished;
  spilled_records_ += sink.emitted();
  combine_output_ += options_.combiner == nullptr ? 0 : sink.emitted();
  spills_.push_back(std::move(spill));
  ++spills_made_;
  entries_.clear();
  arena_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PartitionRun>> MapOutputBuffer::WriteFromMemory() {
  Sort();
  std::vector<PartitionRun> runs;
  size_t at = 0;
  while (at < entries_.size()) {
    uint32_t partition = entries_[at].partition;
    size_t end = at;
    while (end < entries_.size() && entries_[end].partition == partition) ++end;
    absl::StatusOr<std::unique_ptr<RunWriter>> writer =
        RunWriter::Create(RunName(options_.directory, "part", partition));
    if (!writer.ok()) return writer.status();
    RunSink sink(**writer);
    absl::Status written = WritePartition(at, end, sink);
    if (!written.ok()) return written;
    absl::Status finished = (*writer)->Finish();
    if (!finished.ok()) return finished;
    if (options_.combiner != nullptr) combine_output_ += sink.emitted();
    runs.push_back(PartitionRun{partition, (*writer)->path(), (*writer)->bytes(),
                                (*writer)->records(), (*writer)->crc32c()});
    at = end;
  }
  return runs;
}

absl::StatusOr<std::vector<PartitionRun>> MapOutputBuffer::MergeSpills() {
  if (!entries_.empty()) {
    absl::Status spilled = SpillNow();
    if (!spilled.ok()) return spilled;
  }
  std::vector<PartitionRun> runs;
  for (uint32_t p = 0; p < options_.partitions; ++p) {
    std::vector<std::unique_ptr<RunReader>> readers;
    for (const Spill& spill : spills_) {
      uint64_t begin = spill.offsets[p];
      uint64_t end = p + 1 < options_.partitions ? spill.offsets[p + 1] : UINT64_MAX;
      if (end == begin) continue;
      absl::StatusOr<std::unique_ptr<RunReader>> reader =
          RunReader::Open(spill.path, begin, end == UINT64_MAX ? UINT64_MAX : end - begin);
      if (!reader.ok()) return reader.status();
      readers.push_back(*std::move(reader));
    }
    if (readers.empty()) continue;
    RunMerger merger(std::move(readers));
    absl::StatusOr<std::unique_ptr<RunWriter>> writer =
        RunWriter::Create(RunName(options_.directory, "part", p));
    if (!writer.ok()) return writer.status();
    RunSink sink(**writer);
    if (options_.combiner == nullptr) {
      while (merger.Next()) sink.Emit(merger.key(), merger.value());
    } else {
      KeyGroups groups(merger);
      while (groups.NextKey()) {
        uint64_t before = groups.records();
        absl::Status combined = options_.combiner->Reduce(groups.key(), groups, sink);
        if (!combined.ok()) return combined;
        absl::string_view rest;
        while (groups.Next(&rest)) {
        }
        combine_input_ += groups.records() - before;
      }
      absl::Status finished = options_.combiner->Finish(sink);
      if (!finished.ok()) return finished;
      combine_output_ += sink.emitted();
    }
    if (!merger.status().ok()) return merger.status();
    absl::Status finished = (*writer)->Finish();
    if (!finished.ok()) return finished;
    if ((*writer)->records() == 0) {
      Env::Default()->RemoveFile((*writer)->path()).IgnoreError();
      continue;
    }
    runs.push_back(PartitionRun{p, (*writer)->path(), (*writer)->bytes(), (*writer)->records(),
                                (*writer)->crc32c()});
  }
  for (const Spill& spill : spills_) Env::Default()->RemoveFile(spill.path).IgnoreError();
  spills_.clear();
  return runs;
}

absl::StatusOr<std::vector<PartitionRun>> MapOutputBuffer::Finish() {
  if (!status_.ok()) return status_;
  absl::StatusOr<std::vector<PartitionRun>> runs =
      spills_.empty() ? WriteFromMemory() : MergeSpills();
  if (counters_ != nullptr) {
    counters_->Add(kTaskCounters, kSpilledRecords, static_cast<int64_t>(spilled_records_));
    if (options_.combiner != nullptr) {
      counters_->Add(kTaskCounters, kCombineInputRecords, static_cast<int64_t>(combine_input_));
      counters_->Add(kTaskCounters, kCombineOutputRecords, static_cast<int64_t>(combine_output_));
    }
  }
  return runs;
}

}  // namespace braid
