// SplitReader: the lines a map task owns — those whose first byte lies in its split.
//
// Lines end as Hadoop's text input ends them: at "\n", "\r\n" or a "\r" alone; the ending is not
// part of the line. A line starts at byte 0 or just after an ending. The split
// [offset, offset + length) owns every line that starts inside it, read to its end even past the
// split (a line longer than a split belongs whole to the split it starts in), so that splits cut
// anywhere in a file — between the "\r" and "\n" of an ending too — together read each line
// exactly once. A last line without an ending is a line; bytes are not decoded.
//
// A compressed file (.gz, .bz2, .zst: job/compressed_input.h) is one split: it is read whole,
// decompressed, from offset 0 whatever the length; its records' offsets are in the decompressed
// text.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SplitReader> reader, SplitReader::Open(path, 0, size));
//   Record record;
//   while (reader->Next(&record)) { ... record.line ... }
//   RETURN_IF_ERROR(reader->status());

#ifndef BRAID_JOB_SPLIT_READER_H_
#define BRAID_JOB_SPLIT_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/env.h"
#include "job/job.h"

namespace braid {

class SplitReader {
 public:
  // Reads `path` on `env`. The Env's error naming the file (kNotFound, kPermissionDenied, ...) if
  // it cannot be opened; later read errors are status(). With `origin`, `path` is a copy of the
  // input's bytes from `origin` on — at least the bytes LocateSplit gives — and the split and
  // the records' offsets are the input's.
  static absl::StatusOr<std::unique_ptr<SplitReader>> Open(const std::string& path, uint64_t offset,
                                                           uint64_t length,
                                                           Env& env = *Env::Default(),
                                                           uint64_t origin = 0);
  SplitReader(const SplitReader&) = delete;
  SplitReader& operator=(const SplitReader&) = delete;
  ~SplitReader();

  // The next line of the split (its view lives until the next call), or false at the end of the
  // split or on an error (see status()).
  bool Next(Record* record);

  absl::Status status() const { return status_; }
  // Bytes read from the file so far (of a compressed file, its compressed bytes).
  uint64_t bytes_read() const { return compressed_ ? file_bytes_read_ : bytes_read_; }

 private:
  SplitReader(std::unique_ptr<SequentialFile> file, uint64_t end);
  // Reads more of the file into the buffer, keeping [begin_, end_of_data_). False at end of file.
  bool Fill();
  // Positions the reader at the first line that starts at or after `offset`.
  absl::Status Seek(uint64_t offset);
  enum class Ending {
    kFound,                // *length bytes of line, then an ending of *ending bytes
    kNone,                 // no ending in the *length bytes buffered
    kCarriageReturnAtEnd,  // a '\r' after *length bytes is the last byte buffered
  };
  // Looks for the first line ending in the buffered bytes after begin_, skipping the first
  // `searched` (known to hold none).
  Ending FindEnding(size_t searched, size_t* length, size_t* ending);

  std::unique_ptr<SequentialFile> file_;
  uint64_t split_end_;       // lines starting at or after this belong to the next split
  uint64_t line_start_ = 0;  // file offset of the next line
  std::vector<char> buffer_;
  size_t begin_ = 0;   // buffer_[begin_] is the byte at line_start_
  size_t filled_ = 0;  // buffer_[0, filled_) holds data
  // FindEnding's cache, until the next Fill: buffer_[carriage_return_] is the first '\r' at or
  // after carriage_return_scanned_from_ (filled_ if there is none).
  bool carriage_return_known_ = false;
  size_t carriage_return_scanned_from_ = 0;
  size_t carriage_return_ = 0;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
  bool compressed_ = false;
  uint64_t file_bytes_read_ = 0;  // under the decompression
  absl::Status status_;
};

// The bytes of a file that a SplitReader of [offset, offset + length) reads, and their CRC-32C:
// a copy of them is enough to read the split (SplitReader::Open with origin `begin`).
struct SplitExtent {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint32_t crc32c = 0;
};
absl::StatusOr<SplitExtent> LocateSplit(Env& env, const std::string& path, uint64_t offset,
                                        uint64_t length);

}  // namespace braid

#endif  // BRAID_JOB_SPLIT_READER_H_
