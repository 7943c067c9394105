// MapOutputBuffer: where a map task's output pairs go — partitioned, sorted by key, combined, and
// written as one run file per partition.
//
// Pairs collect in memory up to a bound (128 MiB by default). Past it, the buffer is sorted,
// combined and spilled to a run file, and at the end the spills of each partition are merged (and
// combined again) into its final run; so a task's output may exceed memory. Without spills, the
// final runs are written straight from memory.
//
// Threading: one task's thread.

#ifndef BRAID_WORKER_MAP_OUTPUT_BUFFER_H_
#define BRAID_WORKER_MAP_OUTPUT_BUFFER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "job/counters.h"
#include "job/job.h"

namespace braid {

struct MapOutputOptions {
  // Reduce partitions. REQUIRES: > 0.
  uint32_t partitions = 1;
  // Bytes of pairs (plus 24 bytes of bookkeeping each) held before a spill. At most 2 GiB.
  size_t buffer_bytes = size_t{128} << 20;
  // Where spills and final runs go (it must exist).
  std::string directory;
  // Not owned; must outlive the buffer.
  const Partitioner* partitioner = nullptr;
  // May be null. Not owned. Its Finish is called at the end of each pass over one partition's
  // pairs (a spill, the final merge), with that pass's output.
  Reducer* combiner = nullptr;
};

// One partition's final run.
struct PartitionRun {
  uint32_t partition;
  std::string path;
  uint64_t bytes;
  uint64_t records;
  uint32_t crc32c;
};

class MapOutputBuffer final : public Emitter {
 public:
  MapOutputBuffer(MapOutputOptions options, Counters* counters);
  MapOutputBuffer(const MapOutputBuffer&) = delete;
  MapOutputBuffer& operator=(const MapOutputBuffer&) = delete;
  ~MapOutputBuffer() override;

  // Takes a pair (and may spill). A failed spill or combiner is kept and returned by Finish.
  void Emit(absl::string_view key, absl::string_view value) override;

  // Writes the final runs, one per partition that has pairs, as DIRECTORY/part-NNNNN.run, and
  // removes the spills.
  absl::StatusOr<std::vector<PartitionRun>> Finish();

  // Spills made so far.
  int spills() const { return spills_made_; }

 private:
  struct Entry {
    uint64_t prefix;  // the key's first 8 bytes, big-endian, for quick comparison
    uint32_t partition;
    uint32_t offset;  // of the key in arena_; the value follows it
    uint32_t key_size;
    uint32_t value_size;
  };
  struct Spill {
    std::string path;
    // Per partition: where its records start in the file (they end where the next one's start).
    std::vector<uint64_t> offsets;
  };

  absl::string_view KeyOf(const Entry& e) const {
    return absl::string_view(arena_.data() + e.offset, e.key_size);
  }
  absl::string_view ValueOf(const Entry& e) const {
    return absl::string_view(arena_.data() + e.offset + e.key_size, e.value_size);
  }
  void Sort();
  // Writes the sorted entries of one partition, combined, to `sink` (an Emitter).
  absl::Status WritePartition(size_t begin, size_t end, Emitter& sink);
  absl::Status SpillNow();
  absl::StatusOr<std::vector<PartitionRun>> WriteFromMemory();
  absl::StatusOr<std::vector<PartitionRun>> MergeSpills();

  MapOutputOptions options_;
  Counters* counters_;
  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<Spill> spills_;
  absl::Status status_;
  int spills_made_ = 0;
  uint64_t spilled_records_ = 0;
  uint64_t combine_input_ = 0;
  uint64_t combine_output_ = 0;
};

}  // namespace braid

#endif  // BRAID_WORKER_MAP_OUTPUT_BUFFER_H_
