#include "worker/checksummed_file_writer.h"

#include <utility>

#include "third_party/absl_compat/crc32c.h"

namespace braid {

absl::StatusOr<ChecksummedFileWriter> ChecksummedFileWriter::Create(Env& env,
                                                                    const std::string& path) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env.NewWritableFile(path);
  if (!file.ok()) return file.status();
  return ChecksummedFileWriter(path, *std::move(file));
}

ChecksummedFileWriter::ChecksummedFileWriter(std::string path, std::unique_ptr<WritableFile> file)
    : path_(std::move(path)), file_(std::move(file)) {
  buffer_.reserve(kBufferBytes + 256);
}

void ChecksummedFileWriter::Flush() {
  if (buffer_.empty() || !status_.ok()) {
    buffer_.clear();
    return;
  }
  crc_ = braid_compat::ExtendCrc32c(crc_, buffer_);
  status_ = file_->Append(buffer_);
  bytes_ += buffer_.size();
  buffer_.clear();
}

absl::Status ChecksummedFileWriter::Finish(bool sync) {
  Flush();
  if (status_.ok() && sync) status_ = file_->Sync();
  absl::Status closed = file_->Close();
  if (status_.ok()) status_ = closed;
  return status_;
}

}  // namespace braid
