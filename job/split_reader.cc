#include "job/split_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "job/compressed_input.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

constexpr size_t kChunk = 4 << 20;
// What LocateSplit reads at a time looking for the end of a split's last line.
constexpr size_t kTailPiece = 64 << 10;

// Counts the bytes read through it (a compressed file's own bytes, under the decompression).
class CountingFile final : public SequentialFile {
 public:
  CountingFile(std::unique_ptr<SequentialFile> file, uint64_t* count)
      : file_(std::move(file)), count_(count) {}
  absl::StatusOr<size_t> Read(char* scratch, size_t n) override {
    absl::StatusOr<size_t> got = file_->Read(scratch, n);
    if (got.ok()) *count_ += *got;
    return got;
  }

 private:
  std::unique_ptr<SequentialFile> file_;
  uint64_t* count_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SplitReader>> SplitReader::Open(const std::string& path,
                                                               uint64_t offset, uint64_t length,
                                                               Env& env, uint64_t origin) {
  const uint64_t from = offset == 0 ? 0 : offset - 1;
  if (from < origin) {
    return absl::InvalidArgumentError(absl::StrCat("the copy '", path, "' starts at byte ", origin,
                                                   ", after split offset ", offset));
  }
  if (CodecOf(path) != Codec::kNone) {
    // A compressed file is one split, read whole.
    if (offset != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", path, "' is compressed: it is read whole, from its start, by one task"));
    }
    absl::StatusOr<std::unique_ptr<SequentialFile>> file = env.NewSequentialFile(path, 0);
    if (!file.ok()) return file.status();
    std::unique_ptr<SplitReader> reader(
        new SplitReader(nullptr, std::numeric_limits<uint64_t>::max()));
    reader->compressed_ = true;
    reader->file_ = NewDecompressingFile(
        std::make_unique<CountingFile>(*std::move(file), &reader->file_bytes_read_), path);
    return reader;
  }
  // From the byte before the split: whether a line ending ends there says where the split's
  // first line starts.
  absl::StatusOr<std::unique_ptr<SequentialFile>> file = env.NewSequentialFile(path, from - origin);
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
  // A line starts at `offset` only if a line ending ends just before it; otherwise the line
  // under `offset` belongs to the previous split, and this one starts after it. Reading from
  // offset - 1, the first line ending found is that one.
  line_start_ = offset - 1;
  if (!Fill()) return status_;
  size_t searched = 0;
  while (true) {
    size_t length = 0;
    size_t ending = 0;
    const Ending found = FindEnding(searched, &length, &ending);
    if (found == Ending::kFound) {
      begin_ += length + ending;
      line_start_ += length + ending;
      return absl::OkStatus();
    }
    searched = length;
    if (!Fill()) {
      if (!status_.ok()) return status_;
      // The end of the file: nothing starts here (or only what follows a last '\r').
      begin_ = filled_;
      line_start_ += length + (found == Ending::kCarriageReturnAtEnd ? 1 : 0);
      return absl::OkStatus();
    }
  }
}

SplitReader::Ending SplitReader::FindEnding(size_t searched, size_t* length, size_t* ending) {
  const char* data = buffer_.data() + begin_;
  const size_t available = filled_ - begin_;
  const void* newline = std::memchr(data + searched, '\n', available - searched);
  const size_t limit = newline == nullptr
                           ? available
                           : static_cast<size_t>(static_cast<const char*>(newline) - data);
  // The first '\r' from here on, found once per buffer for text that has none: a second scan of
  // every line would cost what the line ending costs.
  const size_t from = begin_ + searched;
  if (!carriage_return_known_ || carriage_return_scanned_from_ > from || carriage_return_ < from) {
    const void* found = std::memchr(buffer_.data() + from, '\r', filled_ - from);
    carriage_return_ = found == nullptr
                           ? filled_
                           : static_cast<size_t>(static_cast<const char*>(found) - buffer_.data());
    carriage_return_scanned_from_ = from;
    carriage_return_known_ = true;
  }
  if (carriage_return_ < begin_ + limit) {
    *length = carriage_return_ - begin_;
    // Whether a '\n' follows is known only once the next byte is here.
    if (*length + 1 == available) return Ending::kCarriageReturnAtEnd;
    *ending = data[*length + 1] == '\n' ? 2 : 1;
    return Ending::kFound;
  }
  if (newline != nullptr) {
    *length = limit;
    *ending = 1;
    return Ending::kFound;
  }
  *length = available;
  return Ending::kNone;
}

bool SplitReader::Fill() {
  if (eof_ || !status_.ok()) return false;
  carriage_return_known_ = false;  // the bytes move, and more come
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
  size_t searched = 0;  // bytes after begin_ known to hold no line ending
  while (true) {
    size_t length = 0;
    size_t ending = 0;
    const Ending found = FindEnding(searched, &length, &ending);
    if (found == Ending::kFound) {
      record->line = absl::string_view(buffer_.data() + begin_, length);
      record->offset = line_start_;
      begin_ += length + ending;
      line_start_ += length + ending;
      return true;
    }
    // Fill keeps the unread bytes (moved to the front): what was searched stays searched, up to
    // a last '\r', which is looked at again with the byte after it.
    searched = length;
    if (!Fill()) {
      if (!status_.ok() || filled_ == begin_) return false;
      // The file's last line: without an ending, or ended by a '\r' alone.
      ending = found == Ending::kCarriageReturnAtEnd ? 1 : 0;
      record->line = absl::string_view(buffer_.data() + begin_, length);
      record->offset = line_start_;
      begin_ += length + ending;
      line_start_ += length + ending;
      return true;
    }
  }
}

absl::StatusOr<SplitExtent> LocateSplit(Env& env, const std::string& path, uint64_t offset,
                                        uint64_t length) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok()) return info.status();
  const uint64_t size = info->size;
  SplitExtent extent;
  if (CodecOf(path) != Codec::kNone) {
    extent.end = size;  // read whole
  } else {
    extent.begin = offset == 0 ? 0 : std::min(offset - 1, size);
    // The last line that starts in the split runs to the first ending at or after the split's
    // last byte (an earlier one would end a line before it); one byte more says whether a '\r'
    // is followed by '\n'.
    uint64_t at = std::min(length == 0 ? extent.begin : offset + length - 1, size);
    extent.end = size;
    while (at < size) {
      absl::StatusOr<std::string> piece = ReadFileRange(env, path, at, kTailPiece);
      if (!piece.ok()) return piece.status();
      if (piece->empty()) break;
      const size_t ending = piece->find_first_of("\r\n");
      if (ending != std::string::npos) {
        extent.end = std::min(size, at + ending + 2);
        break;
      }
      at += piece->size();
    }
  }
  for (uint64_t at = extent.begin; at < extent.end;) {
    absl::StatusOr<std::string> piece = ReadFileRange(
        env, path, at, static_cast<size_t>(std::min<uint64_t>(extent.end - at, 1 << 20)));
    if (!piece.ok()) return piece.status();
    if (piece->empty()) {
      return absl::DataLossError(absl::StrCat("input '", path, "' shrank while it was read"));
    }
    extent.crc32c = braid_compat::ExtendCrc32c(extent.crc32c, *piece);
    at += piece->size();
  }
  return extent;
}

}  // namespace braid
