// Fuzz target for the envelope decoder: whatever the bytes, decoding refuses them with a status
// or accepts an envelope that re-encodes and decodes to itself — and the Hub takes the frame from
// a peer without crashing.
//
// Built with clang's libFuzzer by tools/fuzz; //proto:envelope_fuzzer_test replays it under the
// normal toolchain on a corpus of valid and mutated envelopes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "glog/logging.h"
#include "messaging/bad_input.h"
#include "messaging/hub.h"
#include "messaging/memory_transport.h"
#include "proto/envelope.h"
#include "reactor/fake_clock.h"

namespace {

// One Hub, fed every input as a frame from one peer.
struct HubUnderTest {
  braid::FakeClock clock;
  braid::MemoryNetwork network{clock};
  std::unique_ptr<braid::Hub> hub;
  std::unique_ptr<braid::ClientTransport> peer;

  HubUnderTest() {
    hub = std::make_unique<braid::Hub>(clock, *network.Listen("fuzz"));
    hub->SetHandlers(
        [this](const braid::PeerId& from, braid::proto::Envelope& message) {
          if (message.has_worker_hello() || message.has_client_hello()) {
            hub->Welcome(from, message.message_id(), braid::proto::Welcome());
          }
        },
        [](const braid::PeerId&, absl::Status) {});
    peer = network.Connect("fuzz");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static HubUnderTest* const under_test = new HubUnderTest();
  absl::string_view frame(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<braid::proto::Envelope> decoded = braid::DecodeEnvelope(frame);
  if (decoded.ok()) {
    (void)braid::BodyName(*decoded);
    std::string again = braid::EncodeEnvelope(*decoded);
    absl::StatusOr<braid::proto::Envelope> twice = braid::DecodeEnvelope(again);
    CHECK(twice.ok()) << "an accepted envelope did not survive re-encoding: " << twice.status();
    CHECK_EQ(braid::EncodeEnvelope(*twice), again);
  } else {
    CHECK(!decoded.status().message().empty());
    (void)braid::BadInputOf(decoded.status());
  }

  under_test->peer->Send(frame).IgnoreError();
  under_test->clock.Advance(absl::ZeroDuration());
  return 0;
}
