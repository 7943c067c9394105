#include "tools/streaming_flags.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "job/streaming_spec.h"

ABSL_FLAG(std::string, mapper, "",
          "a streaming job's mapper: a command run by /bin/sh -c in the task's working directory, "
          "the split's lines on its stdin, KEY<TAB>VALUE lines on its stdout");
ABSL_FLAG(std::string, combiner, "", "a streaming job's combiner command (optional)");
ABSL_FLAG(std::string, reducer, "",
          "a streaming job's reducer command (default: the pairs written as they are)");
ABSL_FLAG(absl::Duration, task_timeout, absl::Seconds(600),
          "a streaming command that reads no input, writes no output and nothing to stderr for "
          "this long fails its attempt (e.g. 90s, 10m)");
// --cmdenv NAME=VALUE and --file PATH are repeatable: tools/flags.cc takes them out of the
// command line before the flags are parsed.

namespace braid {

absl::Status ReadShippedFile(absl::string_view option, const std::string& path, uint64_t budget,
                             proto::ShippedFile& file) {
  struct stat info;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &info) != 0) {
    std::string message =
        absl::StrCat(option, " '", path, "' cannot be read: ", std::strerror(errno));
    if (fd >= 0) close(fd);
    return errno == ENOENT ? absl::NotFoundError(message) : absl::PermissionDeniedError(message);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(option, " '", path, "' is not a regular file"));
  }
  if (static_cast<uint64_t>(info.st_size) > budget) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(
        option, " '", path, "' is ", info.st_size, " bytes: the files shipped with a job may come ",
        "to at most ", kMaxShippedBytes >> 20, " MiB (put larger data in the job's input)"));
  }
  std::string content(static_cast<size_t>(info.st_size), '\0');
  size_t got = 0;
  while (got < content.size()) {
    const ssize_t n = read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string message = absl::StrCat(
          option, " '", path,
          "' cannot be read: ", n == 0 ? "it shrank while being read" : std::strerror(errno));
      close(fd);
      return absl::PermissionDeniedError(message);
    }
    got += static_cast<size_t>(n);
  }
  close(fd);
  const size_t slash = path.rfind('/');
  file.set_name(slash == std::string::npos ? path : path.substr(slash + 1));
  file.set_content(std::move(content));
  file.set_mode(static_cast<uint32_t>(info.st_mode & 0777));
  file.set_executable((info.st_mode & 0111) != 0);
  return absl::OkStatus();
}

namespace {

const std::vector<std::string>& Values(const RepeatedFlags& repeated, const char* name) {
  static const std::vector<std::string> kNone;
  auto it = repeated.find(name);
  return it == repeated.end() ? kNone : it->second;
}

}  // namespace

absl::Status AddStreamingFlags(const RepeatedFlags& repeated, proto::JobSpec& spec) {
  const std::string mapper = absl::GetFlag(FLAGS_mapper);
  const std::string combiner = absl::GetFlag(FLAGS_combiner);
  const std::string reducer = absl::GetFlag(FLAGS_reducer);
  const std::vector<std::string>& cmdenv = Values(repeated, "cmdenv");
  const std::vector<std::string>& files = Values(repeated, "file");
  const bool streaming =
      !mapper.empty() || !combiner.empty() || !reducer.empty() || !cmdenv.empty() || !files.empty();
  if (streaming && spec.job().empty()) spec.set_job(std::string(kStreamingJob));
  const absl::Duration timeout = absl::GetFlag(FLAGS_task_timeout);
  if (timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("--task-timeout must be at least 1ms");
  }
  spec.set_task_timeout_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(timeout)));
  if (streaming) {
    proto::StreamingSpec* commands = spec.mutable_streaming();
    commands->set_mapper(mapper);
    commands->set_combiner(combiner);
    commands->set_reducer(reducer);
    for (const std::string& entry : cmdenv) commands->add_cmdenv(entry);
    uint64_t budget = kMaxShippedBytes;
    for (const std::string& path : files) {
      absl::Status read = ReadShippedFile("--file", path, budget, *commands->add_files());
      if (!read.ok()) return read;
      budget -= commands->files().rbegin()->content().size();
    }
  }
  if (spec.job().empty()) return absl::OkStatus();  // the caller says what is missing
  return ValidateStreamingSpec(spec);
}

}  // namespace braid
