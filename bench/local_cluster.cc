#include "bench/local_cluster.h"

#include <csignal>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "messaging/curve_keys.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"

namespace braid::bench {

std::unique_ptr<ChildProcess> StartCoordinator(const std::string& braid, const std::string& dir,
                                               const std::string& endpoint,
                                               const std::vector<std::string>& flags) {
  std::vector<std::string> args = {braid,        "coordinator", "--listen", endpoint,
                                   "--work_dir", dir + "/work", "--http",   "off"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto coordinator = ChildProcess::Start(args, dir + "/coordinator.log");
  if (!coordinator.ok() || !(*coordinator)->WaitForOutput("listening on", absl::Seconds(30))) {
    absl::FPrintF(stderr, "the coordinator did not start; see %s\n", dir);
    return nullptr;
  }
  return *std::move(coordinator);
}

bool WithClient(const std::string& endpoint, const LinkOptions& options,
                absl::AnyInvocable<Deferred<void>(Client&)> body, CurveClientOptions curve) {
  PollReactor reactor;
  auto transport = ZmqClientTransport::Connect(reactor, endpoint, {}, std::move(curve));
  if (!transport.ok()) return false;
  Client client(reactor, *std::move(transport), options);
  bool ok = false;
  reactor.CallWhenRunning([&] {
    client.Connect().Then([&] { return body(client); }).Both([&](absl::Status status) {
      if (!status.ok()) absl::FPrintF(stderr, "%s\n", status.message());
      ok = status.ok();
      client.Close();
      reactor.Stop().IgnoreError();
    });
  });
  (void)reactor.Run();
  return ok;
}

std::unique_ptr<FleetKeys> MakeFleetKeys(const std::string& dir) {
  Env& env = *Env::Default();
  const std::string keys = dir + "/keys";
  std::string authorized;
  auto fleet = std::make_unique<FleetKeys>();
  for (const char* name : {"coordinator", "worker", "client"}) {
    absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
    absl::Status written = pair.ok() ? env.CreateDirs(keys) : pair.status();
    if (written.ok()) written = WriteCurveKeyPair(env, absl::StrCat(keys, "/", name), *pair);
    if (!written.ok()) {
      absl::FPrintF(stderr, "cannot make the %s key: %s\n", name, written.message());
      return nullptr;
    }
    const std::string key_file = absl::StrCat(keys, "/", name, ".key");
    const std::vector<std::string> flags = {"--curve_key", key_file, "--coordinator_key",
                                            keys + "/coordinator.pub"};
    if (absl::string_view(name) == "coordinator") {
      fleet->coordinator_flags = {"--curve_key", key_file, "--authorized_keys",
                                  keys + "/authorized_keys"};
      fleet->client.server_key = pair->public_key;
    } else if (absl::string_view(name) == "worker") {
      fleet->worker_flags = flags;
      absl::StrAppend(&authorized, "worker ", pair->public_key, " bench workers\n");
    } else {
      fleet->client_flags = flags;
      fleet->client.keys = *pair;
      absl::StrAppend(&authorized, "client ", pair->public_key, " bench client\n");
    }
  }
  if (absl::Status written = env.WriteStringToFile(keys + "/authorized_keys", authorized);
      !written.ok()) {
    absl::FPrintF(stderr, "%s\n", written.message());
    return nullptr;
  }
  return fleet;
}

void StopCluster(const std::vector<std::unique_ptr<ChildProcess>>& workers,
                 ChildProcess& coordinator) {
  for (const auto& worker : workers) worker->Signal(SIGINT);
  for (const auto& worker : workers) worker->Stop(absl::Seconds(10));
  coordinator.Stop(absl::Seconds(10));
}

}  // namespace braid::bench
