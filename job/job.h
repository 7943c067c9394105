// The job API: what a user writes to run their own MapReduce job on Braid — Hadoop's Mapper,
// Reducer, Partitioner and context, in C++.
//
//   class LineLengths : public Mapper {
//    public:
//     absl::Status Map(const Record& record, Emitter& out) override {
//       out.Emit(absl::StrCat(record.line.size()), "1");
//       return absl::OkStatus();
//     }
//   };
//   BRAID_REGISTER_JOB(JobDefinition{
//       .name = "line-lengths",
//       .mapper = [] { return std::make_unique<LineLengths>(); },
//       .reducer = [] { return std::make_unique<SumReducer>(); },
//       .combiner = [] { return std::make_unique<SumReducer>(); },
//   });
//
// Link the library into a worker with the braid_worker rule (worker/defs.bzl) and submit with
// `braid submit --job line-lengths ...`.
//
// Records are text lines: a map task gets every line that starts in its split, without the
// newline (bytes are bytes: no encoding is assumed). Keys and values are byte strings; the
// framework sorts keys bytewise. Functions report failure by returning an error, which fails
// the attempt (and, after the retries, the job).
//
// Threading: one task runs on one thread; Mapper and Reducer objects are made per task, so they
// need no locks. Several tasks of a job may run at once in one worker process.

#ifndef BRAID_JOB_JOB_H_
#define BRAID_JOB_JOB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace braid {

// A job's configuration: `braid submit --set key=value` pairs.
class JobConfig {
 public:
  JobConfig() = default;
  explicit JobConfig(absl::flat_hash_map<std::string, std::string> values)
      : values_(std::move(values)) {}

  bool Has(absl::string_view key) const { return values_.contains(key); }
  // The value, or `fallback` if the key is absent.
  std::string Get(absl::string_view key, absl::string_view fallback = "") const;
  // The value as an integer; kInvalidArgument naming the key if it is not one.
  absl::StatusOr<int64_t> GetInt(absl::string_view key, int64_t fallback) const;
  const absl::flat_hash_map<std::string, std::string>& values() const { return values_; }

 private:
  absl::flat_hash_map<std::string, std::string> values_;
};

// What a map task reads: one line of its split.
struct Record {
  absl::string_view line;  // without the newline
  uint64_t offset;         // of the line's first byte in its file
};

// Where map and reduce functions send their output pairs. The views need only live for the call.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(absl::string_view key, absl::string_view value) = 0;
};

// The values of one key, for a reducer or combiner, in no particular order.
class Values {
 public:
  virtual ~Values() = default;
  // The next value (valid until the next call), or false when there are no more.
  virtual bool Next(absl::string_view* value) = 0;
};

// What a task knows about itself.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual const JobConfig& config() const = 0;
  virtual bool is_map() const = 0;
  virtual uint32_t task() const = 0;
  virtual uint32_t attempt() const = 0;
  // Reduce partitions of the job (0 for a map-only job).
  virtual uint32_t partitions() const = 0;
  // Map tasks: the file the record being mapped belongs to (of a combined split, it changes
  // between records; see JobDefinition::combinable_inputs).
  virtual absl::string_view input_file() const = 0;
  // Adds `amount` to a user counter (shown with the job's counters).
  virtual void IncrementCounter(absl::string_view group, absl::string_view name,
                                int64_t amount = 1) = 0;
  // True once the attempt has been cancelled (its job was cancelled or failed, or a faster
  // attempt won): a long computation should return soon after; its output is discarded.
  virtual bool cancelled() const = 0;
};

class Mapper {
 public:
  virtual ~Mapper() = default;
  // Before the first record (Hadoop's setup). `context` outlives the Mapper.
  virtual absl::Status Setup(TaskContext& context) {
    (void)context;
    return absl::OkStatus();
  }
  virtual absl::Status Map(const Record& record, Emitter& out) = 0;
  // After the last record; may emit (Hadoop's cleanup).
  virtual absl::Status Finish(Emitter& out) {
    (void)out;
    return absl::OkStatus();
  }
};

// A reducer, or a combiner (then it must be associative and commutative and emit the key it was
// given: the framework may run it any number of times, on any subsets of a key's values, and
// calls its Finish at the end of each pass over a partition's sorted pairs, with that pass's
// output).
class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual absl::Status Setup(TaskContext& context) {
    (void)context;
    return absl::OkStatus();
  }
  // Called once per key, keys in sorted order.
  virtual absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) = 0;
  virtual absl::Status Finish(Emitter& out) {
    (void)out;
    return absl::OkStatus();
  }
};

// Sends each key to one of the reduce partitions.
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  // REQUIRES: partitions > 0. Returns a value below `partitions`.
  virtual uint32_t Partition(absl::string_view key, uint32_t partitions) const = 0;
};

// How a reduce (or map-only) task writes its pairs as lines of its part file.
enum class OutputFormat {
  kKeyTabValue,   // "key\tvalue" (Hadoop's TextOutputFormat)
  kLine,          // "key\tvalue", or "key" alone when the value is empty (streaming's lines)
  kConcatenated,  // key and value back to back (sort's records)
  kKeyOnly,       // "key"
};

// Everything about one job kind.
struct JobDefinition {
  std::string name;
  std::string description = "";
  // Map tasks read input files; without input, the job makes `tasks` (config) empty map tasks.
  bool needs_input = true;
  // The mapper's pairs do not depend on where one input file ends and the next begins: it reads
  // input_file() per record if at all, not once in Setup. Then small files may be packed several
  // to a map task (JobSpec.combine_inputs), and are by default.
  bool combinable_inputs = false;
  std::function<std::unique_ptr<Mapper>()> mapper = nullptr;
  // Absent: the identity reducer (every pair as it is).
  std::function<std::unique_ptr<Reducer>()> reducer = nullptr;
  // Absent: no combining.
  std::function<std::unique_ptr<Reducer>()> combiner = nullptr;
  // Absent: a stable hash of the key, modulo the partitions.
  std::function<std::unique_ptr<Partitioner>()> partitioner = nullptr;
  // Present: the job sorts across part files — the coordinator samples keys of the input with
  // this function and cuts partitions at the sampled quantiles (TeraSort's range partitioner).
  std::function<std::string(absl::string_view line)> sample_key = nullptr;
  OutputFormat output_format = OutputFormat::kKeyTabValue;
  // Checks the configuration at submit; the error is shown to the user as it is.
  std::function<absl::Status(const JobConfig& config)> validate = nullptr;
};

// The partitioner every job gets unless it names its own: a hash of the key that is the same in
// every process and on every machine.
uint32_t HashPartition(absl::string_view key, uint32_t partitions);

// A 64-bit hash of `bytes`, stable across processes, builds and machines.
uint64_t StableHash(absl::string_view bytes);

}  // namespace braid

#endif  // BRAID_JOB_JOB_H_
