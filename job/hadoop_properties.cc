#include "job/hadoop_properties.h"

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "job/compressed_output.h"
#include "job/field_selection.h"
#include "job/property_names.h"
#include "job/streaming_fields.h"
#include "job/streaming_spec.h"

namespace braid {
namespace {

// Properties that change a job's answer and that Braid does not honour yet, with the value (if
// any) that means Braid's own behaviour and may therefore be given.
struct Unsupported {
  const char* name;
  const char* harmless;  // nullptr: any value is refused
};

constexpr Unsupported kUnsupported[] = {
    {"stream.num.map.output.key.fields", "1"},
    {"stream.num.reduce.output.key.fields", "1"},
    {"stream.map.output.field.separator", "\t"},
    {"stream.reduce.output.field.separator", "\t"},
    {"stream.map.input.field.separator", "\t"},
    {"stream.reduce.input.field.separator", "\t"},
    {"stream.map.input.ignoreKey", nullptr},
    {"stream.map.input", "text"},
    {"stream.map.output", "text"},
    {"stream.reduce.input", "text"},
    {"stream.reduce.output", "text"},
    {"stream.non.zero.exit.is.failure", "true"},
    {"mapreduce.map.output.key.field.separator", "\t"},
    {"map.output.key.field.separator", "\t"},
    {"mapreduce.partition.keypartitioner.options", nullptr},
    {"mapred.text.key.partitioner.options", nullptr},
    {"mapreduce.partition.keycomparator.options", nullptr},
    {"mapred.text.key.comparator.options", nullptr},
    {"mapreduce.job.output.key.comparator.class", nullptr},
    {"mapred.output.key.comparator.class", nullptr},
    {"mapreduce.job.output.group.comparator.class", nullptr},
    {"mapred.output.value.groupfn.class", nullptr},
    {"mapreduce.job.partitioner.class", nullptr},
    {"mapred.partitioner.class", nullptr},
    {"num.key.fields.for.partition", nullptr},
    {"mapreduce.job.inputformat.class", nullptr},
    {"mapred.input.format.class", nullptr},
    {"mapreduce.job.outputformat.class", nullptr},
    {"mapred.output.format.class", nullptr},
    {"mapreduce.output.textoutputformat.separator", "\t"},
    {"mapred.textoutputformat.separator", "\t"},
    {"mapreduce.input.keyvaluelinerecordreader.key.value.separator", "\t"},
    {"key.value.separator.in.input.line", "\t"},
    {"mapreduce.input.lineinputformat.linespermap", nullptr},
    {"mapreduce.job.reduce.class", nullptr},
    {"mapreduce.job.map.class", nullptr},
    {"mapreduce.job.combine.class", nullptr},
};

absl::StatusOr<int64_t> NonNegative(const std::string& name, const std::string& value) {
  int64_t number = 0;
  if (!absl::SimpleAtoi(value, &number) || number < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=", value, ": expected a whole number, 0 or more"));
  }
  return number;
}

}  // namespace

absl::Status ApplyHadoopProperties(proto::JobSpec& spec, std::vector<std::string>* warnings) {
  std::string which;
  absl::StatusOr<const std::string*> reduces =
      FindProperty(spec, {"mapreduce.job.reduces", "mapred.reduce.tasks"}, &which);
  if (!reduces.ok()) return reduces.status();
  if (*reduces != nullptr) {
    absl::StatusOr<int64_t> count = NonNegative(which, **reduces);
    if (!count.ok()) return count.status();
    if (*count > 100'000) {
      return absl::InvalidArgumentError(absl::StrCat(which, "=", **reduces, " is absurd"));
    }
    spec.set_reducers(static_cast<uint32_t>(*count));
  }
  absl::StatusOr<const std::string*> name =
      FindProperty(spec, {"mapreduce.job.name", "mapred.job.name"}, &which);
  if (!name.ok()) return name.status();
  if (*name != nullptr) spec.set_name(**name);
  absl::StatusOr<const std::string*> timeout =
      FindProperty(spec, {"mapreduce.task.timeout", "mapred.task.timeout"}, &which);
  if (!timeout.ok()) return timeout.status();
  if (*timeout != nullptr) {
    absl::StatusOr<int64_t> ms = NonNegative(which, **timeout);
    if (!ms.ok()) return ms.status();
    if (*ms == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          which, "=0 (no timeout) is not supported: give the longest a task may go silent"));
    }
    spec.set_task_timeout_ms(static_cast<uint64_t>(*ms));
  }
  const bool streaming = spec.job() == kStreamingJob;
  const bool selects_fields = streaming && (spec.streaming().mapper() == kFieldSelectionClass ||
                                            spec.streaming().reducer() == kFieldSelectionClass);
  if (streaming) {
    // The key, separator, comparator and partitioner properties of Hadoop Streaming.
    absl::StatusOr<StreamingFields> fields = StreamingFields::FromSpec(spec);
    if (!fields.ok()) return fields.status();
    if (spec.streaming().combiner() == kFieldSelectionClass) {
      return absl::InvalidArgumentError(
          absl::StrCat(kFieldSelectionClass, " is not supported as a combiner"));
    }
  }
  if (selects_fields) {
    absl::StatusOr<FieldSelection> selection = FieldSelection::FromSpec(spec);
    if (!selection.ok()) return selection.status();
  }
  // Braid has one limit of attempts for map and reduce tasks alike.
  absl::StatusOr<const std::string*> map_attempts =
      FindProperty(spec, {"mapreduce.map.maxattempts", "mapred.map.max.attempts"}, &which);
  if (!map_attempts.ok()) return map_attempts.status();
  const std::string map_name = which;
  absl::StatusOr<const std::string*> reduce_attempts =
      FindProperty(spec, {"mapreduce.reduce.maxattempts", "mapred.reduce.max.attempts"}, &which);
  if (!reduce_attempts.ok()) return reduce_attempts.status();
  if (*map_attempts != nullptr && *reduce_attempts != nullptr &&
      **map_attempts != **reduce_attempts) {
    return absl::InvalidArgumentError(absl::StrCat(
        map_name, "=", **map_attempts, " and ", which, "=", **reduce_attempts,
        " differ: Braid has one limit of attempts for map and reduce tasks (give them the same "
        "value)"));
  }
  for (const auto& [attempts, name] :
       {std::pair{*map_attempts, map_name}, std::pair{*reduce_attempts, which}}) {
    if (attempts == nullptr) continue;
    absl::StatusOr<int64_t> count = NonNegative(name, *attempts);
    if (!count.ok()) return count.status();
    if (*count < 1 || *count > 1000) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "=", *attempts, ": expected 1 to 1000 attempts"));
    }
    spec.set_max_attempts(static_cast<uint32_t>(*count));
  }
  absl::StatusOr<Codec> output_codec = OutputCodecOf(spec);
  if (!output_codec.ok()) return output_codec.status();
  if (*output_codec != Codec::kNone && spec.records_per_task() > 0) {
    return absl::InvalidArgumentError(
        "output compression is for MapReduce jobs: a task bag's output (--records-per-task) is "
        "written as it is");
  }
  if (streaming && spec.streaming().reducer() == "NONE") {
    // Hadoop Streaming's map-only job.
    spec.mutable_streaming()->clear_reducer();
    spec.set_reducers(0);
  }
  for (const auto& [key, value] : spec.config()) {
    if (streaming && StreamingFields::Reads(key)) continue;
    if (selects_fields && FieldSelection::Reads(key)) continue;
    if (FieldSelection::Reads(key)) {
      warnings->push_back(absl::StrCat("property ", key, " has no effect: the job runs no ",
                                       kFieldSelectionClass, " (nor would it in Hadoop)"));
      continue;
    }
    bool known = false;
    for (const Unsupported& property : kUnsupported) {
      if (key != property.name) continue;
      known = true;
      if (property.harmless != nullptr && value == property.harmless) break;
      return absl::InvalidArgumentError(absl::StrCat(
          key, "=", value, " is not supported: it would change the job's answer, and Braid ",
          StreamingFields::Reads(key) ? "honours it for streaming jobs only"
                                      : "does not honour it yet",
          " (docs/jobs.md lists what it honours)"));
    }
    if (known) continue;
    static constexpr const char* kHonoured[] = {"mapreduce.job.reduces",
                                                "mapred.reduce.tasks",
                                                "mapreduce.job.name",
                                                "mapred.job.name",
                                                "mapreduce.task.timeout",
                                                "mapred.task.timeout",
                                                "mapreduce.job.maps",
                                                "mapred.map.tasks",
                                                "mapreduce.map.maxattempts",
                                                "mapred.map.max.attempts",
                                                "mapreduce.reduce.maxattempts",
                                                "mapred.reduce.max.attempts",
                                                "mapreduce.output.fileoutputformat.compress",
                                                "mapred.output.compress",
                                                "mapreduce.output.fileoutputformat.compress.codec",
                                                "mapred.output.compression.codec"};
    for (const char* honoured : kHonoured) known = known || key == honoured;
    if (known) continue;
    if (absl::StartsWith(key, "mapreduce.") || absl::StartsWith(key, "mapred.") ||
        absl::StartsWith(key, "stream.")) {
      warnings->push_back(absl::StrCat("property ", key,
                                       " is not one Braid knows: it is passed to the job's "
                                       "configuration (and a streaming command's environment) "
                                       "and has no other effect"));
    }
  }
  std::string output = spec.output();
  if (absl::Status scheme = CheckPathScheme(output, "output"); !scheme.ok()) return scheme;
  spec.set_output(output);
  for (std::string& input : *spec.mutable_inputs()) {
    if (absl::Status scheme = CheckPathScheme(input, "input"); !scheme.ok()) return scheme;
  }
  return absl::OkStatus();
}

absl::Status CheckPathScheme(std::string& path, const char* what) {
  // file:/data, as Hadoop's Path writes a local path.
  if (absl::StartsWith(path, "file:/") && !absl::StartsWith(path, "file://")) {
    path = path.substr(5);
    return absl::OkStatus();
  }
  const size_t scheme_end = path.find("://");
  if (scheme_end == std::string::npos) return absl::OkStatus();
  const std::string scheme = path.substr(0, scheme_end);
  for (char c : scheme) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '.' && c != '-') {
      return absl::OkStatus();  // not a scheme: a file name that happens to contain "://"
    }
  }
  if (scheme == "file") {
    path = path.substr(scheme_end + 3);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " '", path, "' names another filesystem (", scheme,
      "://): Braid reads and writes paths that its workers and coordinator see (file:// or a "
      "plain path)"));
}

}  // namespace braid
