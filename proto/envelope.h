// Envelope coding: the one place bytes become messages and back.
//
// DecodeEnvelope refuses, with a status whose code the caller can count and put in a Reject,
// every frame that is not a valid envelope of this protocol version:
//   kInvalidArgument     not a Braid envelope (the bytes do not parse)
//   kFailedPrecondition  another protocol version (the message names both)
//   kUnimplemented       a message kind this build does not know (or none)
//   kResourceExhausted   larger than the limit
// It never crashes, whatever the bytes (a fuzz target holds it to that).

#ifndef BRAID_PROTO_ENVELOPE_H_
#define BRAID_PROTO_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/braid.pb.h"

namespace braid {

// The protocol version this build speaks.
inline constexpr uint32_t kProtocolVersion = proto::PROTOCOL_VERSION_CURRENT;

// The largest frame accepted (ZMQ_MAXMSGSIZE is set to the same): 64 MiB.
inline constexpr size_t kMaxMessageBytes = size_t{64} << 20;
// The largest chunk one FetchRequest may ask for, and the largest PartChunk.
inline constexpr uint32_t kMaxFetchChunk = 4 << 20;

absl::StatusOr<proto::Envelope> DecodeEnvelope(absl::string_view frame,
                                               size_t max_bytes = kMaxMessageBytes);

// The same, into `*envelope` (cleared first), so that a receiver can reuse one envelope's
// allocations frame after frame. On error `*envelope` holds nothing meaningful.
absl::Status DecodeEnvelopeInto(absl::string_view frame, proto::Envelope* envelope,
                                size_t max_bytes = kMaxMessageBytes);

// Serializes `envelope` as it is (callers set the version and ids; see Hub and Link).
std::string EncodeEnvelope(const proto::Envelope& envelope);

// The name of the envelope's body kind, for logs: "worker_hello", "task_results", ... or "none".
absl::string_view BodyName(const proto::Envelope& envelope);

}  // namespace braid

#endif  // BRAID_PROTO_ENVELOPE_H_
