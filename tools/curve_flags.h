// --curve-key and --coordinator-key: the CURVE keys a command connects or listens with.

#ifndef BRAID_TOOLS_CURVE_FLAGS_H_
#define BRAID_TOOLS_CURVE_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "messaging/zmq_transport.h"

ABSL_DECLARE_FLAG(std::string, curve_key);
ABSL_DECLARE_FLAG(std::string, coordinator_key);
ABSL_DECLARE_FLAG(bool, insecure);

namespace braid {

// What a worker or client connects to the coordinator at `endpoint` with: no keys (both flags
// empty; only to a local endpoint unless --insecure), or its --curve-key pair and the
// --coordinator-key it verifies. kInvalidArgument if only one of the two is given, or for no
// keys to a remote endpoint without --insecure; the key files' own errors otherwise.
absl::StatusOr<CurveClientOptions> CurveClientFromFlags(absl::string_view endpoint);

// The one rule for speaking without keys: OK for a local endpoint (IsLocalEndpoint), or for any
// other with --insecure (which is logged, every time); kInvalidArgument otherwise, as "refusing
// to DOING ENDPOINT without keys: RISK. Give KEY_FLAGS (see braid keygen), use loopback or ipc,
// or accept the risk with --insecure".
absl::Status CheckKeylessEndpoint(absl::string_view doing, absl::string_view endpoint,
                                  absl::string_view risk, absl::string_view key_flags);

}  // namespace braid

#endif  // BRAID_TOOLS_CURVE_FLAGS_H_
