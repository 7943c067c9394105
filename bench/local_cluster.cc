#include "bench/local_cluster.h"

#include <csignal>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"

namespace braid::bench {

std::unique_ptr<ChildProcess> StartCoordinator(const std::string& braid, const std::string& dir,
                                               const std::string& endpoint) {
  auto coordinator =
      ChildProcess::Start({braid, "coordinator", "--listen", endpoint, "--work_dir", dir + "/work"},
                          dir + "/coordinator.log");
  if (!coordinator.ok() || !(*coordinator)->WaitForOutput("listening on", absl::Seconds(30))) {
    absl::FPrintF(stderr, "the coordinator did not start; see %s\n", dir);
    return nullptr;
  }
  return *std::move(coordinator);
}

bool WithClient(const std::string& endpoint, const LinkOptions& options,
                absl::AnyInvocable<Deferred<void>(Client&)> body) {
  PollReactor reactor;
  auto transport = ZmqClientTransport::Connect(reactor, endpoint);
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

void StopCluster(const std::vector<std::unique_ptr<ChildProcess>>& workers,
                 ChildProcess& coordinator) {
  for (const auto& worker : workers) worker->Signal(SIGINT);
  for (const auto& worker : workers) worker->Stop(absl::Seconds(10));
  coordinator.Stop(absl::Seconds(10));
}

}  // namespace braid::bench
