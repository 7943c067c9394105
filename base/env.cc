#include "base/env.h"

namespace braid {

absl::Status Env::WriteStringToFile(const std::string& path, absl::string_view data) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = NewWritableFile(path);
  if (!file.ok()) return file.status();
  absl::Status written = (*file)->Append(data);
  absl::Status closed = (*file)->Close();
  return written.ok() ? closed : written;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<std::string> ReadFileRange(Env& env, const std::string& path, uint64_t offset,
                                          size_t length) {
  absl::StatusOr<std::unique_ptr<SequentialFile>> file = env.NewSequentialFile(path, offset);
  if (!file.ok()) return file.status();
  std::string data(length, '\0');
  size_t got = 0;
  while (got < length) {
    absl::StatusOr<size_t> read = (*file)->Read(data.data() + got, length - got);
    if (!read.ok()) return read.status();
    if (*read == 0) break;
    got += *read;
  }
  data.resize(got);
  return data;
}

}  // namespace braid
