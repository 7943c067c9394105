// ChecksummedFileWriter: what run files and part files share — a file written through a large
// buffer, counting its records and bytes and computing the CRC-32C of everything written (which
// travels with the file's location to whoever reads it), with the first write error kept for
// Finish. The formats (run records, output lines) are the callers': they encode straight into
// buffer() and call Added() once per record.
//
// Threading: one thread at a time.

#ifndef BRAID_WORKER_CHECKSUMMED_FILE_WRITER_H_
#define BRAID_WORKER_CHECKSUMMED_FILE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/env.h"

namespace braid {

class ChecksummedFileWriter {
 public:
  // Bytes buffered before they are written.
  static constexpr size_t kBufferBytes = 1 << 20;

  // Creates (or truncates) `path` on `env`. Errors name the file.
  static absl::StatusOr<ChecksummedFileWriter> Create(Env& env, const std::string& path);
  ChecksummedFileWriter(ChecksummedFileWriter&&) = default;
  ChecksummedFileWriter& operator=(ChecksummedFileWriter&&) = default;

  // Where a record's bytes go; follow each record with Added().
  std::string& buffer() { return buffer_; }
  void Added() {
    ++records_;
    if (buffer_.size() >= kBufferBytes) Flush();
  }
  // Writes out what is buffered, syncs it if `sync` (an output that must survive a crash of the
  // machine), and closes the file. The first error of any write, the sync or the close.
  absl::Status Finish(bool sync);

  const std::string& path() const { return path_; }
  // Bytes in the file once Finish has run (including what is still buffered).
  uint64_t bytes() const { return bytes_ + buffer_.size(); }
  uint64_t records() const { return records_; }
  // Of the bytes written so far; of the whole file after Finish.
  uint32_t crc32c() const { return crc_; }

 private:
  ChecksummedFileWriter(std::string path, std::unique_ptr<WritableFile> file);
  void Flush();

  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::string buffer_;
  uint64_t bytes_ = 0;
  uint64_t records_ = 0;
  uint32_t crc_ = 0;
  absl::Status status_;
};

}  // namespace braid

#endif  // BRAID_WORKER_CHECKSUMMED_FILE_WRITER_H_
