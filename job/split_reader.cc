#include "job/split_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace braid {
namespace {

constexpr size_t kChunk = 4 << 20;

absl::Status FileError(absl::string_view what, const std::string& path) {
  std::string message = absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(errno));
  switch (errno) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<SplitReader>> SplitReader::Open(const std::string& path,
                                                               uint64_t offset, uint64_t length) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("open", path);
  posix_fadvise(fd, static_cast<off_t>(offset), 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<SplitReader> reader(new SplitReader(path, fd, offset + length));
  absl::Status positioned = reader->Seek(offset);
  if (!positioned.ok()) return positioned;
  return reader;
}

SplitReader::SplitReader(std::string path, int fd, uint64_t end)
    : path_(std::move(path)), fd_(fd), split_end_(end), buffer_(kChunk) {}

SplitReader::~SplitReader() { close(fd_); }

absl::Status SplitReader::Seek(uint64_t offset) {
  if (offset == 0) return absl::OkStatus();
  // A line starts at `offset` only if the byte before it is a newline; otherwise the line under
  // `offset` belongs to the previous split, and this one starts after it.
  if (lseek(fd_, static_cast<off_t>(offset - 1), SEEK_SET) < 0) return FileError("seek in", path_);
  line_start_ = offset - 1;
  if (!Fill()) return status_;
  // Skip through the first newline (which is at offset - 1 if a line starts at offset).
  while (true) {
    const char* data = buffer_.data() + begin_;
    const void* newline = std::memchr(data, '\n', filled_ - begin_);
    if (newline != nullptr) {
      size_t skipped = static_cast<const char*>(newline) - data + 1;
      begin_ += skipped;
      line_start_ += skipped;
      return absl::OkStatus();
    }
    line_start_ += filled_ - begin_;
    begin_ = filled_;
    if (!Fill()) return status_;  // no newline to the end of the file: nothing here
  }
}

bool SplitReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  // Keep the unread bytes, at the front.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, filled_ - begin_);
    filled_ -= begin_;
    begin_ = 0;
  }
  if (filled_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);  // a very long line
  ssize_t got;
  do {
    got = read(fd_, buffer_.data() + filled_, buffer_.size() - filled_);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    status_ = FileError("read", path_);
    return false;
  }
  if (got == 0) {
    eof_ = true;
    return false;
  }
  filled_ += static_cast<size_t>(got);
  bytes_read_ += static_cast<uint64_t>(got);
  return true;
}

bool SplitReader::Next(Record* record) {
  if (line_start_ >= split_end_ || !status_.ok()) return false;
  size_t searched = 0;  // bytes after begin_ known to hold no newline
  while (true) {
    const char* data = buffer_.data() + begin_;
    const size_t available = filled_ - begin_;
    const void* newline = std::memchr(data + searched, '\n', available - searched);
    if (newline != nullptr) {
      size_t length = static_cast<const char*>(newline) - data;
      record->line = absl::string_view(data, length);
      record->offset = line_start_;
      begin_ += length + 1;
      line_start_ += length + 1;
      return true;
    }
    searched = available;  // Fill keeps the unread bytes (moved to the front): still searched
    if (!Fill()) {
      if (!status_.ok() || filled_ == begin_) return false;
      // The file's last line, without a newline.
      size_t length = filled_ - begin_;
      record->line = absl::string_view(buffer_.data() + begin_, length);
      record->offset = line_start_;
      begin_ = filled_;
      line_start_ += length;
      return true;
    }
  }
}

}  // namespace braid
