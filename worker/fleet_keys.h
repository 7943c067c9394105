// FleetKeys: the public keys of the fleet's workers, as the coordinator last said — who may fetch
// from this worker's data endpoint when the fleet has keys.
//
// The Worker fills it from each Welcome and FleetKeys message; the data endpoint's admission
// check reads it. Before the first Welcome it is empty: nobody is admitted.
//
// Threading: the reactor's loop thread (the ZAP handler runs there too).

#ifndef BRAID_WORKER_FLEET_KEYS_H_
#define BRAID_WORKER_FLEET_KEYS_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"

namespace braid {

class FleetKeys {
 public:
  void Replace(const google::protobuf::RepeatedPtrField<std::string>& keys) {
    keys_ = absl::flat_hash_set<std::string>(keys.begin(), keys.end());
  }
  // OK for a fleet member's key; kPermissionDenied otherwise.
  absl::Status Admit(absl::string_view key) const {
    if (keys_.contains(key)) return absl::OkStatus();
    return absl::PermissionDeniedError("only the fleet's workers may fetch map outputs here");
  }
  size_t size() const { return keys_.size(); }

 private:
  absl::flat_hash_set<std::string> keys_;
};

}  // namespace braid

#endif  // BRAID_WORKER_FLEET_KEYS_H_
