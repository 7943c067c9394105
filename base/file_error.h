// FileError: the one mapping of a failed OS call's errno to the absl::Status a caller should act
// on, and WriteAll for whatever writes files with plain descriptors.

#ifndef BRAID_BASE_FILE_ERROR_H_
#define BRAID_BASE_FILE_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

// "cannot WHAT 'PATH': strerror(errno)", coded by errno (ErrnoCode). Call it right after the
// failed call, while errno is that call's.
absl::Status FileError(absl::string_view what, const std::string& path);
// The same for an explicit errno.
absl::Status FileError(absl::string_view what, const std::string& path, int error);

// What a caller should do about `error`: kNotFound (ENOENT, ENOTDIR), kAlreadyExists (EEXIST),
// kPermissionDenied (EACCES, EPERM, EROFS), kResourceExhausted (ENOSPC, EDQUOT, EMFILE, ENFILE,
// ENOMEM), kFailedPrecondition (EISDIR, ENOTEMPTY, EBUSY), kUnavailable (EAGAIN, EINTR: try
// again), kDataLoss (EIO: the device failed), kInternal otherwise.
absl::StatusCode ErrnoCode(int error);

// Writes all of `data` to `fd` (retrying short writes and EINTR). On failure, FileError("write",
// path); part of `data` may have been written.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path);

}  // namespace braid

#endif  // BRAID_BASE_FILE_ERROR_H_
