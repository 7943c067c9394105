#include "worker/run_file.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

constexpr size_t kBufferBytes = ChecksummedFileWriter::kBufferBytes;
constexpr size_t kMinBufferBytes = 4096;

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Reads a varint from [*p, end); false if it is cut off or too long.
bool GetVarint(const char** p, const char* end, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*(*p)++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunWriter>> RunWriter::Create(const std::string& path, Env& env) {
  absl::StatusOr<ChecksummedFileWriter> file = ChecksummedFileWriter::Create(env, path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<RunWriter>(new RunWriter(*std::move(file)));
}

void RunWriter::Add(absl::string_view key, absl::string_view value) {
  std::string& buffer = file_.buffer();
  PutVarint(buffer, key.size());
  PutVarint(buffer, value.size());
  buffer.append(key.data(), key.size());
  buffer.append(value.data(), value.size());
  file_.Added();
}

absl::StatusOr<std::unique_ptr<RunReader>> RunReader::Open(const std::string& path, uint64_t offset,
                                                           uint64_t length,
                                                           std::optional<uint32_t> expected,
                                                           Env& env) {
  absl::StatusOr<std::unique_ptr<SequentialFile>> file = env.NewSequentialFile(path, offset);
  if (!file.ok()) return file.status();
  // A buffer no larger than the run (it grows for a record that does not fit): a merge of many
  // small runs holds little.
  uint64_t bytes = length;
  if (bytes == UINT64_MAX) {
    absl::StatusOr<FileInfo> info = env.Stat(path);
    bytes = info.ok() && info->size >= offset ? info->size - offset : kBufferBytes;
  }
  const size_t buffer =
      static_cast<size_t>(std::clamp<uint64_t>(bytes, kMinBufferBytes, kBufferBytes));
  return std::unique_ptr<RunReader>(
      new RunReader(path, *std::move(file), length, expected, buffer));
}

RunReader::RunReader(std::string path, std::unique_ptr<SequentialFile> file, uint64_t length,
                     std::optional<uint32_t> expected, size_t buffer_bytes)
    : path_(std::move(path)),
      file_(std::move(file)),
      remaining_(length),
      expected_crc_(expected),
      buffer_(buffer_bytes) {}

bool RunReader::Ensure(size_t needed) {
  while (filled_ - begin_ < needed) {
    if (remaining_ == 0) return false;
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, filled_ - begin_);
      filled_ -= begin_;
      begin_ = 0;
    }
    if (filled_ + needed > buffer_.size()) buffer_.resize(std::max(buffer_.size() * 2, needed));
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer_.size() - filled_, remaining_));
    absl::StatusOr<size_t> read = file_->Read(buffer_.data() + filled_, want);
    if (!read.ok()) {
      status_ = read.status();
      return false;
    }
    const size_t got = *read;
    if (got == 0) {
      if (remaining_ != UINT64_MAX) return Corrupt("it ends early");
      remaining_ = 0;
      return false;
    }
    crc_ = braid_compat::ExtendCrc32c(crc_, absl::string_view(buffer_.data() + filled_, got));
    filled_ += got;
    if (remaining_ != UINT64_MAX) remaining_ -= got;
  }
  return true;
}

bool RunReader::Corrupt(absl::string_view why) {
  status_ = absl::DataLossError(absl::StrCat("run file '", path_, "' is corrupt: ", why));
  return false;
}

bool RunReader::Next() {
  if (!status_.ok()) return false;
  // A record header is at most 20 bytes; ask for what is there.
  if (!Ensure(1)) {
    if (!status_.ok()) return false;
    if (expected_crc_.has_value() && *expected_crc_ != crc_) {
      return Corrupt(absl::StrCat("its CRC-32C is ", crc_, ", expected ", *expected_crc_));
    }
    return false;
  }
  Ensure(20);  // may come up short at the end of the range, which is fine for the header
  if (!status_.ok()) return false;
  const char* p = buffer_.data() + begin_;
  const char* end = buffer_.data() + filled_;
  uint64_t key_size, value_size;
  if (!GetVarint(&p, end, &key_size) || !GetVarint(&p, end, &value_size)) {
    return Corrupt("a record header is cut off");
  }
  const size_t header = static_cast<size_t>(p - (buffer_.data() + begin_));
  const uint64_t record = header + key_size + value_size;
  if (record > (uint64_t{1} << 32)) return Corrupt("a record claims more than 4 GiB");
  if (!Ensure(static_cast<size_t>(record))) {
    return status_.ok() ? Corrupt("a record is cut off") : false;
  }
  const char* body = buffer_.data() + begin_ + header;
  key_ = absl::string_view(body, key_size);
  value_ = absl::string_view(body + key_size, value_size);
  begin_ += static_cast<size_t>(record);
  consumed_ += record;
  return true;
}

}  // namespace braid
