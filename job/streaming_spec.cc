#include "job/streaming_spec.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace braid {
namespace {

bool IsEnvironmentName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

absl::Status ValidateFiles(const proto::StreamingSpec& streaming) {
  absl::flat_hash_set<absl::string_view> names;
  uint64_t total = 0;
  for (const proto::ShippedFile& file : streaming.files()) {
    const std::string& name = file.name();
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--file: '", name, "' is not a plain file name"));
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--file: two files are named '", name,
                       "' (each goes into the task's working directory by its name)"));
    }
    if (file.mode() > 0777) {
      return absl::InvalidArgumentError(
          absl::StrCat("--file '", name, "': mode ", file.mode(), " is not permission bits"));
    }
    total += file.content().size();
  }
  if (total > kMaxShippedBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--file: the files come to ", total, " bytes; a job may ship at most ",
                     kMaxShippedBytes >> 20, " MiB (put larger data in its input)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStreamingSpec(const proto::JobSpec& spec) {
  if (spec.job() != kStreamingJob) {
    if (spec.has_streaming()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--mapper, --combiner, --reducer, --cmdenv and --file are for streaming jobs, not '",
          spec.job(), "'"));
    }
    return absl::OkStatus();
  }
  const proto::StreamingSpec& streaming = spec.streaming();
  if (absl::StripAsciiWhitespace(streaming.mapper()).empty()) {
    return absl::InvalidArgumentError("a streaming job needs a command: --mapper CMD");
  }
  for (const std::string& entry : streaming.cmdenv()) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || !IsEnvironmentName(entry.substr(0, equals))) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cmdenv '", entry, "' is not NAME=VALUE (NAME: letters, digits, _)"));
    }
  }
  return ValidateFiles(streaming);
}

}  // namespace braid
