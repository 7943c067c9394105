#include "job/file_identity.h"

#include <algorithm>

#include "absl/time/time.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {

absl::StatusOr<proto::FileIdentity> IdentifyFile(Env& env, const std::string& path) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok()) return info.status();
  const uint32_t head = static_cast<uint32_t>(std::min<uint64_t>(info->size, kIdentityHeadBytes));
  absl::StatusOr<std::string> bytes = ReadFileRange(env, path, 0, head);
  if (!bytes.ok()) return bytes.status();
  proto::FileIdentity identity;
  identity.set_size(info->size);
  identity.set_modified_ns(absl::ToUnixNanos(info->modified));
  identity.set_head_bytes(static_cast<uint32_t>(bytes->size()));
  identity.set_head_crc32c(braid_compat::ComputeCrc32c(*bytes));
  return identity;
}

bool IsSameFile(Env& env, const std::string& path, const proto::FileIdentity& identity) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok() || info->type != FileInfo::Type::kRegular || info->size != identity.size() ||
      absl::ToUnixNanos(info->modified) != identity.modified_ns()) {
    return false;
  }
  absl::StatusOr<proto::FileIdentity> here = IdentifyFile(env, path);
  return here.ok() && here->size() == identity.size() &&
         here->modified_ns() == identity.modified_ns() &&
         here->head_bytes() == identity.head_bytes() &&
         here->head_crc32c() == identity.head_crc32c();
}

}  // namespace braid
