#include "coordinator/planner.h"

#include <fnmatch.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "job/compressed_input.h"
#include "job/file_identity.h"
#include "job/output_layout.h"
#include "job/split_reader.h"
#include "job/streaming_spec.h"

namespace braid {
namespace {

// Keys sampled for a range partitioner, in all.
constexpr size_t kSamples = 10'000;

bool IsHidden(const std::string& name) { return name.empty() || name[0] == '_' || name[0] == '.'; }

absl::Status CheckReadable(Env& env, const std::string& path) {
  absl::Status readable = env.CheckReadable(path);
  if (readable.ok()) return readable;
  std::string message = absl::StrCat("input '", path, "' cannot be read: ", readable.message());
  return absl::IsNotFound(readable) ? absl::NotFoundError(message)
                                    : absl::PermissionDeniedError(message);
}

// The files `path` names: itself, or the visible files of a directory.
// What --overwrite may remove: nothing, or a job's output — a directory holding only part
// files, _SUCCESS and _temporary (job/output_layout.h).
absl::Status CheckReplaceableOutput(Env& env, const std::string& output) {
  absl::StatusOr<FileInfo> info = env.Stat(output);
  if (!info.ok()) return absl::OkStatus();  // nothing there to replace
  auto refuse = [&output](absl::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat("--overwrite replaces only a job's output, and '", output, "' ", why,
                     ": remove it yourself if it is to go"));
  };
  if (info->type != FileInfo::Type::kDirectory) return refuse("is not a directory");
  absl::StatusOr<std::vector<std::string>> names = env.GetChildren(output);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (name == kSuccessMarker || name == kTemporaryDir || absl::StartsWith(name, "part-"))
      continue;
    return refuse(absl::StrCat("holds '", name, "', which no job writes"));
  }
  return absl::OkStatus();
}

absl::Status AddPath(Env& env, const std::string& path, std::vector<std::string>& files) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok()) {
    if (absl::IsNotFound(info.status())) {
      return absl::NotFoundError(absl::StrCat("input '", path, "' does not exist"));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("input '", path, "' cannot be read: ", info.status().message()));
  }
  if (info->type != FileInfo::Type::kDirectory) {
    files.push_back(path);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> names = env.GetChildren(path);
  if (!names.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("input directory '", path, "' cannot be listed: ", names.status().message()));
  }
  for (const std::string& name : *names) {
    if (IsHidden(name)) continue;
    const std::string child = absl::StrCat(path, "/", name);
    absl::StatusOr<FileInfo> child_info = env.Stat(child);
    if (child_info.ok() && child_info->type == FileInfo::Type::kRegular) files.push_back(child);
  }
  return absl::OkStatus();
}

// kInvalidArgument if `map_tasks` and the job's reducers are more than `max_tasks`. (With
// `counted_in_full` false, the count stopped once it passed the limit.)
absl::Status CheckTaskCount(uint64_t map_tasks, const proto::JobSpec& spec, uint64_t max_tasks,
                            bool counted_in_full = true) {
  const uint64_t total = map_tasks + spec.reducers();
  if (total <= max_tasks) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the job would have ", counted_in_full ? "" : "at least ", total, " tasks (",
      counted_in_full ? "" : "at least ", map_tasks, " map, ", spec.reducers(),
      " reduce), more than this coordinator's limit of ", max_tasks, " (its --max-tasks): ",
      spec.records_per_task() > 0 ? "give a larger --records-per-task"
                                  : "give a larger --split-size"));
}

std::vector<proto::InputSplit> CutBySize(const std::string& path, uint64_t size,
                                         uint64_t split_size) {
  std::vector<proto::InputSplit> splits;
  for (uint64_t offset = 0; offset < size; offset += split_size) {
    proto::InputSplit split;
    split.set_path(path);
    split.set_offset(offset);
    split.set_length(std::min(split_size, size - offset));
    split.set_file_size(size);
    splits.push_back(std::move(split));
  }
  return splits;
}

// Splits of `records` lines each.
// At most `max_splits` (one more means too many: the caller refuses the job).
absl::StatusOr<std::vector<proto::InputSplit>> CutByRecords(Env& env, const std::string& path,
                                                            uint64_t size, uint32_t records,
                                                            uint64_t max_splits) {
  absl::StatusOr<std::unique_ptr<SplitReader>> reader = SplitReader::Open(path, 0, size, env);
  if (!reader.ok()) return reader.status();
  std::vector<proto::InputSplit> splits;
  Record record;
  uint64_t count = 0;
  while ((*reader)->Next(&record)) {
    if (count++ % records != 0) continue;
    if (splits.size() > max_splits) break;  // too many: the caller says so
    if (!splits.empty()) splits.back().set_length(record.offset - splits.back().offset());
    proto::InputSplit split;
    split.set_path(path);
    split.set_offset(record.offset);
    split.set_file_size(size);
    splits.push_back(std::move(split));
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  if (!splits.empty()) splits.back().set_length(size - splits.back().offset());
  return splits;
}

// Packs small files, in their order, into combined splits of at most the split size and
// kMaxSplitParts files; a file that is not small ends the combined split being filled.
class SmallFilePacker {
 public:
  SmallFilePacker(bool enabled, uint64_t split_size) : enabled_(enabled), split_size_(split_size) {}

  bool IsSmall(uint64_t size) const {
    return enabled_ && size > 0 && size < split_size_ / kSmallFileDivisor;
  }
  // For a small file, in order: whether it starts another combined split.
  bool StartsSplit(uint64_t size) {
    const bool starts = files_ == 0 || bytes_ + size > split_size_ || files_ == kMaxSplitParts;
    if (starts) {
      bytes_ = 0;
      files_ = 0;
    }
    bytes_ += size;
    ++files_;
    return starts;
  }
  // A file that is not small comes next.
  void EndSplit() {
    bytes_ = 0;
    files_ = 0;
  }

 private:
  const bool enabled_;
  const uint64_t split_size_;
  uint64_t bytes_ = 0;
  uint32_t files_ = 0;
};

// What a file counts as when small files are packed: its size, or for a compressed file four
// times it (about what text shrinks to), so that a pack of them is not far more text than one
// split.
uint64_t PackedBytes(uint64_t size, bool compressed) {
  return compressed ? size * kCompressionAllowance : size;
}

// Whether the job's small files are packed into combined splits. By default only for a job whose
// definition says its mapper allows it (not streaming: a command may read map_input_file, which
// a combined task cannot set); asked for, for any job that does not say otherwise.
absl::StatusOr<bool> CombinesInputs(const proto::JobSpec& spec, const JobDefinition* definition) {
  const bool combinable = definition != nullptr && definition->combinable_inputs;
  switch (spec.combine_inputs()) {
    case proto::INPUT_COMBINING_ON:
      if (definition != nullptr && !combinable && spec.job() != kStreamingJob) {
        return absl::InvalidArgumentError(
            absl::StrCat("job '", spec.job(),
                         "' cannot combine its input files (its mapper may "
                         "depend on which file a record is from): give --combine-inputs off"));
      }
      return true;
    case proto::INPUT_COMBINING_OFF:
      return false;
    default:
      return combinable;
  }
}

// Reducers - 1 boundaries at the quantiles of keys sampled from the start of each split (of
// each file of a combined split).
absl::StatusOr<std::vector<std::string>> SampleBoundaries(
    Env& env, const std::vector<proto::InputSplit>& combined, uint32_t reducers,
    const std::function<std::string(absl::string_view)>& sample_key) {
  std::vector<proto::InputSplit> splits;
  for (const proto::InputSplit& split : combined) {
    if (split.parts().empty()) splits.push_back(split);
    splits.insert(splits.end(), split.parts().begin(), split.parts().end());
  }
  std::vector<std::string> samples;
  const size_t per_split = std::max<size_t>(1, kSamples / std::max<size_t>(1, splits.size()));
  for (const proto::InputSplit& split : splits) {
    absl::StatusOr<std::unique_ptr<SplitReader>> reader =
        SplitReader::Open(split.path(), split.offset(), split.length(), env);
    if (!reader.ok()) return reader.status();
    Record record;
    for (size_t i = 0; i < per_split && (*reader)->Next(&record); ++i) {
      samples.push_back(sample_key(record.line));
    }
    if (!(*reader)->status().ok()) return (*reader)->status();
  }
  std::sort(samples.begin(), samples.end());
  std::vector<std::string> boundaries;
  if (samples.empty()) return boundaries;
  for (uint32_t i = 1; i < reducers; ++i) {
    boundaries.push_back(samples[samples.size() * i / reducers]);
  }
  return boundaries;
}

}  // namespace

absl::StatusOr<uint64_t> ParseByteSize(absl::string_view text) {
  absl::string_view number = absl::StripAsciiWhitespace(text);
  uint64_t multiplier = 1;
  struct Suffix {
    absl::string_view text;
    uint64_t multiplier;
  };
  static constexpr Suffix kSuffixes[] = {{"KiB", 1ull << 10},
                                         {"MiB", 1ull << 20},
                                         {"GiB", 1ull << 30},
                                         {"TiB", 1ull << 40},
                                         {"KB", 1ull << 10},
                                         {"MB", 1ull << 20},
                                         {"GB", 1ull << 30},
                                         {"TB", 1ull << 40},
                                         {"K", 1ull << 10},
                                         {"M", 1ull << 20},
                                         {"G", 1ull << 30},
                                         {"T", 1ull << 40},
                                         {"B", 1}};
  for (const Suffix& suffix : kSuffixes) {
    if (absl::EndsWithIgnoreCase(number, suffix.text)) {
      number.remove_suffix(suffix.text.size());
      multiplier = suffix.multiplier;
      break;
    }
  }
  uint64_t value;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(number), &value) ||
      value > UINT64_MAX / multiplier) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a size (write bytes, or a number with KiB, MiB, GiB or TiB)"));
  }
  return value * multiplier;
}

namespace {

// At most this many patterns from one input's {a,b} alternatives.
constexpr size_t kMaxBraceExpansions = 1024;

// The patterns a pattern with {a,b} alternatives stands for (nested ones too), as Hadoop's
// globs and the shell's brace expansion read them; a '{' without its '}' is a plain character.
// kInvalidArgument for an empty {} (it matches no name), more than 64 groups or more than
// kMaxBraceExpansions patterns.
absl::StatusOr<std::vector<std::string>> ExpandBraces(const std::string& input) {
  if (std::count(input.begin(), input.end(), '{') > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("input glob '", input.substr(0, 200), "...' has more than 64 {...} groups"));
  }
  std::vector<std::string> done;
  std::vector<std::pair<std::string, size_t>> pending = {{input, 0}};  // pattern, where to look
  while (!pending.empty()) {
    auto [pattern, from] = std::move(pending.back());
    pending.pop_back();
    // The first '{' at or after `from` that has its '}'.
    size_t open = pattern.find('{', from);
    size_t close = std::string::npos;
    std::vector<size_t> commas;
    while (open != std::string::npos) {
      int depth = 0;
      commas.clear();
      for (size_t i = open; i < pattern.size(); ++i) {
        if (pattern[i] == '{') ++depth;
        if (pattern[i] == '}' && --depth == 0) {
          close = i;
          break;
        }
        if (pattern[i] == ',' && depth == 1) commas.push_back(i);
      }
      if (close != std::string::npos) break;
      open = pattern.find('{', open + 1);
    }
    if (open == std::string::npos) {
      done.push_back(std::move(pattern));
      if (done.size() > kMaxBraceExpansions) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input glob '", input, "' stands for more than ", kMaxBraceExpansions, " patterns"));
      }
      continue;
    }
    if (close == open + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("input glob '", input, "' has an empty {}, which matches no name"));
    }
    commas.push_back(close);
    size_t begin = open + 1;
    std::vector<std::pair<std::string, size_t>> alternatives;
    for (size_t end : commas) {
      alternatives.emplace_back(
          pattern.substr(0, open) + pattern.substr(begin, end - begin) + pattern.substr(close + 1),
          open);
      begin = end + 1;
    }
    // Kept in order: the last pushed is expanded first.
    for (auto it = alternatives.rbegin(); it != alternatives.rend(); ++it) {
      pending.push_back(std::move(*it));
    }
    if (pending.size() + done.size() > kMaxBraceExpansions) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input glob '", input, "' stands for more than ", kMaxBraceExpansions, " patterns"));
    }
  }
  return done;
}

// kInvalidArgument if the output directory is among the inputs: its files would be read (and
// then replaced), or a glob would read them on the next run.
absl::Status CheckOutputOutsideInputs(const proto::JobSpec& spec,
                                      const std::vector<std::string>& files) {
  const std::string& output = spec.output();
  for (const std::string& file : files) {
    if (absl::StartsWith(file, absl::StrCat(output, "/"))) {
      return absl::InvalidArgumentError(absl::StrCat("the output directory '", output,
                                                     "' is inside the input: its file '", file,
                                                     "' would be read as input"));
    }
  }
  for (const std::string& input : spec.inputs()) {
    absl::StatusOr<std::vector<std::string>> patterns = ExpandBraces(input);
    if (!patterns.ok()) return patterns.status();
    for (const std::string& pattern : *patterns) {
      if (pattern.find_first_of("*?[") != std::string::npos &&
          fnmatch(pattern.c_str(), output.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("the output directory '", output, "' matches the input glob '", input,
                         "': the next run would read this one's output as its input"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExpandInputs(Env& env,
                                                      const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    // A path that exists is itself, whatever characters it holds; only then a glob.
    if (input.find_first_of("*?[{") == std::string::npos || env.Exists(input)) {
      absl::Status added = AddPath(env, input, files);
      if (!added.ok()) return added;
      continue;
    }
    absl::StatusOr<std::vector<std::string>> patterns = ExpandBraces(input);
    if (!patterns.ok()) return patterns.status();
    std::vector<std::string> matches;
    for (const std::string& pattern : *patterns) {
      if (pattern.find_first_of("*?[") == std::string::npos) {
        // An alternative without wildcards matches itself, if it is there.
        if (env.Exists(pattern)) matches.push_back(pattern);
        continue;
      }
      absl::StatusOr<std::vector<std::string>> matched = env.Glob(pattern);
      if (!matched.ok()) {
        return absl::PermissionDeniedError(
            absl::StrCat("input glob '", input, "' cannot be read: ", matched.status().message()));
      }
      matches.insert(matches.end(), matched->begin(), matched->end());
    }
    if (matches.empty()) {
      return absl::NotFoundError(absl::StrCat("input glob '", input, "' matches no file"));
    }
    for (const std::string& match : matches) {
      absl::Status added = AddPath(env, match, files);
      if (!added.ok()) return added;
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  for (const std::string& file : files) {
    absl::Status readable = CheckReadable(env, file);
    if (!readable.ok()) return readable;
  }
  return files;
}

absl::StatusOr<JobPlan> PlanJob(Env& env, const proto::JobSpec& spec,
                                const JobDefinition* definition, uint64_t max_tasks) {
  JobPlan plan;
  if (spec.reducers() > kMaxReducers) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.reducers(), " reducers is absurd (at most ", kMaxReducers, ")"));
  }
  plan.reducers = spec.reducers();
  const uint64_t split_size = spec.split_size() == 0 ? kDefaultSplitSize : spec.split_size();
  const JobConfig config(
      absl::flat_hash_map<std::string, std::string>(spec.config().begin(), spec.config().end()));
  for (const auto& [key, value] : spec.config()) {
    if (key.empty()) return absl::InvalidArgumentError("a --set has an empty key");
  }
  absl::Status streaming = ValidateStreamingSpec(spec);
  if (!streaming.ok()) return streaming;
  if (definition != nullptr && definition->validate) {
    absl::Status valid = definition->validate(config);
    if (!valid.ok()) return valid;
  }
  const bool bag = spec.records_per_task() > 0;
  if (bag && spec.reducers() > 0) {
    return absl::InvalidArgumentError(
        "a task bag (--records-per-task) has no reduce phase: give --reducers 0");
  }
  // Only a task bag, or a map-only job that reads nothing (noop), may go without an output.
  if (spec.output().empty() && !bag &&
      (spec.reducers() > 0 || definition == nullptr || definition->needs_input)) {
    return absl::InvalidArgumentError("the job needs an output directory (--output)");
  }
  if (!spec.output().empty() && !spec.overwrite()) {
    if (env.Exists(spec.output())) {
      return absl::AlreadyExistsError(absl::StrCat("output directory '", spec.output(),
                                                   "' already exists (--overwrite replaces it)"));
    }
  }
  if (!spec.output().empty() && spec.overwrite()) {
    absl::Status replaceable = CheckReplaceableOutput(env, spec.output());
    if (!replaceable.ok()) return replaceable;
  }

  if (definition != nullptr && !definition->needs_input) {
    absl::StatusOr<int64_t> tasks = config.GetInt("tasks", 1);
    if (!tasks.ok()) return tasks.status();
    if (*tasks < 1 || static_cast<uint64_t>(*tasks) > kMaxMapTasks) {
      return absl::InvalidArgumentError(absl::StrCat("tasks must be 1 to ", kMaxMapTasks));
    }
    if (absl::Status bounded = CheckTaskCount(static_cast<uint64_t>(*tasks), spec, max_tasks);
        !bounded.ok()) {
      return bounded;
    }
    plan.splits.resize(static_cast<size_t>(*tasks));
    return plan;
  }

  if (spec.inputs().empty()) return absl::InvalidArgumentError("the job needs input (--input)");
  absl::StatusOr<std::vector<std::string>> files =
      ExpandInputs(env, std::vector<std::string>(spec.inputs().begin(), spec.inputs().end()));
  if (!files.ok()) return files.status();
  // The sizes first: a job of too many tasks is refused before a split is made.
  std::vector<uint64_t> sizes;
  sizes.reserve(files->size());
  uint64_t tasks = 0;
  absl::StatusOr<bool> combines = CombinesInputs(spec, definition);
  if (!combines.ok()) return combines.status();
  SmallFilePacker counting(!bag && *combines, split_size);
  for (const std::string& file : *files) {
    // Hadoop reads these decompressed; read as they are, they are not the text they hold.
    if (absl::Status readable = CheckReadableCompression(file); !readable.ok()) return readable;
    const bool compressed = CodecOf(file) != Codec::kNone;
    if (compressed && bag) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", file,
                       "' is compressed: a task bag (--records-per-task) cuts its input by "
                       "lines, which a compressed file cannot be; decompress it first"));
    }
    absl::StatusOr<FileInfo> info = env.Stat(file);
    if (!info.ok()) return absl::NotFoundError(absl::StrCat("input '", file, "' disappeared"));
    sizes.push_back(info->size);
    // (A task bag's count is known once its lines are counted, below.)
    // (At most one task per byte: the sum is below the inputs' total size.)
    if (const uint64_t packed = PackedBytes(info->size, compressed); counting.IsSmall(packed)) {
      if (counting.StartsSplit(packed)) ++tasks;
    } else if (!bag && info->size > 0) {
      counting.EndSplit();
      tasks += compressed ? 1 : (info->size - 1) / split_size + 1;
    }
  }
  if (absl::Status bounded = CheckTaskCount(tasks, spec, max_tasks); !bounded.ok()) return bounded;
  SmallFilePacker packing(!bag && *combines, split_size);
  for (size_t f = 0; f < files->size(); ++f) {
    const std::string& file = (*files)[f];
    const bool compressed = CodecOf(file) != Codec::kNone;
    const uint64_t size = sizes[f];
    plan.input_bytes += size;
    if (size == 0) continue;  // no lines, no task
    // Which file this is, so that a worker without it (or with another of the same name) fetches
    // its splits from here rather than read something else.
    absl::StatusOr<proto::FileIdentity> identity = IdentifyFile(env, file);
    if (!identity.ok()) return identity.status();
    if (const uint64_t packed = PackedBytes(size, compressed); packing.IsSmall(packed)) {
      if (packing.StartsSplit(packed)) plan.splits.emplace_back();
      proto::InputSplit* part = plan.splits.back().add_parts();
      part->set_path(file);
      // A compressed file is read whole, as when it is a split of its own.
      part->set_length(compressed ? std::max<uint64_t>(size, 1) : size);
      part->set_file_size(size);
      *part->mutable_identity() = *identity;
      continue;
    }
    packing.EndSplit();
    const size_t first_split = plan.splits.size();
    if (bag) {
      absl::StatusOr<std::vector<proto::InputSplit>> splits =
          CutByRecords(env, file, size, spec.records_per_task(),
                       max_tasks - std::min<uint64_t>(max_tasks, plan.splits.size()));
      if (!splits.ok()) return splits.status();
      for (proto::InputSplit& split : *splits) plan.splits.push_back(std::move(split));
    } else {
      // A compressed file is one split, read whole (as in Hadoop).
      for (proto::InputSplit& split :
           CutBySize(file, size, compressed ? std::max<uint64_t>(size, 1) : split_size)) {
        plan.splits.push_back(std::move(split));
      }
    }
    for (size_t i = first_split; i < plan.splits.size(); ++i) {
      *plan.splits[i].mutable_identity() = *identity;
    }
    if (bag) {
      if (absl::Status bounded =
              CheckTaskCount(plan.splits.size(), spec, max_tasks, /*counted_in_full=*/false);
          !bounded.ok()) {
        return bounded;
      }
    }
  }
  // A combined split of one file is that file's split.
  for (proto::InputSplit& split : plan.splits) {
    if (split.parts_size() == 1) {
      proto::InputSplit only = split.parts(0);
      split = std::move(only);
    }
  }
  if (!spec.output().empty()) {
    absl::Status apart = CheckOutputOutsideInputs(spec, *files);
    if (!apart.ok()) return apart;
  }
  if (definition != nullptr && definition->sample_key && plan.reducers > 1) {
    absl::StatusOr<std::vector<std::string>> boundaries =
        SampleBoundaries(env, plan.splits, plan.reducers, definition->sample_key);
    if (!boundaries.ok()) return boundaries.status();
    plan.boundaries = *std::move(boundaries);
  }
  return plan;
}

}  // namespace braid
