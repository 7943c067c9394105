#include "worker/streaming_task.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "base/file_error.h"
#include "job/aggregate.h"
#include "job/field_selection.h"
#include "job/streaming_spec.h"
#include "proto/attempt_name.h"
#include "worker/part_file_writer.h"
#include "worker/streaming_protocol.h"

extern char** environ;

namespace braid {
namespace {

// What the mapper and reducers share: one command of the task at a time, its stderr handled by
// the task, its stdout lines sent to the Emitter of the current call.
class CommandRunner : public StreamingProcess::Listener {
 public:
  CommandRunner(StreamingTask& task, std::string command)
      : task_(task), command_(std::move(command)) {}

  bool OnErrorLine(absl::string_view line) override { return task_.OnErrorLine(line, context_); }

 protected:
  absl::Status StartCommand() {
    absl::StatusOr<std::unique_ptr<StreamingProcess>> process = task_.Start(command_, this);
    if (!process.ok()) return process.status();
    process_ = *std::move(process);
    return absl::OkStatus();
  }

  StreamingTask& task_;
  const std::string command_;
  TaskContext* context_ = nullptr;
  Emitter* out_ = nullptr;
  std::unique_ptr<StreamingProcess> process_;
};

// Runs the mapper command over a map task's records.
class StreamingMapper final : public Mapper, public CommandRunner {
 public:
  // `split_pairs`: output lines are key/value pairs for the shuffle (else lines of the output).
  StreamingMapper(StreamingTask& task, std::string command, const StreamingFields& fields,
                  bool split_pairs)
      : CommandRunner(task, std::move(command)), fields_(fields), split_pairs_(split_pairs) {}

  absl::Status Setup(TaskContext& context) override {
    context_ = &context;
    return StartCommand();
  }
  absl::Status Map(const Record& record, Emitter& out) override {
    out_ = &out;
    return process_->WriteLine({record.line});
  }
  absl::Status Finish(Emitter& out) override {
    out_ = &out;
    return process_->Finish();
  }

  void OnOutputLine(absl::string_view line) override {
    if (!split_pairs_) {
      line_.clear();
      fields_.AppendMapOnlyOutput(line, &line_);
      out_->Emit(line_, absl::string_view());
      return;
    }
    const StreamingFields::Pair pair = fields_.SplitMapOutput(line);
    out_->Emit(fields_.ShuffleKey(pair.key, &line_), pair.value);
  }

 private:
  const StreamingFields& fields_;
  const bool split_pairs_;
  std::string line_;
};

// Hadoop's IdentityMapper over text input: each line's byte offset as its key, the line as its
// value.
class OffsetMapper final : public Mapper {
 public:
  OffsetMapper(const StreamingFields& fields, bool split_pairs)
      : fields_(fields), split_pairs_(split_pairs) {}

  absl::Status Map(const Record& record, Emitter& out) override {
    offset_.clear();
    absl::StrAppend(&offset_, record.offset);
    if (split_pairs_) {
      out.Emit(fields_.ShuffleKey(offset_, &key_), record.line);
    } else {
      key_.clear();
      fields_.AppendOutput(offset_, record.line, &key_);
      out.Emit(key_, absl::string_view());
    }
    return absl::OkStatus();
  }

 private:
  const StreamingFields& fields_;
  const bool split_pairs_;
  std::string offset_;
  std::string key_;
};

// Hadoop's FieldSelectionMapReduce as the mapper (job/field_selection.h).
class FieldSelectionMapper final : public Mapper {
 public:
  FieldSelectionMapper(const StreamingFields& fields, const FieldSelection& selection,
                       bool split_pairs)
      : fields_(fields), selection_(selection), split_pairs_(split_pairs) {}

  absl::Status Map(const Record& record, Emitter& out) override {
    FieldSelection::Selected selected = selection_.Map(record.line);
    if (split_pairs_) {
      out.Emit(fields_.ShuffleKey(*selected.key, &line_), *selected.value);
    } else {
      line_.clear();
      fields_.AppendOutput(*selected.key, *selected.value, &line_);
      out.Emit(line_, absl::string_view());
    }
    return absl::OkStatus();
  }

 private:
  const StreamingFields& fields_;
  const FieldSelection& selection_;
  const bool split_pairs_;
  std::string line_;
};

// Hadoop's FieldSelectionMapReduce as the reducer: what it selects, written as
// TextOutputFormat writes a pair with a part missing (the other part alone, or nothing).
class FieldSelectionReducer final : public Reducer {
 public:
  FieldSelectionReducer(const StreamingFields& fields, const FieldSelection& selection)
      : fields_(fields), selection_(selection) {}

  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    absl::string_view value;
    while (values.Next(&value)) {
      FieldSelection::Selected selected = selection_.Reduce(fields_.KeyOf(key), value);
      if (selected.key.has_value() && selected.value.has_value()) {
        line_.clear();
        fields_.AppendOutput(*selected.key, *selected.value, &line_);
        out.Emit(line_, absl::string_view());
      } else if (selected.key.has_value() || selected.value.has_value()) {
        out.Emit(selected.key.has_value() ? *selected.key : *selected.value, absl::string_view());
      }
    }
    return absl::OkStatus();
  }

 private:
  const StreamingFields& fields_;
  const FieldSelection& selection_;
  std::string line_;
};

// Runs the reducer command over a reduce task's partition, or the combiner command over each
// pass of a map task's output.
class StreamingReducer final : public Reducer, public CommandRunner {
 public:
  StreamingReducer(StreamingTask& task, std::string command, const StreamingFields& fields,
                   bool combiner)
      : CommandRunner(task, std::move(command)), fields_(fields), combiner_(combiner) {}

  // A reducer's command runs even for an empty partition (it may write something anyway); a
  // combiner's runs once per pass that has pairs.
  absl::Status Setup(TaskContext& context) override {
    context_ = &context;
    return combiner_ ? absl::OkStatus() : StartCommand();
  }
  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    if (process_ == nullptr) {
      absl::Status started = StartCommand();
      if (!started.ok()) return started;
    }
    out_ = &out;
    const absl::string_view written_key = fields_.KeyOf(key);
    absl::string_view value;
    while (values.Next(&value)) {
      absl::Status written =
          process_->WriteLine({written_key, fields_.reduce_input_separator(), value});
      if (!written.ok()) return written;
    }
    return absl::OkStatus();
  }
  absl::Status Finish(Emitter& out) override {
    if (process_ == nullptr) return absl::OkStatus();
    out_ = &out;
    absl::Status finished = process_->Finish();
    process_.reset();
    has_last_key_ = false;
    if (finished.ok() && !order_error_.ok()) finished = order_error_;
    order_error_ = absl::OkStatus();
    return finished;
  }

  void OnOutputLine(absl::string_view line) override {
    if (!combiner_) {
      line_.clear();
      fields_.AppendReduceOutput(line, &line_);
      out_->Emit(line_, absl::string_view());
      return;
    }
    // The pass's output is a sorted run: a key out of order would corrupt it.
    const StreamingFields::Pair pair = fields_.SplitReduceOutput(line);
    if (!order_error_.ok()) return;
    const absl::string_view key = fields_.ShuffleKey(pair.key, &line_);
    if (has_last_key_ && key < last_key_) {
      order_error_ = absl::FailedPreconditionError(
          absl::StrCat("combiner command '", command_, "' wrote key '", pair.key, "' after '",
                       fields_.KeyOf(last_key_), "': a combiner must keep its input's key order"));
      return;
    }
    last_key_.assign(key.data(), key.size());
    has_last_key_ = true;
    out_->Emit(key, pair.value);
  }

 private:
  const StreamingFields& fields_;
  const bool combiner_;
  std::string line_;
  std::string last_key_;
  bool has_last_key_ = false;
  absl::Status order_error_;
};

// The pairs of a job without a reducer command, written as output lines (Hadoop's
// IdentityReducer and TextOutputFormat).
class StreamingPairWriter final : public Reducer {
 public:
  explicit StreamingPairWriter(const StreamingFields& fields) : fields_(fields) {}

  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    absl::string_view value;
    while (values.Next(&value)) {
      line_.clear();
      fields_.AppendPairOutput(key, value, &line_);
      out.Emit(line_, absl::string_view());
    }
    return absl::OkStatus();
  }

 private:
  const StreamingFields& fields_;
  std::string line_;
};

// Hadoop's Aggregate package (-reducer aggregate): each key's values folded by the aggregator
// its TYPE: prefix names (job/aggregate.h). As a combiner it writes the partial state under the
// same key; as a reducer, ID<TAB>REPORT.
class AggregateReducer final : public Reducer {
 public:
  AggregateReducer(const StreamingFields& fields, bool combiner)
      : fields_(fields), combiner_(combiner) {}

  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    absl::StatusOr<AggregateKey> parts = SplitAggregateKey(fields_.KeyOf(key));
    if (!parts.ok()) return parts.status();
    absl::StatusOr<std::unique_ptr<ValueAggregator>> aggregator =
        // Hadoop Streaming's aggregate keeps every distinct value (it does not read
        // mapreduce.aggregate.max.num.unique.values), and so does Braid's.
        MakeValueAggregator(parts->type, UINT64_MAX);
    if (!aggregator.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", fields_.KeyOf(key), "': ", aggregator.status().message()));
    }
    absl::string_view value;
    while (values.Next(&value)) {
      absl::Status added = (*aggregator)->Add(value);
      if (!added.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("key '", fields_.KeyOf(key), "': ", added.message()));
      }
    }
    if (combiner_) {
      for (const std::string& partial : (*aggregator)->CombinerOutput()) out.Emit(key, partial);
      return absl::OkStatus();
    }
    line_.clear();
    fields_.AppendOutput(parts->id, (*aggregator)->Report(), &line_);
    out.Emit(line_, absl::string_view());
    return absl::OkStatus();
  }

 private:
  const StreamingFields& fields_;
  const bool combiner_;
  std::string line_;
};

// Hadoop's ids: job_200707121733_0003 has tasks task_200707121733_0003_m_000005 and attempts
// attempt_200707121733_0003_m_000005_0.
std::string HadoopTaskId(const proto::TaskAttempt& attempt) {
  absl::string_view job = attempt.job_id();
  absl::ConsumePrefix(&job, "job_");
  return absl::StrFormat("%s_%c_%06d", job, attempt.kind() == proto::TASK_KIND_MAP ? 'm' : 'r',
                         attempt.task());
}

bool IsAggregate(absl::string_view command) { return absl::EqualsIgnoreCase(command, "aggregate"); }

// A configuration key as Hadoop exports it: every character but letters, digits and '_' is '_'.
std::string EnvironmentName(absl::string_view key) {
  std::string name(key);
  for (char& c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') c = '_';
  }
  return name;
}

absl::Status WriteShippedFile(const std::string& directory, const proto::ShippedFile& file) {
  const std::string path = absl::StrCat(directory, "/", file.name());
  const mode_t mode = file.mode() != 0 ? file.mode() : (file.executable() ? 0755 : 0644);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create shipped file '", path, "': ", std::strerror(errno)));
  }
  absl::Status written = WriteAll(fd, file.content(), path);
  if (!written.ok()) {
    close(fd);
    return written;
  }
  // The mode as it was where the file was submitted, whatever this process's umask.
  const bool moded = fchmod(fd, mode) == 0;
  const int error = errno;
  close(fd);
  if (!moded) {
    return absl::InternalError(
        absl::StrCat("cannot set the mode of '", path, "': ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

StreamingTask::StreamingTask(const proto::JobDefinition& job, const proto::TaskAssignment& task,
                             const TaskEnvironment& environment)
    : job_(job),
      task_(task),
      environment_(environment),
      attempt_name_(AttemptName(task.attempt())) {}

absl::StatusOr<std::unique_ptr<StreamingTask>> StreamingTask::Create(
    const proto::JobDefinition& job, const proto::TaskAssignment& task,
    const TaskEnvironment& environment) {
  std::unique_ptr<StreamingTask> streaming(new StreamingTask(job, task, environment));
  // Checked when the job was submitted; checked again, as the job may come from an older
  // coordinator.
  absl::StatusOr<StreamingFields> fields = StreamingFields::FromSpec(job.spec());
  if (!fields.ok()) return fields.status();
  streaming->fields_ = *std::move(fields);
  const proto::StreamingSpec& commands = job.spec().streaming();
  if (commands.mapper() == kFieldSelectionClass || commands.reducer() == kFieldSelectionClass) {
    absl::StatusOr<FieldSelection> selection = FieldSelection::FromSpec(job.spec());
    if (!selection.ok()) return selection.status();
    streaming->selection_ = *std::move(selection);
  }
  absl::Status made = streaming->MakeWorkingDirectory();
  if (!made.ok()) return made;
  streaming->MakeEnvironment();
  streaming->MakeDefinition();
  return streaming;
}

StreamingTask::~StreamingTask() {
  if (working_directory_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(working_directory_, ignored);
}

absl::Status StreamingTask::MakeWorkingDirectory() {
  const std::string& job_id = task_.attempt().job_id();
  std::string base = environment_.scratch_dir.empty()
                         ? std::filesystem::temp_directory_path().string()
                         : absl::StrCat(environment_.scratch_dir, "/", job_id);
  absl::Status made = Env::Default()->CreateDirs(base);
  if (!made.ok()) return made;
  std::string pattern = absl::StrCat(base, "/work-", attempt_name_, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot make the task's working directory under '",
                                            base, "': ", std::strerror(errno)));
  }
  working_directory_ = pattern;
  for (const proto::ShippedFile& file : job_.spec().streaming().files()) {
    if (file.name().empty() || file.name().find('/') != std::string::npos || file.name() == "." ||
        file.name() == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("shipped file name '", file.name(), "' is not a plain name"));
    }
    absl::Status written = WriteShippedFile(working_directory_, file);
    if (!written.ok()) return written;
  }
  return absl::OkStatus();
}

void StreamingTask::MakeEnvironment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    variables[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  }
  auto set = [&variables](std::initializer_list<const char*> names, const std::string& value) {
    for (const char* name : names) variables[name] = value;
  };
  const proto::TaskAttempt& attempt = task_.attempt();
  const bool is_map = attempt.kind() == proto::TASK_KIND_MAP;
  const std::string task_id = HadoopTaskId(attempt);
  auto path = variables.find("PATH");
  variables["PATH"] =
      absl::StrCat(working_directory_, ":",
                   path == variables.end() ? "/usr/local/bin:/usr/bin:/bin" : path->second);
  set({"mapreduce_job_id", "mapred_job_id"}, attempt.job_id());
  set({"mapreduce_job_name", "mapred_job_name"},
      job_.spec().name().empty() ? job_.spec().job() : job_.spec().name());
  set({"mapreduce_job_maps", "mapred_map_tasks"}, absl::StrCat(job_.map_tasks()));
  set({"mapreduce_job_reduces", "mapred_reduce_tasks"}, absl::StrCat(job_.reduce_tasks()));
  set({"mapreduce_task_id", "mapred_tip_id"}, absl::StrCat("task_", task_id));
  // Hadoop counts attempts from 0, Braid from 1.
  set({"mapreduce_task_attempt_id", "mapred_task_id"},
      absl::StrCat("attempt_", task_id, "_", std::max<uint32_t>(attempt.attempt(), 1) - 1));
  set({"mapreduce_task_partition", "mapred_task_partition"}, absl::StrCat(attempt.task()));
  set({"mapreduce_task_ismap", "mapred_task_is_map"}, is_map ? "true" : "false");
  set({"mapreduce_output_fileoutputformat_outputdir", "mapred_output_dir"}, job_.spec().output());
  set({"mapreduce_job_local_dir", "job_local_dir"}, working_directory_);
  if (is_map && !task_.split().path().empty()) {
    set({"mapreduce_map_input_file", "map_input_file"}, task_.split().path());
    set({"mapreduce_map_input_start", "map_input_start"}, absl::StrCat(task_.split().offset()));
    set({"mapreduce_map_input_length", "map_input_length"}, absl::StrCat(task_.split().length()));
  }
  for (const auto& [key, value] : job_.spec().config()) variables[EnvironmentName(key)] = value;
  for (const std::string& entry : job_.spec().streaming().cmdenv()) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) continue;  // refused at submit
    variables[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  process_options_.environment.clear();
  for (const auto& [name, value] : variables) {
    process_options_.environment.push_back(absl::StrCat(name, "=", value));
  }
  process_options_.working_directory = working_directory_;
  const uint64_t timeout_ms =
      job_.spec().task_timeout_ms() == 0 ? kDefaultTaskTimeoutMs : job_.spec().task_timeout_ms();
  process_options_.timeout = absl::Milliseconds(static_cast<int64_t>(timeout_ms));
  process_options_.cancelled = environment_.cancelled;
}

void StreamingTask::MakeDefinition() {
  const proto::StreamingSpec& streaming = job_.spec().streaming();
  definition_.name = std::string(kStreamingJob);
  definition_.output_format = OutputFormat::kLine;
  // Map output is split into pairs only when it goes to a shuffle.
  const bool split_pairs = job_.reduce_tasks() > 0;
  const StreamingFields& fields = *fields_;
  if (streaming.mapper() == kIdentityMapper) {
    definition_.mapper = [&fields, split_pairs] {
      return std::make_unique<OffsetMapper>(fields, split_pairs);
    };
  } else if (streaming.mapper() == kFieldSelectionClass) {
    definition_.mapper = [this, &fields, split_pairs] {
      return std::make_unique<FieldSelectionMapper>(fields, *selection_, split_pairs);
    };
  } else {
    definition_.mapper = [this, &fields, command = streaming.mapper(), split_pairs] {
      return std::make_unique<StreamingMapper>(*this, command, fields, split_pairs);
    };
  }
  const bool aggregate = IsAggregate(streaming.reducer());
  if (aggregate) {
    definition_.reducer = [&fields] {
      return std::make_unique<AggregateReducer>(fields, /*combiner=*/false);
    };
  } else if (streaming.reducer() == kFieldSelectionClass) {
    definition_.reducer = [this, &fields] {
      return std::make_unique<FieldSelectionReducer>(fields, *selection_);
    };
  } else if (!streaming.reducer().empty()) {
    definition_.reducer = [this, &fields, command = streaming.reducer()] {
      return std::make_unique<StreamingReducer>(*this, command, fields, /*combiner=*/false);
    };
  } else {
    definition_.reducer = [&fields] { return std::make_unique<StreamingPairWriter>(fields); };
  }
  if (IsAggregate(streaming.combiner()) || (aggregate && streaming.combiner().empty())) {
    // As in Hadoop, an aggregate reducer brings its combiner.
    definition_.combiner = [&fields] {
      return std::make_unique<AggregateReducer>(fields, /*combiner=*/true);
    };
  } else if (!streaming.combiner().empty()) {
    definition_.combiner = [this, &fields, command = streaming.combiner()] {
      return std::make_unique<StreamingReducer>(*this, command, fields, /*combiner=*/true);
    };
  }
  if (fields.MakePartitioner() != nullptr) {
    definition_.partitioner = [&fields] { return fields.MakePartitioner(); };
  }
}

absl::StatusOr<std::unique_ptr<StreamingProcess>> StreamingTask::Start(
    const std::string& command, StreamingProcess::Listener* listener) {
  StreamingProcess::Options options = process_options_;
  options.command = command;
  return StreamingProcess::Start(std::move(options), listener);
}

bool StreamingTask::OnErrorLine(absl::string_view line, TaskContext* context) {
  const ReporterLine reporter = ParseReporterLine(line);
  switch (reporter.kind) {
    case ReporterLine::Kind::kCounter:
      if (context != nullptr) {
        context->IncrementCounter(reporter.group, reporter.counter, reporter.amount);
      }
      return true;
    case ReporterLine::Kind::kStatus:
      status_.assign(reporter.status.data(), reporter.status.size());
      return true;
    case ReporterLine::Kind::kNone:
      break;
  }
  absl::FPrintF(stderr, "%s: %s\n", attempt_name_, line);
  return false;
}

}  // namespace braid
