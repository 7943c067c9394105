#include "base/file_error.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace braid {

absl::StatusCode ErrnoCode(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::StatusCode::kNotFound;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::StatusCode::kResourceExhausted;
    case EISDIR:
    case ENOTEMPTY:
    case EBUSY:
      return absl::StatusCode::kFailedPrecondition;
    case EAGAIN:
    case EINTR:
      return absl::StatusCode::kUnavailable;
    case EIO:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status FileError(absl::string_view what, const std::string& path, int error) {
  return absl::Status(ErrnoCode(error),
                      absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(error)));
}

absl::Status FileError(absl::string_view what, const std::string& path) {
  return FileError(what, path, errno);
}

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return FileError("write", path);
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

}  // namespace braid
