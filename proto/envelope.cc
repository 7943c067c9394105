#include "proto/envelope.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace braid {

absl::Status DecodeEnvelopeInto(absl::string_view frame, proto::Envelope* envelope,
                                size_t max_bytes) {
  if (frame.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("message of ", frame.size(), " bytes exceeds the limit of ", max_bytes));
  }
  // ParseFromArray clears first and reuses the envelope's allocations.
  if (!envelope->ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a Braid envelope (", frame.size(), " bytes that do not parse)"));
  }
  if (envelope->protocol_version() != kProtocolVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("protocol version ", envelope->protocol_version(),
                     " is not supported: this side speaks version ", kProtocolVersion));
  }
  if (envelope->body_case() == proto::Envelope::BODY_NOT_SET) {
    return absl::UnimplementedError(
        envelope->GetReflection()->GetUnknownFields(*envelope).empty()
            ? "envelope without a message"
            : "unknown message kind (a newer peer's message this build does not know)");
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::Envelope> DecodeEnvelope(absl::string_view frame, size_t max_bytes) {
  proto::Envelope envelope;
  absl::Status decoded = DecodeEnvelopeInto(frame, &envelope, max_bytes);
  if (!decoded.ok()) return decoded;
  return envelope;
}

std::string EncodeEnvelope(const proto::Envelope& envelope) { return envelope.SerializeAsString(); }

absl::string_view BodyName(const proto::Envelope& envelope) {
  const google::protobuf::OneofDescriptor* body =
      proto::Envelope::descriptor()->FindOneofByName("body");
  const google::protobuf::FieldDescriptor* field =
      envelope.GetReflection()->GetOneofFieldDescriptor(envelope, body);
  if (field == nullptr) return "none";
  return field->name();
}

}  // namespace braid
