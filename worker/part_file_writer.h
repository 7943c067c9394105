// PartFileWriter: a reduce (or map-only) task's output — its pairs as lines of one part file, in
// the job's OutputFormat.

#ifndef BRAID_WORKER_PART_FILE_WRITER_H_
#define BRAID_WORKER_PART_FILE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/env.h"
#include "job/job.h"
#include "worker/checksummed_file_writer.h"

namespace braid {

// Appends `key` and `value` to `line` as one output line (newline included) in `format`.
void AppendOutputLine(OutputFormat format, absl::string_view key, absl::string_view value,
                      std::string& line);

class PartFileWriter final : public Emitter {
 public:
  // Creates (or truncates) `path` on `env`, making its directory if needed.
  static absl::StatusOr<std::unique_ptr<PartFileWriter>> Create(const std::string& path,
                                                                OutputFormat format,
                                                                Env& env = *Env::Default());
  PartFileWriter(const PartFileWriter&) = delete;
  PartFileWriter& operator=(const PartFileWriter&) = delete;

  void Emit(absl::string_view key, absl::string_view value) override {
    AppendOutputLine(format_, key, value, file_.buffer());
    file_.Added();
  }
  // Writes out what is buffered, syncs the data to disk and closes. The first write error, if
  // any.
  absl::Status Finish() { return file_.Finish(/*sync=*/true); }

  const std::string& path() const { return file_.path(); }
  uint64_t bytes() const { return file_.bytes(); }
  uint64_t records() const { return file_.records(); }
  uint32_t crc32c() const { return file_.crc32c(); }

 private:
  PartFileWriter(ChecksummedFileWriter file, OutputFormat format)
      : file_(std::move(file)), format_(format) {}

  ChecksummedFileWriter file_;
  OutputFormat format_;
};

}  // namespace braid

#endif  // BRAID_WORKER_PART_FILE_WRITER_H_
