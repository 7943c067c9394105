// PartFileWriter: a reduce (or map-only) task's output — its pairs as lines of one part file, in
// the job's OutputFormat.

#ifndef BRAID_WORKER_PART_FILE_WRITER_H_
#define BRAID_WORKER_PART_FILE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "job/job.h"

namespace braid {

// Appends `key` and `value` to `line` as one output line (newline included) in `format`.
void AppendOutputLine(OutputFormat format, absl::string_view key, absl::string_view value,
                      std::string& line);

class PartFileWriter final : public Emitter {
 public:
  // Creates (or truncates) `path`, making its directory if needed.
  static absl::StatusOr<std::unique_ptr<PartFileWriter>> Create(const std::string& path,
                                                                OutputFormat format);
  PartFileWriter(const PartFileWriter&) = delete;
  PartFileWriter& operator=(const PartFileWriter&) = delete;
  ~PartFileWriter() override;

  void Emit(absl::string_view key, absl::string_view value) override;
  // Writes out what is buffered, syncs the data to disk and closes. The first write error, if
  // any.
  absl::Status Finish();

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_ + buffer_.size(); }
  uint64_t records() const { return records_; }
  uint32_t crc32c() const { return crc_; }

 private:
  PartFileWriter(std::string path, int fd, OutputFormat format);
  void Flush();

  std::string path_;
  int fd_;
  OutputFormat format_;
  std::string buffer_;
  uint64_t bytes_ = 0;
  uint64_t records_ = 0;
  uint32_t crc_ = 0;
  absl::Status status_;
};

// Makes `directory` and its parents (like mkdir -p). Errors name the directory.
absl::Status MakeDirectories(const std::string& directory);

}  // namespace braid

#endif  // BRAID_WORKER_PART_FILE_WRITER_H_
