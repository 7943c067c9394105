// Fuzz target for the ZAP request path: whatever frames libzmq (or anyone who reaches the inproc
// endpoint) hands the handler, parsing refuses them with a status or yields a request whose key
// is a well-formed CURVE key; the decision against an authorized-keys list and the reply never
// crash, and the reply always answers the request's id. The input's bytes also go to the
// authorized-keys parser, as a file's text.
//
// The input is frames, each a length byte and that many bytes. Built with clang's libFuzzer by
// tools/fuzz; //messaging:zap_fuzzer_test replays it under the normal toolchain.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "messaging/authorized_keys.h"
#include "messaging/curve_keys.h"
#include "messaging/zap_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const braid::AuthorizedKeys* const keys = [] {
    auto parsed = braid::AuthorizedKeys::Parse(
        "client 0000000000000000000000000000000000000000 zeros\n", "fuzz");
    CHECK(parsed.ok()) << parsed.status();
    return new braid::AuthorizedKeys(*std::move(parsed));
  }();
  std::vector<std::string> frames;
  for (size_t at = 0; at < size;) {
    const size_t length = data[at++];
    const size_t take = std::min(length, size - at);
    frames.emplace_back(reinterpret_cast<const char*>(data + at), take);
    at += take;
  }
  absl::StatusOr<braid::ZapRequest> request = braid::ParseZapRequest(frames);
  absl::StatusOr<std::string> decision;
  if (request.ok()) {
    if (request->mechanism == "CURVE") {
      CHECK(braid::IsCurveKey(request->curve_key)) << "a parsed CURVE key is not Z85";
    }
    if (keys->Find(request->curve_key) != nullptr) {
      decision = request->curve_key;
    } else {
      decision = absl::PermissionDeniedError(keys->Describe(request->curve_key));
    }
  } else {
    CHECK(!request.status().message().empty());
    decision = absl::InternalError(request.status().message());
  }
  const std::string request_id = frames.size() > 1 ? frames[1] : "";
  std::vector<std::string> reply = braid::ZapReply(request_id, decision);
  CHECK_EQ(reply.size(), 6u);
  CHECK_EQ(reply[1], request_id);
  CHECK_EQ(reply[2] == "200", decision.ok());

  (void)braid::AuthorizedKeys::Parse(absl::string_view(reinterpret_cast<const char*>(data), size),
                                     "fuzz");
  return 0;
}
