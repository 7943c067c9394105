#include "worker/run_task.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "job/counters.h"
#include "job/file_identity.h"
#include "job/output_layout.h"
#include "job/split_reader.h"
#include "job/streaming_spec.h"
#include "proto/status_coding.h"
#include "worker/map_output_buffer.h"
#include "worker/part_file_writer.h"
#include "worker/partitioners.h"
#include "worker/run_file.h"
#include "worker/run_merger.h"
#include "worker/streaming_task.h"

namespace braid {
namespace {

// How often (in records) a task looks at its cancellation flag.
constexpr uint64_t kCancelCheckInterval = 4096;

class Context final : public TaskContext {
 public:
  Context(const proto::JobDefinition& job, const proto::TaskAssignment& task,
          const TaskEnvironment& environment, Counters& counters)
      : config_(absl::flat_hash_map<std::string, std::string>(job.spec().config().begin(),
                                                              job.spec().config().end())),
        job_(job),
        task_(task),
        environment_(environment),
        counters_(counters),
        input_file_(task.split().parts().empty() ? task.split().path()
                                                 : task.split().parts(0).path()) {}

  const JobConfig& config() const override { return config_; }
  bool is_map() const override { return task_.attempt().kind() == proto::TASK_KIND_MAP; }
  uint32_t task() const override { return task_.attempt().task(); }
  uint32_t attempt() const override { return task_.attempt().attempt(); }
  uint32_t partitions() const override { return job_.reduce_tasks(); }
  absl::string_view input_file() const override { return input_file_; }
  // The file being read: of a combined split, each of its files in turn.
  void set_input_file(absl::string_view path) { input_file_ = path; }
  void IncrementCounter(absl::string_view group, absl::string_view name, int64_t amount) override {
    counters_.Add(group, name, amount);
  }
  bool cancelled() const override;

 private:
  JobConfig config_;
  const proto::JobDefinition& job_;
  const proto::TaskAssignment& task_;
  const TaskEnvironment& environment_;
  Counters& counters_;
  absl::string_view input_file_;
};

// Counts what passes through to another Emitter.
class CountingEmitter final : public Emitter {
 public:
  explicit CountingEmitter(Emitter& next) : next_(next) {}
  void Emit(absl::string_view key, absl::string_view value) override {
    ++count_;
    next_.Emit(key, value);
  }
  uint64_t count() const { return count_; }

 private:
  Emitter& next_;
  uint64_t count_ = 0;
};

// Output nobody keeps.
class DiscardingEmitter final : public Emitter {
 public:
  void Emit(absl::string_view, absl::string_view) override {}
};

// A task-bag job's output: lines kept for the result.
class LineCollector final : public Emitter {
 public:
  LineCollector(OutputFormat format, proto::TaskResult& result)
      : format_(format), result_(result) {}
  void Emit(absl::string_view key, absl::string_view value) override {
    std::string line;
    AppendOutputLine(format_, key, value, line);
    line.pop_back();  // the newline
    result_.add_bag_output(std::move(line));
  }

 private:
  OutputFormat format_;
  proto::TaskResult& result_;
};

// Every pair of a key as it is: the reducer of jobs that name none.
class IdentityReducer final : public Reducer {
 public:
  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    absl::string_view value;
    while (values.Next(&value)) out.Emit(key, value);
    return absl::OkStatus();
  }
};

// The attempt's part file, compressed (and named) as the job asks.
absl::StatusOr<std::unique_ptr<PartFileWriter>> CreatePartFile(const proto::JobDefinition& job,
                                                               const proto::TaskAssignment& task,
                                                               const JobDefinition& definition) {
  const proto::TaskAttempt& attempt = task.attempt();
  absl::StatusOr<Codec> codec = OutputCodecOf(job.spec());  // checked at submit
  if (!codec.ok()) return codec.status();
  // In the output directory, or (for a worker that does not see it) in a local directory, to
  // be sent to the coordinator.
  if (task.part_file_dir().empty() && !job.output_token().empty()) {
    absl::StatusOr<std::string> token =
        Env::Default()->ReadFile(OutputTokenPath(job.spec().output()));
    if (!token.ok() || *token != job.output_token()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "output directory '", job.spec().output(),
          "' is not the coordinator's on this worker: share its filesystem, or run the worker "
          "with --data-listen to send the part files to it"));
    }
  }
  const std::string path =
      task.part_file_dir().empty()
          ? AttemptOutputPath(job.spec().output(), attempt, CodecExtension(*codec))
          : absl::StrCat(task.part_file_dir(), "/",
                         PartFileName(attempt.kind(), attempt.task(), CodecExtension(*codec)));
  return PartFileWriter::Create(path, definition.output_format, *Env::Default(), *codec);
}

// The split's lines: from the worker's copy if it fetched one, or else from the input itself,
// which must be the file the coordinator planned (another of the same name is other records).
absl::StatusOr<std::unique_ptr<SplitReader>> OpenSplit(const proto::InputSplit& split) {
  if (!split.copy_path().empty()) {
    return SplitReader::Open(split.copy_path(), split.offset(), split.length(), *Env::Default(),
                             split.copy_origin());
  }
  if (split.has_identity() && !IsSameFile(*Env::Default(), split.path(), split.identity())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "input '", split.path(),
        "' on this worker is not the file the coordinator planned (it is missing, or of another "
        "size, time or content): share the coordinator's filesystem, or run the worker with "
        "--data-listen to fetch it"));
  }
  return SplitReader::Open(split.path(), split.offset(), split.length());
}

bool Cancelled(const TaskEnvironment& environment) {
  return environment.cancelled != nullptr && environment.cancelled->load(std::memory_order_relaxed);
}

bool Context::cancelled() const { return Cancelled(environment_); }

absl::Status CancelledError(const proto::TaskAttempt& attempt) {
  return absl::CancelledError(absl::StrCat("attempt ", AttemptName(attempt), " was cancelled"));
}

std::unique_ptr<Partitioner> MakePartitioner(const JobDefinition& definition,
                                             const proto::JobDefinition& job) {
  if (job.partition_boundaries_size() > 0) {
    return std::make_unique<RangePartitioner>(std::vector<std::string>(
        job.partition_boundaries().begin(), job.partition_boundaries().end()));
  }
  if (definition.partitioner) return definition.partitioner();
  return std::make_unique<HashPartitioner>();
}

void AddOutput(proto::TaskResult& result, const std::string& worker, uint32_t task,
               uint32_t partition, const std::string& path, uint64_t bytes, uint64_t records,
               uint32_t crc) {
  proto::MapOutput* output = result.add_outputs();
  output->set_map_task(task);
  output->set_partition(partition);
  output->set_path(path);
  output->set_bytes(bytes);
  output->set_records(records);
  output->set_crc32c(crc);
  output->set_worker(worker);
}

// How far a map task has read.
struct MapProgress {
  uint64_t index = 0;    // the next record's number in the task
  uint64_t records = 0;  // mapped (not skipped)
  uint64_t bytes_read = 0;
};

// Maps the records of `split` (a split of one file) through `mapper` to `out`.
// (`combined`: the split is one of a combined split's files.)
absl::Status MapFile(const proto::InputSplit& split, bool combined,
                     const proto::TaskAttempt& attempt, const TaskEnvironment& environment,
                     const absl::flat_hash_set<uint64_t>& skip, Mapper& mapper, Emitter& out,
                     MapProgress& progress, proto::TaskResult& result) {
  absl::StatusOr<std::unique_ptr<SplitReader>> reader = OpenSplit(split);
  if (!reader.ok()) return reader.status();
  Record record;
  while ((*reader)->Next(&record)) {
    const uint64_t index = progress.index++;
    if (index % kCancelCheckInterval == 0 && Cancelled(environment)) {
      return CancelledError(attempt);
    }
    if (!skip.empty() && skip.contains(index)) {
      result.add_skipped_records(index);
      continue;
    }
    if (environment.faults != nullptr) environment.faults->RecordRead();
    absl::Status mapped = mapper.Map(record, out);
    if (!mapped.ok()) {
      result.set_failed_record(static_cast<int64_t>(index));
      return absl::Status(
          mapped.code(),
          absl::StrCat("record ", index, " (at byte ", record.offset, " of ", split.path(),
                       combined ? "; counted over the task's files" : "", "): ", mapped.message()));
    }
    ++progress.records;
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  progress.bytes_read += (*reader)->bytes_read();
  return absl::OkStatus();
}

absl::Status RunMap(const JobDefinition& definition, const proto::JobDefinition& job,
                    const proto::TaskAssignment& task, const TaskEnvironment& environment,
                    Counters& counters, proto::TaskResult& result) {
  const proto::TaskAttempt& attempt = task.attempt();
  Context context(job, task, environment, counters);
  std::unique_ptr<Mapper> mapper = definition.mapper();
  absl::Status setup = mapper->Setup(context);
  if (!setup.ok()) return setup;

  // Where the pairs go.
  std::unique_ptr<Partitioner> partitioner;
  std::unique_ptr<Reducer> combiner;
  std::unique_ptr<MapOutputBuffer> buffer;
  std::unique_ptr<PartFileWriter> part;
  std::unique_ptr<LineCollector> bag;
  Emitter* sink;
  DiscardingEmitter discard;
  if (job.spec().records_per_task() > 0 && job.reduce_tasks() == 0) {
    bag = std::make_unique<LineCollector>(definition.output_format, result);
    sink = bag.get();
  } else if (job.reduce_tasks() == 0 && job.spec().output().empty()) {
    // A map-only job without an output directory keeps nothing (Hadoop's NullOutputFormat).
    sink = &discard;
  } else if (job.reduce_tasks() == 0) {
    absl::StatusOr<std::unique_ptr<PartFileWriter>> writer = CreatePartFile(job, task, definition);
    if (!writer.ok()) return writer.status();
    part = *std::move(writer);
    sink = part.get();
  } else {
    std::string directory = MapRunDirectory(environment.scratch_dir, attempt);
    absl::Status made = Env::Default()->CreateDirs(directory);
    if (!made.ok()) return made;
    partitioner = MakePartitioner(definition, job);
    if (definition.combiner) combiner = definition.combiner();
    if (combiner != nullptr) {
      absl::Status combiner_setup = combiner->Setup(context);
      if (!combiner_setup.ok()) return combiner_setup;
    }
    buffer = std::make_unique<MapOutputBuffer>(
        MapOutputOptions{.partitions = job.reduce_tasks(),
                         .buffer_bytes = environment.map_buffer_bytes,
                         .directory = directory,
                         .partitioner = partitioner.get(),
                         .combiner = combiner.get()},
        &counters);
    sink = buffer.get();
  }
  CountingEmitter out(*sink);

  // The records.
  uint64_t records = 0;
  uint64_t bytes_read = 0;
  if (definition.needs_input) {
    // The split, or each file of a combined split in turn (record numbers go on across them).
    std::vector<const proto::InputSplit*> files;
    if (task.split().parts().empty()) files.push_back(&task.split());
    for (const proto::InputSplit& part : task.split().parts()) files.push_back(&part);
    absl::flat_hash_set<uint64_t> skip(task.skip_records().begin(), task.skip_records().end());
    MapProgress progress;
    for (const proto::InputSplit* file : files) {
      context.set_input_file(file->path());
      absl::Status read = MapFile(*file, !task.split().parts().empty(), attempt, environment, skip,
                                  *mapper, out, progress, result);
      if (!read.ok()) return read;
    }
    records = progress.records;
    bytes_read = progress.bytes_read;
  }
  absl::Status finished = mapper->Finish(out);
  if (!finished.ok()) return finished;
  if (Cancelled(environment)) return CancelledError(attempt);

  counters.Add(kTaskCounters, kMapInputRecords, static_cast<int64_t>(records));
  counters.Add(kTaskCounters, kMapOutputRecords, static_cast<int64_t>(out.count()));
  counters.Add(kTaskCounters, kSkippedRecords, result.skipped_records_size());
  counters.Add(kFileSystemCounters, kBytesRead, static_cast<int64_t>(bytes_read));

  uint64_t bytes_written = 0;
  if (buffer != nullptr) {
    absl::StatusOr<std::vector<PartitionRun>> runs = buffer->Finish();
    if (!runs.ok()) return runs.status();
    for (const PartitionRun& run : *runs) {
      AddOutput(result, environment.worker_name, attempt.task(), run.partition, run.path, run.bytes,
                run.records, run.crc32c);
      bytes_written += run.bytes;
    }
  } else if (part != nullptr) {
    // A part file staged to be sent to the coordinator is synced there.
    absl::Status written = part->Finish(/*sync=*/task.part_file_dir().empty());
    if (!written.ok()) return written;
    AddOutput(result, environment.worker_name, attempt.task(), attempt.task(), part->path(),
              part->bytes(), part->records(), part->crc32c());
    bytes_written = part->bytes();
  }
  counters.Add(kFileSystemCounters, kBytesWritten, static_cast<int64_t>(bytes_written));
  return absl::OkStatus();
}

// OK if every map output of the reduce `task` is there to read. Otherwise kUnavailable listing
// those that are gone (also in `result`'s lost_map_outputs: the coordinator has their map tasks
// run again), or the error that one cannot be read with.
absl::Status CheckMapOutputs(const proto::TaskAssignment& task, Env& env,
                             proto::TaskResult& result) {
  result.clear_lost_map_outputs();
  for (const proto::MapOutput& output : task.map_outputs()) {
    absl::Status readable = env.CheckReadable(output.path());
    if (absl::IsNotFound(readable)) {
      // Gone with its worker's disk.
      result.add_lost_map_outputs(output.map_task());
      continue;
    }
    if (!readable.ok()) {
      return absl::Status(readable.code(), absl::StrCat("map task ", output.map_task(),
                                                        "'s output: ", readable.message()));
    }
  }
  if (result.lost_map_outputs_size() == 0) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "the output of map task(s) ", absl::StrJoin(result.lost_map_outputs(), ", "), " is gone"));
}

absl::Status RunReduce(const JobDefinition& definition, const proto::JobDefinition& job,
                       const proto::TaskAssignment& task, const TaskEnvironment& environment,
                       Counters& counters, proto::TaskResult& result) {
  const proto::TaskAttempt& attempt = task.attempt();
  Context context(job, task, environment, counters);
  std::unique_ptr<Reducer> reducer =
      definition.reducer ? definition.reducer() : std::make_unique<IdentityReducer>();
  absl::Status setup = reducer->Setup(context);
  if (!setup.ok()) return setup;

  Env& env = *Env::Default();
  if (absl::Status present = CheckMapOutputs(task, env, result); !present.ok()) return present;
  // A map output that goes while it is merged is lost as well, not an error of the reduce.
  auto lost_or = [&](const absl::Status& why) {
    if (!absl::IsNotFound(why)) return why;
    absl::Status present = CheckMapOutputs(task, env, result);
    return present.ok() ? why : present;
  };
  std::vector<RunLocation> outputs;
  outputs.reserve(task.map_outputs_size());
  for (const proto::MapOutput& output : task.map_outputs()) {
    outputs.push_back(
        RunLocation{.path = output.path(), .bytes = output.bytes(), .crc32c = output.crc32c()});
  }
  // Many map outputs are merged in passes first (in the attempt's scratch directory, removed
  // whatever happens), so that the merge below reads few at once.
  const std::string merges = MapRunDirectory(environment.scratch_dir, attempt);
  absl::Cleanup remove_merges = [&env, &merges, made = outputs.size() > kMergeFanIn] {
    if (made) env.RemoveAll(merges).IgnoreError();
  };
  absl::StatusOr<MergedRuns> merged = MergeToFanIn(std::move(outputs), merges, kMergeFanIn, env,
                                                   [&] { return Cancelled(environment); });
  if (!merged.ok()) {
    if (absl::IsCancelled(merged.status())) return CancelledError(attempt);
    return lost_or(merged.status());
  }
  std::vector<std::unique_ptr<RunReader>> runs;
  for (const RunLocation& run : merged->runs) {
    absl::StatusOr<std::unique_ptr<RunReader>> reader =
        RunReader::Open(run.path, 0, UINT64_MAX, run.crc32c, env);
    if (!reader.ok()) return lost_or(reader.status());
    runs.push_back(*std::move(reader));
  }
  absl::StatusOr<std::unique_ptr<PartFileWriter>> writer = CreatePartFile(job, task, definition);
  if (!writer.ok()) return writer.status();
  CountingEmitter out(**writer);

  RunMerger merger(std::move(runs));
  KeyGroups groups(merger);
  uint64_t keys = 0;
  while (groups.NextKey()) {
    if (keys % kCancelCheckInterval == 0 && Cancelled(environment)) return CancelledError(attempt);
    ++keys;
    absl::Status reduced = reducer->Reduce(groups.key(), groups, out);
    if (!reduced.ok()) {
      return absl::Status(reduced.code(),
                          absl::StrCat("key '", groups.key(), "': ", reduced.message()));
    }
  }
  if (!merger.status().ok()) return merger.status();
  absl::Status finished = reducer->Finish(out);
  if (!finished.ok()) return finished;
  absl::Status written = (*writer)->Finish(/*sync=*/task.part_file_dir().empty());
  if (!written.ok()) return written;

  counters.Add(kTaskCounters, kReduceInputGroups, static_cast<int64_t>(keys));
  counters.Add(kTaskCounters, kReduceInputRecords, static_cast<int64_t>(groups.records()));
  counters.Add(kTaskCounters, kReduceOutputRecords, static_cast<int64_t>(out.count()));
  counters.Add(kFileSystemCounters, kBytesRead,
               static_cast<int64_t>(merged->bytes_read + merger.bytes_read()));
  counters.Add(kFileSystemCounters, kBytesWritten, static_cast<int64_t>((*writer)->bytes()));
  AddOutput(result, environment.worker_name, attempt.task(), attempt.task(), (*writer)->path(),
            (*writer)->bytes(), (*writer)->records(), (*writer)->crc32c());
  return absl::OkStatus();
}

}  // namespace

std::string MapRunDirectory(const std::string& scratch_dir, const proto::TaskAttempt& attempt) {
  return absl::StrCat(scratch_dir, "/", attempt.job_id(), "/", AttemptName(attempt));
}

proto::TaskResult RunTask(const proto::JobDefinition& job, const proto::TaskAssignment& task,
                          const TaskEnvironment& environment) {
  Env& env = environment.env != nullptr ? *environment.env : *Env::Default();
  const absl::Duration start = env.Monotonic();
  proto::TaskResult result;
  *result.mutable_attempt() = task.attempt();
  result.set_failed_record(-1);  // no record to blame unless the job's code fails on one
  Counters counters;
  absl::Status outcome;
  const JobDefinition* definition =
      environment.registry == nullptr ? nullptr : environment.registry->Find(job.spec().job());
  // A streaming job's mapper and reducers are made for the attempt, from its StreamingSpec.
  std::unique_ptr<StreamingTask> streaming;
  if (definition != nullptr && job.spec().job() == kStreamingJob) {
    absl::StatusOr<std::unique_ptr<StreamingTask>> made =
        StreamingTask::Create(job, task, environment);
    if (made.ok()) {
      streaming = *std::move(made);
      definition = &streaming->definition();
    } else {
      outcome = made.status();
    }
  }
  if (!outcome.ok()) {
    // The attempt could not be set up.
  } else if (definition == nullptr) {
    outcome = absl::FailedPreconditionError(
        absl::StrCat("this worker has no job '", job.spec().job(), "'"));
  } else if (environment.faults != nullptr &&
             !(outcome = environment.faults->FailureFor(task.attempt())).ok()) {
    // An injected failure (tests).
  } else if (task.attempt().kind() == proto::TASK_KIND_MAP) {
    outcome = RunMap(*definition, job, task, environment, counters, result);
  } else {
    outcome = RunReduce(*definition, job, task, environment, counters, result);
  }
  if (environment.faults != nullptr) {
    environment.faults->SlowDown(env.Monotonic() - start, environment.cancelled);
    if (Cancelled(environment) && outcome.ok()) outcome = CancelledError(task.attempt());
  }
  if (streaming != nullptr) result.set_status(streaming->status());
  if (!outcome.ok()) {
    result.clear_outputs();
    result.clear_bag_output();
  }
  result.set_code(StatusCodeToWire(outcome.code()));
  result.set_message(std::string(outcome.message()));
  counters.AddTo(result.mutable_counters());
  result.set_runtime_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(env.Monotonic() - start)));
  return result;
}

}  // namespace braid
