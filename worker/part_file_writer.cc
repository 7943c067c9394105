#include "worker/part_file_writer.h"

#include "absl/strings/str_cat.h"

namespace braid {
void AppendOutputLine(OutputFormat format, absl::string_view key, absl::string_view value,
                      std::string& line) {
  switch (format) {
    case OutputFormat::kKeyTabValue:
      absl::StrAppend(&line, key, "\t", value, "\n");
      break;
    case OutputFormat::kLine:
      if (value.empty()) {
        absl::StrAppend(&line, key, "\n");
      } else {
        absl::StrAppend(&line, key, "\t", value, "\n");
      }
      break;
    case OutputFormat::kConcatenated:
      absl::StrAppend(&line, key, value, "\n");
      break;
    case OutputFormat::kKeyOnly:
      absl::StrAppend(&line, key, "\n");
      break;
  }
}

absl::StatusOr<std::unique_ptr<PartFileWriter>> PartFileWriter::Create(const std::string& path,
                                                                       OutputFormat format,
                                                                       Env& env, Codec codec) {
  absl::Status made = env.CreateDirs(DirName(path));
  if (!made.ok()) return made;
  absl::StatusOr<ChecksummedFileWriter> file = ChecksummedFileWriter::Create(env, path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<PartFileWriter>(new PartFileWriter(
      *std::move(file), format, codec == Codec::kNone ? nullptr : Compressor::Make(codec)));
}

void PartFileWriter::CompressPending() {
  if (pending_.empty()) return;
  if (compression_.ok()) compression_ = compressor_->Compress(pending_, &file_.buffer());
  pending_.clear();
}

absl::Status PartFileWriter::Finish(bool sync) {
  if (compressor_ != nullptr) {
    CompressPending();
    if (compression_.ok()) compression_ = compressor_->Finish(&file_.buffer());
  }
  absl::Status finished = file_.Finish(sync);
  if (!compression_.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot compress '", file_.path(), "': ", compression_.message()));
  }
  return finished;
}

}  // namespace braid
