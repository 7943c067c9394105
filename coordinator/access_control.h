// AccessControl: who may connect to the coordinator and what each peer may do — the policy of
// an --authorized-keys file.
//
// Connections are admitted (Admit, called by the transport's ZAP handler) only with a listed
// key; an unlisted key is refused, counted and logged once. Once connected, a peer's role
// decides:
//   worker  may register as a worker (and then speaks the task protocol); nothing else;
//   client  may submit, watch and read status, and cancel the jobs it submitted;
//   admin   may do what a client may, and cancel any job.
// Replace (on SIGHUP) swaps the list; the coordinator then cuts off peers whose key lost its
// place.
//
//   AccessControl access(*AuthorizedKeys::Read(env, path));
//   auto transport = ZmqServerTransport::Bind(reactor, endpoint, {},
//       {keys, [&](absl::string_view key) { return access.Admit(key); }});
//
// Threading: the reactor's loop thread (Admit runs there: the ZAP handler is on the loop).

#ifndef BRAID_COORDINATOR_ACCESS_CONTROL_H_
#define BRAID_COORDINATOR_ACCESS_CONTROL_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "messaging/authorized_keys.h"

namespace braid {

class AccessControl {
 public:
  explicit AccessControl(AuthorizedKeys keys) : keys_(std::move(keys)) {}

  // OK if `key` is listed; kPermissionDenied otherwise (counted, and logged the first time).
  absl::Status Admit(absl::string_view key);

  // OK if `key` may register as a worker (`worker` true) or connect as a client; else
  // kPermissionDenied saying which role it has.
  absl::Status MayIntroduce(absl::string_view key, bool worker) const;
  // OK if `key` may cancel a job submitted by `owner`: its owner, or an admin.
  absl::Status MayCancel(absl::string_view key, absl::string_view owner) const;

  // The list from now on.
  void Replace(AuthorizedKeys keys) { keys_ = std::move(keys); }
  const AuthorizedKeys& keys() const { return keys_; }

  // Connections refused because their key was not listed.
  uint64_t refused() const { return refused_; }

 private:
  // Unlisted keys logged so far; beyond this many, refusals are counted without a log line each.
  static constexpr size_t kLoggedKeys = 1024;

  AuthorizedKeys keys_;
  absl::flat_hash_set<std::string> logged_;
  uint64_t refused_ = 0;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_ACCESS_CONTROL_H_
