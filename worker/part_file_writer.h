// PartFileWriter: a reduce (or map-only) task's output — its pairs as lines of one part file, in
// the job's OutputFormat, compressed if the job asks. Its bytes, CRC and the counters are of the
// file as written (compressed).

#ifndef BRAID_WORKER_PART_FILE_WRITER_H_
#define BRAID_WORKER_PART_FILE_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/env.h"
#include "job/compressed_output.h"
#include "job/job.h"
#include "worker/checksummed_file_writer.h"

namespace braid {

// Appends `key` and `value` to `line` as one output line (newline included) in `format`.
void AppendOutputLine(OutputFormat format, absl::string_view key, absl::string_view value,
                      std::string& line);

class PartFileWriter final : public Emitter {
 public:
  // Creates (or truncates) `path` on `env`, making its directory if needed; its lines are
  // compressed with `codec` (job/compressed_output.h) unless that is kNone.
  static absl::StatusOr<std::unique_ptr<PartFileWriter>> Create(const std::string& path,
                                                                OutputFormat format,
                                                                Env& env = *Env::Default(),
                                                                Codec codec = Codec::kNone);
  PartFileWriter(const PartFileWriter&) = delete;
  PartFileWriter& operator=(const PartFileWriter&) = delete;

  void Emit(absl::string_view key, absl::string_view value) override {
    if (compressor_ == nullptr) {
      AppendOutputLine(format_, key, value, file_.buffer());
    } else {
      AppendOutputLine(format_, key, value, pending_);
      if (pending_.size() >= kCompressBytes) CompressPending();
    }
    file_.Added();
  }
  // Writes out what is buffered, syncs the data to disk (unless `sync` is false: a copy staged
  // to be sent elsewhere, which syncs it there) and closes. The first write (or compression)
  // error, if any.
  absl::Status Finish(bool sync = true);

  const std::string& path() const { return file_.path(); }
  uint64_t bytes() const { return file_.bytes(); }
  uint64_t records() const { return file_.records(); }
  uint32_t crc32c() const { return file_.crc32c(); }

 private:
  // Lines gathered before they are compressed.
  static constexpr size_t kCompressBytes = 256 << 10;

  PartFileWriter(ChecksummedFileWriter file, OutputFormat format,
                 std::unique_ptr<Compressor> compressor)
      : file_(std::move(file)), format_(format), compressor_(std::move(compressor)) {}
  void CompressPending();

  ChecksummedFileWriter file_;
  OutputFormat format_;
  std::unique_ptr<Compressor> compressor_;  // null: lines go out as they are
  std::string pending_;
  absl::Status compression_;
};

}  // namespace braid

#endif  // BRAID_WORKER_PART_FILE_WRITER_H_
