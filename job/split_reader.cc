#include "job/split_reader.h"

#include <cstring>
#include <utility>

namespace braid {
namespace {

constexpr size_t kChunk = 4 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<SplitReader>> SplitReader::Open(const std::string& path,
                                                               uint64_t offset, uint64_t length,
                                                               Env& env) {
  // From the byte before the split: whether it is a newline says where the split's first line
  // starts.
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      env.NewSequentialFile(path, offset == 0 ? 0 : offset - 1);
  if (!file.ok()) return file.status();
  std::unique_ptr<SplitReader> reader(new SplitReader(*std::move(file), offset + length));
  absl::Status positioned = reader->Seek(offset);
  if (!positioned.ok()) return positioned;
  return reader;
}

SplitReader::SplitReader(std::unique_ptr<SequentialFile> file, uint64_t end)
    : file_(std::move(file)), split_end_(end), buffer_(kChunk) {}

SplitReader::~SplitReader() = default;

absl::Status SplitReader::Seek(uint64_t offset) {
  if (offset == 0) return absl::OkStatus();
  // A line starts at `offset` only if the byte before it is a newline; otherwise the line under
  // `offset` belongs to the previous split, and this one starts after it.
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
  absl::StatusOr<size_t> got = file_->Read(buffer_.data() + filled_, buffer_.size() - filled_);
  if (!got.ok()) {
    status_ = got.status();
    return false;
  }
  if (*got == 0) {
    eof_ = true;
    return false;
  }
  filled_ += *got;
  bytes_read_ += *got;
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
