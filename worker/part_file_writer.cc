#include "worker/part_file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/file_error.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

void AppendOutputLine(OutputFormat format, absl::string_view key, absl::string_view value,
                      std::string& line) {
  switch (format) {
    case OutputFormat::kKeyTabValue:
      absl::StrAppend(&line, key, "\t", value, "\n");
      break;
    case OutputFormat::kLine:
      if (value.empty()) {
        absl::StrAppend(&line, key, "\n");
      } else {
        absl::StrAppend(&line, key, "\t", value, "\n");
      }
      break;
    case OutputFormat::kConcatenated:
      absl::StrAppend(&line, key, value, "\n");
      break;
    case OutputFormat::kKeyOnly:
      absl::StrAppend(&line, key, "\n");
      break;
  }
}

absl::Status MakeDirectories(const std::string& directory) {
  if (directory.empty()) return absl::OkStatus();
  struct stat info;
  if (stat(directory.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return absl::OkStatus();
    errno = ENOTDIR;
    return FileError("make directory", directory);
  }
  size_t slash = directory.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = MakeDirectories(directory.substr(0, slash));
    if (!parent.ok()) return parent;
  }
  if (mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST) {
    return FileError("make directory", directory);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PartFileWriter>> PartFileWriter::Create(const std::string& path,
                                                                       OutputFormat format) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) {
    absl::Status made = MakeDirectories(path.substr(0, slash));
    if (!made.ok()) return made;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("create", path);
  return std::unique_ptr<PartFileWriter>(new PartFileWriter(path, fd, format));
}

PartFileWriter::PartFileWriter(std::string path, int fd, OutputFormat format)
    : path_(std::move(path)), fd_(fd), format_(format) {
  buffer_.reserve(kBufferBytes + 256);
}

PartFileWriter::~PartFileWriter() {
  if (fd_ >= 0) close(fd_);
}

void PartFileWriter::Emit(absl::string_view key, absl::string_view value) {
  AppendOutputLine(format_, key, value, buffer_);
  ++records_;
  if (buffer_.size() >= kBufferBytes) Flush();
}

void PartFileWriter::Flush() {
  if (buffer_.empty() || !status_.ok()) {
    buffer_.clear();
    return;
  }
  crc_ = braid_compat::ExtendCrc32c(crc_, buffer_);
  status_ = WriteAll(fd_, buffer_, path_);
  bytes_ += buffer_.size();
  buffer_.clear();
}

absl::Status PartFileWriter::Finish() {
  Flush();
  if (status_.ok() && fdatasync(fd_) != 0) status_ = FileError("sync", path_);
  if (close(fd_) != 0 && status_.ok()) status_ = FileError("close", path_);
  fd_ = -1;
  return status_;
}

}  // namespace braid
