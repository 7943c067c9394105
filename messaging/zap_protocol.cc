#include "messaging/zap_protocol.h"

#include <zmq.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace braid {
namespace {

constexpr size_t kFixedFrames = 6;  // version, request id, domain, address, routing id, mechanism
constexpr size_t kCurveKeyBytes = 32;

}  // namespace

absl::StatusOr<ZapRequest> ParseZapRequest(absl::Span<const std::string> frames) {
  if (frames.size() < kFixedFrames) {
    return absl::InvalidArgumentError(absl::StrCat("a ZAP request has at least ", kFixedFrames,
                                                   " frames; this has ", frames.size()));
  }
  if (frames[0] != "1.0") {
    return absl::InvalidArgumentError(
        absl::StrCat("ZAP version '", absl::CHexEscape(frames[0]), "' (expected 1.0)"));
  }
  ZapRequest request;
  request.request_id = frames[1];
  request.domain = frames[2];
  request.address = frames[3];
  request.mechanism = frames[5];
  const absl::Span<const std::string> credentials = frames.subspan(kFixedFrames);
  if (request.mechanism == "CURVE") {
    if (credentials.size() != 1 || credentials[0].size() != kCurveKeyBytes) {
      return absl::InvalidArgumentError(
          "a CURVE request carries one credential: the client's 32-byte public key");
    }
    char z85[41];
    if (zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(credentials[0].data()),
                       kCurveKeyBytes) == nullptr) {
      return absl::InvalidArgumentError("the CURVE key cannot be encoded");
    }
    request.curve_key = z85;
  } else if (request.mechanism == "NULL") {
    if (!credentials.empty()) {
      return absl::InvalidArgumentError("a NULL request carries no credentials");
    }
  } else if (request.mechanism != "PLAIN") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown ZAP mechanism '", absl::CHexEscape(request.mechanism), "'"));
  }
  return request;
}

std::vector<std::string> ZapReply(const std::string& request_id,
                                  const absl::StatusOr<std::string>& decision) {
  std::string code = "200";
  std::string text = "OK";
  std::string user_id;
  if (decision.ok()) {
    user_id = *decision;
  } else {
    switch (decision.status().code()) {
      case absl::StatusCode::kPermissionDenied:
      case absl::StatusCode::kUnauthenticated:
        code = "400";
        break;
      case absl::StatusCode::kUnavailable:
        code = "300";
        break;
      default:
        code = "500";
    }
    text = std::string(decision.status().message());
  }
  return {"1.0", request_id, code, text, user_id, ""};
}

}  // namespace braid
