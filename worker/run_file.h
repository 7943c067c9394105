// Run files: the sorted key/value records map tasks hand to reduce tasks (and spill while they
// work). A record is varint key length, varint value length, key bytes, value bytes; a file is
// records back to back. The writer reports the file's CRC-32C, which travels with the file's
// location to the reader, which checks it.

#ifndef BRAID_WORKER_RUN_FILE_H_
#define BRAID_WORKER_RUN_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "worker/checksummed_file_writer.h"

namespace braid {

class RunWriter {
 public:
  // Creates (or truncates) `path` on `env`. Errors name the file.
  static absl::StatusOr<std::unique_ptr<RunWriter>> Create(const std::string& path,
                                                           Env& env = *Env::Default());
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // Appends a record. A write error is kept and returned by Finish.
  void Add(absl::string_view key, absl::string_view value);
  // Writes out what is buffered and closes the file (without syncing it: run files are
  // intermediate data, made again if lost).
  absl::Status Finish() { return file_.Finish(/*sync=*/false); }

  const std::string& path() const { return file_.path(); }
  // Bytes in the file once Finish has run (including what is still buffered).
  uint64_t bytes() const { return file_.bytes(); }
  uint64_t records() const { return file_.records(); }
  uint32_t crc32c() const { return file_.crc32c(); }

 private:
  explicit RunWriter(ChecksummedFileWriter file) : file_(std::move(file)) {}

  ChecksummedFileWriter file_;
};

class RunReader {
 public:
  // Reads `length` bytes of `path` from `offset` (the whole file by default). With
  // `expected_crc32c`, reaching the end checks the bytes read against it: a mismatch is
  // kDataLoss naming the file.
  static absl::StatusOr<std::unique_ptr<RunReader>> Open(
      const std::string& path, uint64_t offset = 0, uint64_t length = UINT64_MAX,
      std::optional<uint32_t> expected_crc32c = std::nullopt, Env& env = *Env::Default());
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;

  // Moves to the next record (its views live until the next call); false at the end or on an
  // error (see status()).
  bool Next();
  absl::string_view key() const { return key_; }
  absl::string_view value() const { return value_; }
  absl::Status status() const { return status_; }
  uint64_t bytes_read() const { return consumed_; }

 private:
  RunReader(std::string path, std::unique_ptr<SequentialFile> file, uint64_t length,
            std::optional<uint32_t> expected, size_t buffer_bytes);
  // Makes at least `needed` unread bytes available; false if the range ends first.
  bool Ensure(size_t needed);
  bool Corrupt(absl::string_view why);

  std::string path_;
  std::unique_ptr<SequentialFile> file_;
  uint64_t remaining_;  // bytes of the range not yet read from the file
  std::optional<uint32_t> expected_crc_;
  uint32_t crc_ = 0;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t filled_ = 0;
  uint64_t consumed_ = 0;
  absl::string_view key_;
  absl::string_view value_;
  absl::Status status_;
};

}  // namespace braid

#endif  // BRAID_WORKER_RUN_FILE_H_
