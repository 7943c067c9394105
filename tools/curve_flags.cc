#include "tools/curve_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "glog/logging.h"
#include "messaging/curve_keys.h"

ABSL_FLAG(std::string, curve_key, "",
          "this process's CURVE key pair (NAME.key from braid keygen): encrypts every byte and "
          "proves who it is");
ABSL_FLAG(std::string, coordinator_key, "",
          "the coordinator's public key (its NAME.pub), which this process verifies; needed with "
          "--curve-key");

ABSL_FLAG(bool, insecure, false,
          "speak without keys beyond this machine (a coordinator that listens, or a worker or "
          "client that connects): anyone on the path may read every byte, and anyone who "
          "reaches the coordinator may run commands on every worker");

namespace braid {

absl::StatusOr<CurveClientOptions> CurveClientFromFlags(absl::string_view endpoint) {
  const std::string key_file = absl::GetFlag(FLAGS_curve_key);
  const std::string coordinator_file = absl::GetFlag(FLAGS_coordinator_key);
  if (key_file.empty() && coordinator_file.empty()) {
    absl::Status keyless = CheckKeylessEndpoint(
        "connect to", endpoint,
        "a worker runs whatever the other end sends, and every byte would cross the network "
        "readable",
        "--curve-key and --coordinator-key");
    if (!keyless.ok()) return keyless;
    return CurveClientOptions{};
  }
  if (key_file.empty()) {
    return absl::InvalidArgumentError(
        "--coordinator-key needs --curve-key (this process's key pair, from braid keygen)");
  }
  if (coordinator_file.empty()) {
    return absl::InvalidArgumentError(
        "--curve-key needs --coordinator-key (the coordinator's .pub file), so that this process "
        "knows it speaks to the real coordinator");
  }
  absl::StatusOr<CurveKeyPair> keys = ReadCurveKeyPair(*Env::Default(), key_file);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<std::string> server = ReadCurvePublicKey(*Env::Default(), coordinator_file);
  if (!server.ok()) return server.status();
  return CurveClientOptions{*std::move(keys), *std::move(server)};
}

absl::Status CheckKeylessEndpoint(absl::string_view doing, absl::string_view endpoint,
                                  absl::string_view risk, absl::string_view key_flags) {
  if (IsLocalEndpoint(endpoint)) return absl::OkStatus();
  if (!absl::GetFlag(FLAGS_insecure)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to ", doing, " ", endpoint, " without keys: ", risk, ". Give ", key_flags,
        " (see braid keygen), use loopback or ipc, or accept the risk with --insecure"));
  }
  LOG(WARNING) << "--insecure: going to " << doing << " " << endpoint << " without keys: " << risk;
  return absl::OkStatus();
}

}  // namespace braid
