#include "coordinator/access_control.h"

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {

absl::Status AccessControl::Admit(absl::string_view key) {
  if (keys_.Find(key) != nullptr) return absl::OkStatus();
  ++refused_;
  if (logged_.size() < kLoggedKeys && logged_.emplace(key).second) {
    LOG(WARNING) << "refused a connection with key " << key
                 << ", which the authorized keys do not list (logged once per key; " << refused_
                 << " refused so far)";
  } else if (logged_.size() >= kLoggedKeys) {
    LOG_EVERY_N(WARNING, 1000) << refused_ << " connections refused with unlisted keys";
  }
  return absl::PermissionDeniedError("this key is not authorized here");
}

absl::Status AccessControl::MayIntroduce(absl::string_view key, bool worker) const {
  const AuthorizedKeys::Entry* entry = keys_.Find(key);
  if (entry == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(keys_.Describe(key), " is not in the coordinator's authorized keys"));
  }
  if (worker && entry->role != KeyRole::kWorker) {
    return absl::PermissionDeniedError(
        absl::StrCat(keys_.Describe(key), " is ", entry->role == KeyRole::kAdmin ? "an " : "a ",
                     KeyRoleName(entry->role), " key: only a worker key may register as a worker"));
  }
  if (!worker && entry->role == KeyRole::kWorker) {
    return absl::PermissionDeniedError(absl::StrCat(
        keys_.Describe(key), " is a worker key: it may not submit, watch, cancel or read status"));
  }
  return absl::OkStatus();
}

absl::Status AccessControl::MayCancel(absl::string_view key, absl::string_view owner) const {
  const AuthorizedKeys::Entry* entry = keys_.Find(key);
  if (entry != nullptr && entry->role == KeyRole::kAdmin) return absl::OkStatus();
  if (entry != nullptr && entry->role == KeyRole::kClient && key == owner) {
    return absl::OkStatus();
  }
  if (owner.empty()) {
    return absl::PermissionDeniedError(
        "the job was submitted without a key: only an admin key may cancel it");
  }
  return absl::PermissionDeniedError(absl::StrCat("only the job's owner (", keys_.Describe(owner),
                                                  ") or an admin key may cancel it"));
}

}  // namespace braid
