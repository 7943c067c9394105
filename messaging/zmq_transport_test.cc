// The ZeroMQ transports and the messaging layer on them: real sockets, a real loop, real
// processes. Each test stops its reactor itself; a watchdog fails it if it does not.

#include "messaging/zmq_transport.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/hub.h"
#include "messaging/link.h"
#include "messaging/zmq_testing.h"
#include "reactor/poll_reactor.h"
#include "third_party/absl_compat/status_matchers.h"

extern char** environ;

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

using testing::RunWithWatchdog;

PollReactorOptions Options() { return testing::TestReactorOptions(); }

std::string Ipc(absl::string_view name) {
  return absl::StrCat("ipc:///tmp/braid-", name, "-", getpid());
}

// One round trip over `endpoint`: the client says "ping", the server answers "pong".
void RoundTrip(absl::string_view endpoint) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, endpoint);
  ASSERT_THAT(server, IsOk());
  auto client = ZmqClientTransport::Connect(reactor, (*server)->endpoint());
  ASSERT_THAT(client, IsOk());
  std::string got;
  (*server)->SetReceiver([&](const PeerId& peer, absl::string_view frame, absl::string_view) {
    EXPECT_EQ(frame, "ping");
    EXPECT_THAT((*server)->Send(peer, "pong"), IsOk());
  });
  (*client)->SetReceiver([&](absl::string_view frame) {
    got = std::string(frame);
    reactor.Stop().IgnoreError();
  });
  ASSERT_THAT((*client)->Send("ping"), IsOk());
  RunWithWatchdog(reactor);
  EXPECT_EQ(got, "pong");
}

TEST(ZmqTransport, RoundTripOverInproc) { RoundTrip("inproc://zmq-transport-test"); }

TEST(ZmqTransport, RoundTripOverIpc) { RoundTrip(Ipc("round-trip")); }

TEST(ZmqTransport, RoundTripOverTcpOnAPortItPicked) { RoundTrip("tcp://127.0.0.1:0"); }

TEST(ZmqTransport, BindingPortZeroReportsTheChosenPort) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, "tcp://127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  EXPECT_THAT((*server)->endpoint(), StartsWith("tcp://127.0.0.1:"));
  EXPECT_THAT((*server)->endpoint(), Not(HasSubstr(":0")));
}

TEST(ZmqTransport, SendingToAPeerThatIsNotConnectedFails) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, Ipc("no-peer"));
  ASSERT_THAT(server, IsOk());
  EXPECT_THAT((*server)->Send(std::string("\0\x12\x34\x56\x78", 5), "hello?"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("not connected")));
}

TEST(ZmqTransport, AMalformedEndpointIsInvalidArgument) {
  PollReactor reactor(Options());
  EXPECT_THAT(ZmqServerTransport::Bind(reactor, "carrier-pigeon://loft"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("carrier-pigeon")));
  EXPECT_THAT(ZmqClientTransport::Connect(reactor, "no scheme at all"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ZmqTransport, LocalEndpointsAreThoseOnlyThisMachineReaches) {
  for (absl::string_view local :
       {"ipc:///tmp/braid.sock", "inproc://x", "tcp://127.0.0.1:7070", "tcp://127.3.4.5:0",
        "tcp://localhost:7070", "tcp://[::1]:7070", "tcp://10.0.0.1;127.0.0.1:7070"}) {
    EXPECT_TRUE(IsLocalEndpoint(local)) << local;
  }
  for (absl::string_view remote :
       {"tcp://*:7070", "tcp://0.0.0.0:7070", "tcp://10.1.2.3:7070", "tcp://eth0:7070",
        "tcp://[::]:7070", "tcp://128.0.0.1:7070", "tcp://127.0.0.1.evil.com:7070",
        "tcp://127.0.0.256:7070", "tcp://127.0.0.1", "pgm://eth0;239.192.1.1:5555", ""}) {
    EXPECT_FALSE(IsLocalEndpoint(remote)) << remote;
  }
}

TEST(ZmqTransport, AnAddressInUseIsUnavailable) {
  PollReactor reactor(Options());
  auto first = ZmqServerTransport::Bind(reactor, "tcp://127.0.0.1:0");
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(ZmqServerTransport::Bind(reactor, (*first)->endpoint()),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ZmqTransport, AReconnectedClientIsANewPeer) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, Ipc("reconnect"));
  ASSERT_THAT(server, IsOk());
  auto client = ZmqClientTransport::Connect(reactor, (*server)->endpoint());
  ASSERT_THAT(client, IsOk());
  std::vector<PeerId> peers;
  (*server)->SetReceiver([&](const PeerId& peer, absl::string_view, absl::string_view) {
    peers.push_back(peer);
    if (peers.size() == 1) {
      ASSERT_THAT((*client)->Reconnect(), IsOk());
      ASSERT_THAT((*client)->Send("again"), IsOk());
    } else {
      reactor.Stop().IgnoreError();
    }
  });
  ASSERT_THAT((*client)->Send("first"), IsOk());
  RunWithWatchdog(reactor);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_NE(peers[0], peers[1]);
}

TEST(ZmqTransport, HubAndLinkTalkOverIpc) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, Ipc("hub-link"));
  ASSERT_THAT(server, IsOk());
  Hub hub(reactor, *std::move(server));
  hub.SetHandlers(
      [&](const PeerId& peer, proto::Envelope& m) {
        if (m.has_client_hello()) {
          hub.Welcome(peer, m.message_id(), proto::Welcome());
        } else if (m.has_status_request()) {
          proto::Envelope reply;
          reply.mutable_status_response()->add_jobs()->set_job_id("j1");
          hub.Reply(peer, m.message_id(), reply);
        }
      },
      [](const PeerId&, absl::Status) {});
  auto transport = ZmqClientTransport::Connect(reactor, hub.endpoint());
  ASSERT_THAT(transport, IsOk());
  Link link(reactor, *std::move(transport), LinkOptions(), [] {
    proto::Envelope hello;
    hello.mutable_client_hello()->set_name("test client");
    return hello;
  });
  std::string job;
  link.Connect()
      .Then([&](proto::Welcome) {
        proto::Envelope request;
        request.mutable_status_request();
        return link.Request(request);
      })
      .Then([&](proto::Envelope reply) { job = reply.status_response().jobs(0).job_id(); })
      .Both([&](absl::Status) { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  EXPECT_EQ(job, "j1");
}

// A testing_peer process; killed (SIGKILL) when the test is done with it, if not before.
class PeerProcess {
 public:
  PeerProcess(absl::string_view role, absl::string_view endpoint) {
    int out[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::string role_flag = absl::StrCat("--role=", role);
    std::string endpoint_flag = absl::StrCat("--endpoint=", endpoint);
    const char* argv[] = {"messaging/testing_peer", role_flag.c_str(), endpoint_flag.c_str(),
                          nullptr};
    EXPECT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, const_cast<char**>(argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    stdout_ = out[0];
  }
  ~PeerProcess() { Kill(); }

  // Blocks until the process says "ready" (or exits); true if it did.
  bool WaitUntilReady() {
    std::string said;
    char c;
    while (said.find("ready") == std::string::npos && read(stdout_, &c, 1) == 1) said += c;
    return said.find("ready") != std::string::npos;
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    close(stdout_);
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
};

TEST(ZmqTransport, AWorkerKilledMidConversationIsDeclaredLost) {
  PollReactor reactor(Options());
  auto server = ZmqServerTransport::Bind(reactor, Ipc("killed-worker"));
  ASSERT_THAT(server, IsOk());
  Hub hub(reactor, *std::move(server),
          HubOptions{.heartbeat_interval = absl::Milliseconds(50), .liveness = 3});
  PeerProcess worker("link", hub.endpoint());
  absl::Status lost;
  hub.SetHandlers(
      [&](const PeerId& peer, proto::Envelope& m) {
        if (!m.has_worker_hello()) return;
        hub.Welcome(peer, m.message_id(), proto::Welcome());
        // Talk for a while, then the worker dies without a word.
        reactor.CallLater(absl::Milliseconds(200), [&] {
          EXPECT_EQ(hub.peers(), 1u);
          worker.Kill();
        });
      },
      [&](const PeerId&, absl::Status why) {
        lost = why;
        reactor.Stop().IgnoreError();
      });
  RunWithWatchdog(reactor);
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no word from the peer")));
  EXPECT_EQ(hub.peers(), 0u);
}

TEST(ZmqTransport, ALinkWhoseCoordinatorWasKilledReconnectsWhenItReturns) {
  PollReactor reactor(Options());
  const std::string endpoint = Ipc("killed-coordinator");
  auto coordinator = std::make_unique<PeerProcess>("hub", endpoint);
  ASSERT_TRUE(coordinator->WaitUntilReady());
  auto transport = ZmqClientTransport::Connect(reactor, endpoint);
  ASSERT_THAT(transport, IsOk());
  Link link(reactor, *std::move(transport),
            LinkOptions{.heartbeat_interval = absl::Milliseconds(100),
                        .liveness = 3,
                        .reconnect_initial = absl::Milliseconds(50),
                        .reconnect_max = absl::Milliseconds(200)},
            [] {
              proto::Envelope hello;
              hello.mutable_worker_hello()->set_name("survivor");
              return hello;
            });
  std::vector<std::string> events;
  link.SetOnLost([&](absl::Status) {
    events.push_back("lost");
    coordinator = std::make_unique<PeerProcess>("hub", endpoint);  // restarted
  });
  link.SetOnReconnected([&](const proto::Welcome&) {
    events.push_back("reconnected");
    proto::Envelope request;
    request.mutable_status_request();
    link.Request(request).Both([&](Result<proto::Envelope> reply) {
      events.push_back(reply.ok() && reply->has_ack() ? "answered" : "not answered");
      reactor.Stop().IgnoreError();
    });
  });
  link.Connect().Then([&](proto::Welcome) {
    events.push_back("connected");
    coordinator->Kill();
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(events, ::testing::ElementsAre("connected", "lost", "reconnected", "answered"));
}

}  // namespace
}  // namespace braid
