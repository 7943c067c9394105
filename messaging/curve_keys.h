// CURVE key pairs (CurveZMQ, RFC 26): what `braid keygen` writes and `--curve-key` /
// `--coordinator-key` read.
//
// A key is 32 bytes, held and written as 40 characters of Z85. `braid keygen NAME` writes two
// files:
//   NAME.key  the pair, mode 0600 ("public KEY" and "secret KEY" lines, '#' comments). A key
//             file that its group or others may read is refused, as ssh refuses one.
//   NAME.pub  the public key alone, on one line: what peers are told and what an
//             authorized-keys line lists.
//
// Threading: any thread.

#ifndef BRAID_MESSAGING_CURVE_KEYS_H_
#define BRAID_MESSAGING_CURVE_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"

namespace braid {

struct CurveKeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters
};

// Whether `key` is a CURVE key in Z85: 40 characters of the Z85 alphabet that decode to 32
// bytes.
bool IsCurveKey(absl::string_view key);

// A fresh pair from the system's randomness. kUnimplemented if this libzmq has no CURVE.
absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair();

// Writes `pair` as `base`.key (0600) and `base`.pub. kAlreadyExists, naming the file, if either
// exists: nothing is overwritten, and nothing is left half-written.
absl::Status WriteCurveKeyPair(Env& env, const std::string& base, const CurveKeyPair& pair);

// Reads a key file. kInvalidArgument naming the file and line for a malformed one, or for one
// whose public key is not the secret key's; kPermissionDenied if its group or others may read
// it; the Env's error if it cannot be read.
absl::StatusOr<CurveKeyPair> ReadCurveKeyPair(Env& env, const std::string& path);

// Reads a public key: a .pub file, or a key file (its public line). kInvalidArgument naming the
// file if it holds no key.
absl::StatusOr<std::string> ReadCurvePublicKey(Env& env, const std::string& path);

}  // namespace braid

#endif  // BRAID_MESSAGING_CURVE_KEYS_H_
