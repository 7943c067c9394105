// BadInputLog: counts the frames a peer sent that could not be taken, by reason, and logs each
// reason once per peer — so that a misbehaving or foreign peer is visible without flooding the
// log.

#ifndef BRAID_MESSAGING_BAD_INPUT_H_
#define BRAID_MESSAGING_BAD_INPUT_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

enum class BadInput {
  kMalformed,      // not an envelope
  kWrongVersion,   // another protocol version
  kUnknownKind,    // a message kind this build does not know
  kOversized,      // over the size limit
  kNotIntroduced,  // from a peer that never said hello
  kUnexpected,     // a kind this side does not accept, or a reply nobody waits for
};
inline constexpr int kBadInputKinds = 6;

// The BadInput a DecodeEnvelope error stands for.
BadInput BadInputOf(const absl::Status& decode_error);
absl::string_view BadInputName(BadInput kind);

class BadInputLog {
 public:
  // `side` names the receiver in log lines ("coordinator", "worker link").
  explicit BadInputLog(std::string side) : side_(std::move(side)) {}

  // Counts `kind` from `peer` and logs `why` if this peer has not had this kind logged before.
  void Record(absl::string_view peer, BadInput kind, const absl::Status& why);

  uint64_t count(BadInput kind) const { return counts_[static_cast<int>(kind)]; }
  uint64_t total() const;

 private:
  std::string side_;
  std::array<uint64_t, kBadInputKinds> counts_{};
  // Which kinds have been logged for each peer (a bit each); bounded, forgotten when full.
  absl::flat_hash_map<std::string, uint32_t> logged_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_BAD_INPUT_H_
