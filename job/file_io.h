// Small file helpers shared by whatever reads and writes files with plain descriptors.

#ifndef BRAID_JOB_FILE_IO_H_
#define BRAID_JOB_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

// "cannot WHAT 'PATH': strerror(errno)", coded by errno: kNotFound (ENOENT), kPermissionDenied
// (EACCES, EPERM, EROFS), kResourceExhausted (ENOSPC, EDQUOT), kInternal otherwise. Call it right
// after the failed call, while errno is that call's.
absl::Status FileError(absl::string_view what, const std::string& path);

// Writes all of `data` to `fd` (retrying short writes and EINTR). On failure, FileError("write",
// path); part of `data` may have been written.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path);

}  // namespace braid

#endif  // BRAID_JOB_FILE_IO_H_
