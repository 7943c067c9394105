// braid keygen NAME: writes a CURVE key pair, NAME.key (secret, mode 0600) and NAME.pub.

#include "absl/strings/str_format.h"
#include "base/env.h"
#include "messaging/curve_keys.h"
#include "tools/commands.h"

namespace braid {

int KeygenCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    absl::FPrintF(stderr, "usage: braid keygen NAME  (writes NAME.key and NAME.pub)\n");
    return 2;
  }
  const std::string& base = args[1];
  absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
  if (!pair.ok()) {
    absl::FPrintF(stderr, "braid keygen: %s\n", pair.status().message());
    return 1;
  }
  if (absl::Status written = WriteCurveKeyPair(*Env::Default(), base, *pair); !written.ok()) {
    absl::FPrintF(stderr, "braid keygen: %s\n", written.message());
    return 1;
  }
  absl::PrintF(
      "wrote %s.key (the secret: keep it private) and %s.pub\n"
      "to let this key in, add to the coordinator's --authorized-keys file a line such as\n"
      "  client %s %s\n"
      "(roles: worker, client, admin)\n",
      base, base, pair->public_key, base);
  return 0;
}

}  // namespace braid
