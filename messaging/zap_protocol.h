// The ZeroMQ Authentication Protocol (ZAP, RFC 27), as data: parsing a request libzmq sends to
// the handler on inproc://zeromq.zap.01 and building the reply. No socket here, so the parser
// can be fuzzed and tested on any bytes.
//
// A request's frames: version ("1.0"), request id, domain, address, routing id, mechanism
// ("NULL", "PLAIN", "CURVE") and the mechanism's credentials (CURVE: the client's 32-byte
// public key). A reply's: version, request id, status code ("200" admits; "300" try again
// later; "400" refused; "500" the handler failed), status text, user id (what each message of
// the connection then carries as its "User-Id" property) and metadata (empty here).
//
// Threading: functions of their arguments; any thread.

#ifndef BRAID_MESSAGING_ZAP_PROTOCOL_H_
#define BRAID_MESSAGING_ZAP_PROTOCOL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace braid {

struct ZapRequest {
  std::string request_id;
  std::string domain;
  std::string address;
  std::string mechanism;
  // For CURVE: the client's public key, in Z85 (40 characters). Empty otherwise.
  std::string curve_key;
};

// kInvalidArgument, saying what is wrong, for frames that are not a ZAP 1.0 request (too few,
// another version, a CURVE credential that is not one 32-byte key, credentials for NULL).
absl::StatusOr<ZapRequest> ParseZapRequest(absl::Span<const std::string> frames);

// The reply to request `request_id`: "200" with `decision`'s user id, or the refusal its status
// says (kPermissionDenied and kUnauthenticated: "400"; kUnavailable: "300"; anything else:
// "500"), with its message as the status text.
std::vector<std::string> ZapReply(const std::string& request_id,
                                  const absl::StatusOr<std::string>& decision);

}  // namespace braid

#endif  // BRAID_MESSAGING_ZAP_PROTOCOL_H_
