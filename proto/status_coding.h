// Error codes on the wire. A TaskResult, a Reject and every other message that reports an outcome
// carries an absl::StatusCode as its int32 value and a message; these functions are the one place
// that turns one into the other, and they check what arrives.

#ifndef BRAID_PROTO_STATUS_CODING_H_
#define BRAID_PROTO_STATUS_CODING_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

// The wire value of `code`.
int32_t StatusCodeToWire(absl::StatusCode code);

// The status that a wire code and message stand for: OK for 0 (the message is then dropped). A
// code that is not one of absl's canonical codes becomes kUnknown, with the code named in the
// message.
absl::Status StatusFromWire(int32_t code, absl::string_view message);

// The same for a field that always reports an error (a Reject): a code of 0 there is a peer's
// mistake and becomes kUnknown too, rather than a success.
absl::Status ErrorFromWire(int32_t code, absl::string_view message);

}  // namespace braid

#endif  // BRAID_PROTO_STATUS_CODING_H_
