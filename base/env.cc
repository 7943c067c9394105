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

}  // namespace braid
