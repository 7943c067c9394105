// AuthorizedKeys: who may join a fleet, and as what — the coordinator's --authorized-keys file.
//
// One key per line, in the manner of ssh's authorized_keys:
//
//   # ROLE   PUBLIC KEY (Z85, as in NAME.pub)            COMMENT (a name for logs; optional)
//   worker   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7    rack 3, node 12
//   client   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID    alice
//   admin    D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs    operations
//
// Roles: a `worker` may register as a worker and do nothing else; a `client` may submit jobs,
// watch them, read status and cancel the jobs it submitted; an `admin` may do what a client may
// and cancel anyone's job. Blank lines and lines starting with '#' are ignored.
//
// Threading: a value; any thread.

#ifndef BRAID_MESSAGING_AUTHORIZED_KEYS_H_
#define BRAID_MESSAGING_AUTHORIZED_KEYS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"

namespace braid {

enum class KeyRole { kWorker, kClient, kAdmin };

absl::string_view KeyRoleName(KeyRole role);

class AuthorizedKeys {
 public:
  struct Entry {
    KeyRole role;
    std::string comment;
  };

  // Parses the file's text; `source` names it in errors. kInvalidArgument naming the line for an
  // unknown role, a malformed key, or a key listed twice.
  static absl::StatusOr<AuthorizedKeys> Parse(absl::string_view text, absl::string_view source);
  // Reads and parses `path`. kPermissionDenied if its group or others may write it.
  static absl::StatusOr<AuthorizedKeys> Read(Env& env, const std::string& path);

  // The entry of public key `key` (Z85), or null if it is not listed. Valid until this object
  // changes.
  const Entry* Find(absl::string_view key) const;
  size_t size() const { return keys_.size(); }
  // The keys listed with `role`, sorted.
  std::vector<std::string> KeysOf(KeyRole role) const;

  // How `key` appears in logs: its comment and the key's first characters.
  std::string Describe(absl::string_view key) const;

 private:
  absl::flat_hash_map<std::string, Entry> keys_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_AUTHORIZED_KEYS_H_
