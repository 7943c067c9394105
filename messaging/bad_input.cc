#include "messaging/bad_input.h"

#include "absl/strings/escaping.h"
#include "glog/logging.h"

namespace braid {
namespace {

// Peers remembered for "logged once"; beyond this the memory starts over.
constexpr size_t kMaxRemembered = 10'000;

}  // namespace

BadInput BadInputOf(const absl::Status& decode_error) {
  switch (decode_error.code()) {
    case absl::StatusCode::kFailedPrecondition:
      return BadInput::kWrongVersion;
    case absl::StatusCode::kUnimplemented:
      return BadInput::kUnknownKind;
    case absl::StatusCode::kResourceExhausted:
      return BadInput::kOversized;
    default:
      return BadInput::kMalformed;
  }
}

absl::string_view BadInputName(BadInput kind) {
  switch (kind) {
    case BadInput::kMalformed:
      return "malformed";
    case BadInput::kWrongVersion:
      return "wrong protocol version";
    case BadInput::kUnknownKind:
      return "unknown message kind";
    case BadInput::kOversized:
      return "oversized";
    case BadInput::kNotIntroduced:
      return "no hello";
    case BadInput::kUnexpected:
      return "unexpected";
  }
  return "?";
}

void BadInputLog::Record(absl::string_view peer, BadInput kind, const absl::Status& why) {
  ++counts_[static_cast<int>(kind)];
  if (logged_.size() >= kMaxRemembered) logged_.clear();
  uint32_t& bits = logged_[peer];
  uint32_t bit = 1u << static_cast<int>(kind);
  if ((bits & bit) != 0) return;
  bits |= bit;
  LOG(WARNING) << side_ << ": refused a frame from peer " << absl::CEscape(peer) << " ("
               << BadInputName(kind) << "): " << why.message()
               << " [further such frames from this peer are counted, not logged]";
}

uint64_t BadInputLog::total() const {
  uint64_t total = 0;
  for (uint64_t count : counts_) total += count;
  return total;
}

}  // namespace braid
