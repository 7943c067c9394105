// FileIdentity: which file a path names — its size, its modification time and the CRC-32C of its
// first bytes. The coordinator identifies each input it plans; a worker reads a split from its
// own filesystem only when the file there has the same identity, and otherwise fetches the
// split's bytes from the coordinator (a fleet without a shared filesystem). A file copied with
// its times kept (rsync -a, cp -p) is the same file; one rewritten, or of another size, is not.

#ifndef BRAID_JOB_FILE_IDENTITY_H_
#define BRAID_JOB_FILE_IDENTITY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "proto/braid.pb.h"

namespace braid {

// How much of a file's start its identity covers.
inline constexpr uint32_t kIdentityHeadBytes = 4096;

// The identity of the file at `path` (the Env's error if it cannot be stat'ed or read).
absl::StatusOr<proto::FileIdentity> IdentifyFile(Env& env, const std::string& path);

// Whether `path` on `env` is the file `identity` names: false if it is missing, unreadable or
// differs in any part of the identity.
bool IsSameFile(Env& env, const std::string& path, const proto::FileIdentity& identity);

}  // namespace braid

#endif  // BRAID_JOB_FILE_IDENTITY_H_
