#include "proto/status_coding.h"

#include "absl/strings/str_cat.h"

namespace braid {
namespace {

// absl's canonical codes are 0 to 16.
constexpr int32_t kLastCanonicalCode = static_cast<int32_t>(absl::StatusCode::kUnauthenticated);

}  // namespace

int32_t StatusCodeToWire(absl::StatusCode code) { return static_cast<int32_t>(code); }

absl::Status StatusFromWire(int32_t code, absl::string_view message) {
  if (code == 0) return absl::OkStatus();
  if (code < 0 || code > kLastCanonicalCode) {
    return absl::UnknownError(
        absl::StrCat("unknown status code ", code, " on the wire: ", message));
  }
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

absl::Status ErrorFromWire(int32_t code, absl::string_view message) {
  if (code == 0) {
    return absl::UnknownError(absl::StrCat("an error reported with the OK code: ", message));
  }
  return StatusFromWire(code, message);
}

}  // namespace braid
