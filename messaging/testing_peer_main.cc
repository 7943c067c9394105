// A Braid peer in a process of its own, for tests that kill one mid-conversation.
//
//   testing_peer --role=link --endpoint=ipc:///tmp/x   a worker-like Link that introduces itself
//                                                      and heartbeats until killed
//   testing_peer --role=hub --endpoint=ipc:///tmp/x    a coordinator-like Hub that welcomes every
//                                                      hello and answers requests with Ack
// Prints "ready" on stdout once it is (the Link: once welcomed; the Hub: once bound).

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "glog/logging.h"
#include "messaging/hub.h"
#include "messaging/link.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"

ABSL_FLAG(std::string, role, "link", "link or hub");
ABSL_FLAG(std::string, endpoint, "", "where the hub listens");
ABSL_FLAG(int, heartbeat_ms, 50, "heartbeat interval");

namespace braid {
namespace {

int Main() {
  PollReactor reactor;
  const std::string endpoint = absl::GetFlag(FLAGS_endpoint);
  const absl::Duration interval = absl::Milliseconds(absl::GetFlag(FLAGS_heartbeat_ms));
  std::unique_ptr<Hub> hub;
  std::unique_ptr<Link> link;
  if (absl::GetFlag(FLAGS_role) == "hub") {
    auto transport = ZmqServerTransport::Bind(reactor, endpoint);
    CHECK(transport.ok()) << transport.status();
    hub = std::make_unique<Hub>(reactor, *std::move(transport),
                                HubOptions{.heartbeat_interval = interval, .liveness = 3});
    hub->SetHandlers(
        [&](const PeerId& peer, proto::Envelope& m) {
          if (m.has_worker_hello() || m.has_client_hello()) {
            hub->Welcome(peer, m.message_id(), proto::Welcome());
          } else if (m.message_id() != 0) {
            proto::Envelope ack;
            ack.mutable_ack();
            hub->Reply(peer, m.message_id(), ack);
          }
        },
        [](const PeerId&, absl::Status) {});
    std::printf("ready\n");
    std::fflush(stdout);
  } else {
    auto transport = ZmqClientTransport::Connect(reactor, endpoint);
    CHECK(transport.ok()) << transport.status();
    link = std::make_unique<Link>(reactor, *std::move(transport),
                                  LinkOptions{.heartbeat_interval = interval, .liveness = 3}, [] {
                                    proto::Envelope hello;
                                    hello.mutable_worker_hello()->set_name("testing peer");
                                    return hello;
                                  });
    link->Connect().Then([](proto::Welcome) {
      std::printf("ready\n");
      std::fflush(stdout);
    });
  }
  return reactor.Run().ok() ? 0 : 1;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return braid::Main();
}
