// DecodeEnvelope: every kind of bad frame is refused with its own code.

#include "proto/envelope.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

proto::Envelope Hello() {
  proto::Envelope envelope;
  envelope.set_protocol_version(kProtocolVersion);
  envelope.set_message_id(7);
  envelope.mutable_worker_hello()->set_name("w1");
  return envelope;
}

TEST(Envelope, AValidEnvelopeRoundTrips) {
  absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(EncodeEnvelope(Hello()));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->message_id(), 7u);
  EXPECT_EQ(decoded->worker_hello().name(), "w1");
  EXPECT_EQ(BodyName(*decoded), "worker_hello");
}

TEST(Envelope, BytesThatDoNotParseAreNotAnEnvelope) {
  EXPECT_THAT(DecodeEnvelope("\xff\xff\xff\xff garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a Braid envelope")));
}

TEST(Envelope, AnotherProtocolVersionIsRefusedNamingBoth) {
  proto::Envelope envelope = Hello();
  envelope.set_protocol_version(2);
  EXPECT_THAT(
      DecodeEnvelope(EncodeEnvelope(envelope)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("protocol version 2 is not supported: this side speaks version 1")));
}

TEST(Envelope, AMessageKindThisBuildDoesNotKnowIsUnimplemented) {
  // A newer peer's message: field 100 of the envelope, a length-delimited body.
  std::string frame = EncodeEnvelope([] {
    proto::Envelope envelope;
    envelope.set_protocol_version(kProtocolVersion);
    return envelope;
  }());
  frame += std::string("\xa2\x06\x02\x08\x01", 5);  // field 100, wire type 2, 2 bytes
  EXPECT_THAT(DecodeEnvelope(frame),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("unknown message kind")));
}

TEST(Envelope, AnEnvelopeWithoutAMessageIsUnimplemented) {
  proto::Envelope envelope;
  envelope.set_protocol_version(kProtocolVersion);
  EXPECT_THAT(DecodeEnvelope(EncodeEnvelope(envelope)),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("without a message")));
}

TEST(Envelope, AFrameOverTheLimitIsRefusedBeforeParsing) {
  EXPECT_THAT(DecodeEnvelope(std::string(2048, 'x'), /*max_bytes=*/1024),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("2048 bytes")));
}

TEST(Envelope, TheEmptyFrameIsRefused) {
  EXPECT_THAT(DecodeEnvelope(""), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace braid
