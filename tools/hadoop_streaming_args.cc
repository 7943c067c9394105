#include "tools/hadoop_streaming_args.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "job/field_selection.h"
#include "job/hadoop_properties.h"
#include "job/streaming_spec.h"
#include "tools/flags.h"
#include "tools/streaming_flags.h"

namespace braid {
namespace {

// Java classes a streaming command line may name as its mapper, reducer or combiner, and what
// Braid runs for them.
constexpr const char* kIdentityReducers[] = {"org.apache.hadoop.mapred.lib.IdentityReducer",
                                             "IdentityReducer"};
constexpr const char* kIdentityMappers[] = {"org.apache.hadoop.mapred.lib.IdentityMapper",
                                            "IdentityMapper"};
constexpr const char* kTextInputFormats[] = {"org.apache.hadoop.mapred.TextInputFormat",
                                             "TextInputFormat"};
constexpr const char* kCombinedTextInputFormats[] = {
    "org.apache.hadoop.mapred.lib.CombineTextInputFormat",
    "org.apache.hadoop.mapreduce.lib.input.CombineTextInputFormat", "CombineTextInputFormat"};
constexpr const char* kTextOutputFormats[] = {"org.apache.hadoop.mapred.TextOutputFormat",
                                              "TextOutputFormat"};

// True for a name like org.apache.hadoop.mapred.lib.FieldSelectionMapReduce: dotted words, the
// last capitalised, nothing a shell command would have.
bool LooksLikeAJavaClass(absl::string_view value) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, '.');
  if (parts.size() < 2) return false;
  for (absl::string_view part : parts) {
    if (part.empty()) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$') return false;
    }
  }
  return absl::ascii_isupper(static_cast<unsigned char>(parts.back()[0]));
}

template <size_t N>
bool OneOf(absl::string_view value, const char* const (&names)[N]) {
  for (const char* name : names) {
    if (value == name) return true;
  }
  return false;
}

// Braid's own flags that `braid streaming` takes, and whether each takes a value.
struct BraidFlag {
  const char* name;
  bool takes_value;
};
constexpr BraidFlag kBraidFlags[] = {
    {"coordinator", true}, {"workers", true},         {"slots", true},
    {"curve_key", true},   {"coordinator_key", true}, {"data_plane", false},
};

// Options refused by name, with why.
struct Refused {
  const char* option;
  const char* why;
};
constexpr Refused kRefused[] = {
    {"-conf", "Hadoop configuration files are not read: give each property with -D"},
    {"-libjars", "Braid runs no Java: a Java mapper or reducer cannot be shipped"},
    {"-archives", "archives are not unpacked: ship the files themselves with -files"},
    {"-cacheArchive", "archives are not unpacked: ship the files themselves with -files"},
    {"-cacheFile", "files are shipped from local paths: use -files"},
    {"-inputreader", "only text input (lines) is read"},
    {"-mapdebug", "debug scripts are not run: a failed attempt's error names its stderr"},
    {"-reducedebug", "debug scripts are not run: a failed attempt's error names its stderr"},
    {"-lazyOutput", "every reduce task writes its part file, empty or not"},
    {"-additionalconfspec", "Hadoop configuration files are not read: give each property with -D"},
};

class Parser {
 public:
  explicit Parser(const std::vector<std::string>& args) : args_(args) {}

  absl::StatusOr<StreamingCommandLine> Parse() {
    line_.spec.set_job(std::string(kStreamingJob));
    line_.spec.set_reducers(1);
    line_.spec.set_split_size(uint64_t{64} << 20);
    line_.spec.set_max_attempts(4);
    line_.spec.set_task_timeout_ms(kDefaultTaskTimeoutMs);
    for (i_ = 0; i_ < args_.size(); ++i_) {
      absl::Status taken = Take(args_[i_]);
      if (!taken.ok()) return taken;
      if (line_.help) return std::move(line_);
    }
    return Finish();
  }

 private:
  absl::StatusOr<std::string> Value(absl::string_view option) {
    if (i_ + 1 >= args_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(option, " needs a value"));
    }
    return args_[++i_];
  }

  absl::Status SetProperty(absl::string_view option, absl::string_view assignment) {
    const size_t equals = assignment.find('=');
    if (equals == absl::string_view::npos || equals == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(option, " '", assignment, "' is not PROPERTY=VALUE"));
    }
    (*line_.spec.mutable_config())[std::string(assignment.substr(0, equals))] =
        std::string(assignment.substr(equals + 1));
    return absl::OkStatus();
  }

  // Ships the file at `path` under its base name, or under `alias` if one is given.
  absl::Status Ship(absl::string_view option, const std::string& path,
                    const std::string& alias = "") {
    uint64_t used = 0;
    for (const proto::ShippedFile& file : line_.spec.streaming().files()) {
      used += file.content().size();
    }
    proto::ShippedFile file;
    absl::Status read = ReadShippedFile(option, path, kMaxShippedBytes - used, file);
    if (!read.ok()) return read;
    if (!alias.empty()) file.set_name(alias);
    for (const proto::ShippedFile& shipped : line_.spec.streaming().files()) {
      if (shipped.name() != file.name()) continue;
      if (shipped.content() == file.content() && shipped.mode() == file.mode()) {
        return absl::OkStatus();  // -file x -files x
      }
      return absl::InvalidArgumentError(
          absl::StrCat(option, " '", path, "': another file is already shipped as '", file.name(),
                       "' (give one of them another name with PATH#NAME)"));
    }
    *line_.spec.mutable_streaming()->add_files() = std::move(file);
    return absl::OkStatus();
  }

  // A Braid flag (--name=VALUE, --name VALUE, -name VALUE); false if `arg` is not one.
  absl::StatusOr<bool> TakeBraidFlag(const std::string& arg) {
    absl::string_view text = arg;
    if (!absl::ConsumePrefix(&text, "--") && !absl::ConsumePrefix(&text, "-")) return false;
    std::string name(text.substr(0, text.find('=')));
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    for (const BraidFlag& flag : kBraidFlags) {
      if (name != flag.name) continue;
      std::string value;
      if (text.find('=') != absl::string_view::npos) {
        value = std::string(text.substr(text.find('=') + 1));
      } else if (flag.takes_value) {
        absl::StatusOr<std::string> next = Value(arg);
        if (!next.ok()) return next.status();
        value = *next;
      } else {
        value = "true";
      }
      line_.braid_flags.push_back(absl::StrCat("--", name, "=", value));
      if (name == "coordinator") line_.has_coordinator = true;
      return true;
    }
    return false;
  }

  absl::Status Take(const std::string& arg) {
    if (arg == "-help" || arg == "--help" || arg == "-info" || arg == "-h") {
      line_.help = true;
      return absl::OkStatus();
    }
    absl::StatusOr<bool> braid = TakeBraidFlag(arg);
    if (!braid.ok()) return braid.status();
    if (*braid) return absl::OkStatus();
    if (absl::StartsWith(arg, "-D") && arg.size() > 2) return SetProperty("-D", arg.substr(2));
    for (const Refused& refused : kRefused) {
      if (arg == refused.option) {
        return absl::InvalidArgumentError(absl::StrCat(arg, " is not supported: ", refused.why));
      }
    }
    if (arg == "-D" || arg == "-jobconf") {
      absl::StatusOr<std::string> value = Value(arg);
      if (!value.ok()) return value.status();
      return SetProperty(arg, *value);
    }
    if (arg == "-verbose") return absl::OkStatus();  // Braid's progress shows either way
    if (arg == "-background") {
      line_.background = true;
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> value = Value(arg);
    if (!value.ok()) {
      if (!absl::StartsWith(arg, "-")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected argument '", arg, "' (options start with '-': braid streaming -help)"));
      }
      return value.status();
    }
    return TakeWithValue(arg, *value);
  }

  absl::Status TakeWithValue(const std::string& option, const std::string& value) {
    proto::StreamingSpec& streaming = *line_.spec.mutable_streaming();
    if (option == "-input") {
      // Commas separate paths, except inside a glob's {a,b} (as Hadoop's getPathStrings reads).
      int depth = 0;
      std::string path;
      for (char c : value) {
        if (c == '{') ++depth;
        if (c == '}' && depth > 0) --depth;
        if (c == ',' && depth == 0) {
          if (!path.empty()) inputs_.push_back(std::move(path));
          path.clear();
          continue;
        }
        path.push_back(c);
      }
      if (!path.empty()) inputs_.push_back(std::move(path));
      return absl::OkStatus();
    }
    if (option == "-output") {
      output_ = value;
      return absl::OkStatus();
    }
    if ((option == "-reducer" || option == "-combiner") && OneOf(value, kIdentityMappers)) {
      return absl::InvalidArgumentError(
          absl::StrCat(option, " ", value, " is not supported: IdentityMapper is a mapper"));
    }
    if (option == "-combiner" && OneOf(value, kIdentityReducers)) {
      streaming.clear_combiner();  // combining pairs into themselves: no combiner
      return absl::OkStatus();
    }
    if (option == "-mapper" && OneOf(value, kIdentityReducers)) {
      return absl::InvalidArgumentError(
          absl::StrCat("-mapper ", value, " is not supported: IdentityReducer is a reducer"));
    }
    if (option == "-combiner" && value == kFieldSelectionClass) {
      return absl::InvalidArgumentError(
          absl::StrCat("-combiner ", value,
                       " is not supported: it selects fields as a mapper or a "
                       "reducer only"));
    }
    if ((option == "-mapper" || option == "-reducer" || option == "-combiner") &&
        !OneOf(value, kIdentityMappers) && !OneOf(value, kIdentityReducers) &&
        value != kFieldSelectionClass && LooksLikeAJavaClass(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          option, " ", value,
          " is not supported: it names a Java class, and Braid runs commands (what it knows "
          "besides: IdentityMapper, IdentityReducer, FieldSelectionMapReduce, aggregate, and NONE "
          "for no reducer)"));
    }
    if (option == "-mapper") {
      mapper_ = OneOf(value, kIdentityMappers) ? std::string(kIdentityMapper) : value;
      return absl::OkStatus();
    }
    if (option == "-reducer") {
      reducer_ = value;
      return absl::OkStatus();
    }
    if (option == "-combiner") {
      streaming.set_combiner(value);
      return absl::OkStatus();
    }
    if (option == "-file") return Ship(option, value);
    if (option == "-files") {
      for (absl::string_view path : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        std::string local(path);
        // PATH#NAME: shipped as NAME (Hadoop's cache link name).
        std::string alias;
        if (const size_t hash = local.find('#'); hash != std::string::npos) {
          alias = local.substr(hash + 1);
          local.resize(hash);
          if (alias.empty() || alias.find('/') != std::string::npos || alias == "." ||
              alias == "..") {
            return absl::InvalidArgumentError(
                absl::StrCat("-files '", path, "': the name after # must be a plain file name"));
          }
        }
        absl::Status scheme = CheckFileScheme(option, local);
        if (!scheme.ok()) return scheme;
        absl::Status shipped = Ship(option, local, alias);
        if (!shipped.ok()) return shipped;
      }
      return absl::OkStatus();
    }
    if (option == "-cmdenv") {
      streaming.add_cmdenv(value);
      return absl::OkStatus();
    }
    if (option == "-numReduceTasks") {
      int count = 0;
      if (!absl::SimpleAtoi(value, &count) || count < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("-numReduceTasks ", value, ": expected a whole number, 0 or more"));
      }
      // As in Hadoop, it wins over -D mapreduce.job.reduces, wherever that is.
      reduce_tasks_ = count;
      return absl::OkStatus();
    }
    if (option == "-partitioner") {
      (*line_.spec.mutable_config())["mapreduce.job.partitioner.class"] = value;
      return absl::OkStatus();
    }
    if (option == "-inputformat") {
      if (OneOf(value, kTextInputFormats)) return absl::OkStatus();
      if (OneOf(value, kCombinedTextInputFormats)) {
        // Many files to a map task: the map_input_file variables are not set.
        line_.spec.set_combine_inputs(proto::INPUT_COMBINING_ON);
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "-inputformat ", value, " is not supported: Braid reads text input (TextInputFormat)"));
    }
    if (option == "-outputformat") {
      if (OneOf(value, kTextOutputFormats)) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("-outputformat ", value,
                       " is not supported: Braid writes text output (TextOutputFormat)"));
    }
    if (option == "-io") {
      if (value == "text") return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "-io ", value, " is not supported: commands read and write text lines (-io text)"));
    }
    if (option == "-fs" || option == "-dfs") {
      if (value == "file:///" || value == "file:/" || value == "local") return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat(option, " ", value,
                       " is not supported: Braid reads and writes the files its workers see "
                       "(file:///)"));
    }
    if (option == "-jt") {
      if (value == "local") return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "-jt ", value, " is not supported: name Braid's coordinator with -coordinator ENDPOINT"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown option ", option, " (braid streaming -help lists the options it takes)"));
  }

  static absl::Status CheckFileScheme(absl::string_view option, std::string& path) {
    std::string checked = path;
    absl::Status scheme = CheckPathScheme(checked, "file");
    if (!scheme.ok())
      return absl::InvalidArgumentError(absl::StrCat(option, ": ", scheme.message()));
    path = checked;
    return absl::OkStatus();
  }

  absl::StatusOr<StreamingCommandLine> Finish() {
    if (inputs_.empty()) return absl::InvalidArgumentError("-input is required");
    if (output_.empty()) return absl::InvalidArgumentError("-output is required");
    proto::StreamingSpec& streaming = *line_.spec.mutable_streaming();
    // As in Hadoop, the mapper defaults to the identity: each line keyed by its byte offset.
    streaming.set_mapper(mapper_.value_or(std::string(kIdentityMapper)));
    if (reducer_.has_value() && !OneOf(*reducer_, kIdentityReducers)) {
      streaming.set_reducer(*reducer_);  // NONE is the coordinator's to read
    }
    if (reduce_tasks_.has_value()) {
      line_.spec.set_reducers(static_cast<uint32_t>(*reduce_tasks_));
      line_.spec.mutable_config()->erase("mapred.reduce.tasks");
      (*line_.spec.mutable_config())["mapreduce.job.reduces"] = absl::StrCat(*reduce_tasks_);
    }
    for (const std::string& input : inputs_) line_.spec.add_inputs(Absolute(input));
    line_.spec.set_output(Absolute(output_));
    return std::move(line_);
  }

  const std::vector<std::string>& args_;
  size_t i_ = 0;
  StreamingCommandLine line_;
  std::vector<std::string> inputs_;
  std::string output_;
  std::optional<std::string> mapper_;
  std::optional<std::string> reducer_;
  std::optional<int> reduce_tasks_;
};

}  // namespace

absl::StatusOr<StreamingCommandLine> ParseStreamingCommandLine(
    const std::vector<std::string>& args) {
  return Parser(args).Parse();
}

std::string StreamingUsage() {
  return R"(usage: braid streaming [GENERIC OPTIONS] [STREAMING OPTIONS] [BRAID OPTIONS]

Hadoop Streaming's command line (mapred streaming), run by Braid.

Streaming options:
  -input PATH            input files, directories or globs (repeatable; commas separate too)
  -output DIR            the output directory
  -mapper CMD            the mapper command (default: IdentityMapper, each line keyed by its
                         byte offset)
  -combiner CMD          the combiner command
  -reducer CMD           the reducer command; NONE for a map-only job; IdentityReducer;
                         aggregate for Hadoop's Aggregate package (LongValueSum:KEY ...)
  -file PATH             a file to ship into each task's working directory (repeatable)
  -cmdenv NAME=VALUE     set in the commands' environment (repeatable)
  -numReduceTasks N      reduce tasks (0: map-only)
  -partitioner CLASS     KeyFieldBasedPartitioner or HashPartitioner
  -inputformat CLASS     TextInputFormat, or CombineTextInputFormat (small files packed
                         several to a map task; map_input_file is then not set)
  -outputformat CLASS    TextOutputFormat only
  -io text               the only identifier supported
  -background            print the job's id and return without waiting
  -verbose               accepted; progress shows either way
Generic options:
  -D PROPERTY=VALUE      a job property (also -DPROPERTY=VALUE, -jobconf PROPERTY=VALUE)
  -files A,B,C           files to ship, as -file
  -fs file:///           the only filesystem supported
  -jt local              run on a local cluster (the default without -coordinator)
Braid options:
  -coordinator ENDPOINT  run on this coordinator (default: a cluster of local processes)
  -workers N, -slots S   the local cluster's workers and slots per worker
  --curve_key FILE, --coordinator_key FILE   keys for a coordinator that requires them

Properties and options Braid refuses are named in its error; docs/jobs.md has the table.
)";
}

}  // namespace braid
