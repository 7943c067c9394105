// The messaging layer (Hub and Link over ZeroMQ) beside bare cppzmq with the same payloads, in the
// same run:
//   - small request/reply round trips per second (a Link's Request answered by a Hub);
//   - pipelined one-way messages per second (a Link sending TaskProgress as fast as the
//     transport takes them; the Hub decoding and dispatching each).
// Each side runs its own reactor on its own thread. Targets: pipelined throughput at least 70% of
// bare cppzmq, and at least 300,000 small messages per second into the one-core Hub.
//
//   bazel run -c opt //bench:messaging_bench [-- --repetitions=5]

#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/driver.h"
#include "bench/zmq_echo_baseline.h"
#include "glog/logging.h"
#include "messaging/hub.h"
#include "messaging/link.h"
#include "messaging/zmq_transport.h"
#include "proto/envelope.h"
#include "reactor/poll_reactor.h"

ABSL_FLAG(int, repetitions, 5, "runs of each measurement; the median is reported");
ABSL_FLAG(int, round_trips, 20'000, "request/reply round trips per run");
ABSL_FLAG(int, messages, 1'000'000, "one-way messages per run");

namespace braid {
namespace {

using Seconds = double;

PollReactorOptions Options() {
  PollReactorOptions options;
  options.stop_on_signals = false;
  return options;
}

std::string Endpoint(const char* name) {
  return absl::StrCat("ipc:///tmp/braid-bench-", name, "-", getpid());
}

proto::Envelope Progress(uint32_t task) {
  proto::Envelope message;
  proto::TaskProgress* progress = message.mutable_task_progress();
  progress->mutable_attempt()->set_job_id("job-1");
  progress->mutable_attempt()->set_kind(proto::TASK_KIND_MAP);
  progress->mutable_attempt()->set_task(task);
  progress->set_fraction(0.5);
  return message;
}

// A Hub on its own reactor and thread that welcomes hellos, acknowledges requests, and counts
// one-way messages, stopping once it has `expected` of them.
class HubThread {
 public:
  explicit HubThread(const std::string& endpoint, int expected) : expected_(expected) {
    auto transport = ZmqServerTransport::Bind(reactor_, endpoint);
    if (!transport.ok()) LOG(FATAL) << transport.status();
    hub_ = std::make_unique<Hub>(reactor_, *std::move(transport));
    hub_->SetHandlers(
        [this](const PeerId& peer, proto::Envelope& m) {
          if (m.has_client_hello()) {
            hub_->Welcome(peer, m.message_id(), proto::Welcome());
          } else if (m.has_status_request()) {
            proto::Envelope ack;
            ack.mutable_ack();
            hub_->Reply(peer, m.message_id(), ack);
          } else if (m.has_task_progress() && ++received_ == expected_) {
            done_ = absl::Now();
            reactor_.Stop().IgnoreError();
          }
        },
        [](const PeerId&, absl::Status) {});
    thread_ = std::thread([this] { (void)reactor_.Run(); });
  }
  ~HubThread() {
    reactor_.CallFromThread([this] { reactor_.Stop().IgnoreError(); });
    thread_.join();
  }
  void Join() { thread_.join(); }
  absl::Time done() const { return done_; }
  std::string endpoint() const { return hub_->endpoint(); }

 private:
  PollReactor reactor_{Options()};
  std::unique_ptr<Hub> hub_;
  int expected_;
  int received_ = 0;
  absl::Time done_;
  std::thread thread_;
};

std::unique_ptr<Link> MakeLink(PollReactor& reactor, const std::string& endpoint) {
  auto transport = ZmqClientTransport::Connect(reactor, endpoint);
  if (!transport.ok()) LOG(FATAL) << transport.status();
  return std::make_unique<Link>(reactor, *std::move(transport), LinkOptions(), [] {
    proto::Envelope hello;
    hello.mutable_client_hello()->set_name("bench");
    return hello;
  });
}

Seconds LinkRoundTrips(int n) {
  const std::string endpoint = Endpoint("link-rtt");
  HubThread hub(endpoint, /*expected=*/-1);
  PollReactor reactor(Options());
  std::unique_ptr<Link> link = MakeLink(reactor, endpoint);
  absl::Time start;
  int done = 0;
  std::function<void()> next = [&] {
    proto::Envelope request;
    request.mutable_status_request()->set_job_id("job-1");
    link->Request(request).Both([&](Result<proto::Envelope> reply) {
      if (!reply.ok()) LOG(FATAL) << reply.status();
      if (++done == n) {
        reactor.Stop().IgnoreError();
      } else {
        next();
      }
    });
  };
  link->Connect().Then([&](proto::Welcome) {
    start = absl::Now();
    next();
  });
  (void)reactor.Run();
  return absl::ToDoubleSeconds(absl::Now() - start);
}

Seconds BareRoundTrips(int n) {
  proto::Envelope request;
  request.set_protocol_version(kProtocolVersion);
  request.set_message_id(1);
  request.mutable_status_request()->set_job_id("job-1");
  return bench::BareZmqEchoSeconds(Endpoint("bare-rtt"), EncodeEnvelope(request), n);
}

Seconds LinkPipelined(int n) {
  const std::string endpoint = Endpoint("link-pipe");
  auto hub = std::make_unique<HubThread>(endpoint, n);
  PollReactor reactor(Options());
  std::unique_ptr<Link> link = MakeLink(reactor, endpoint);
  absl::Time start;
  int sent = 0;
  std::function<void()> pump = [&] {
    // Send until the transport pushes back, then give the loop a turn.
    while (sent < n) {
      absl::Status status = link->Send(Progress(sent));
      if (absl::IsResourceExhausted(status)) break;
      if (!status.ok()) LOG(FATAL) << status;
      ++sent;
    }
    if (sent < n) {
      reactor.CallLater(absl::Microseconds(50), pump);
    } else {
      reactor.Stop().IgnoreError();
    }
  };
  link->Connect().Then([&](proto::Welcome) {
    start = absl::Now();
    pump();
  });
  (void)reactor.Run();
  hub->Join();
  Seconds elapsed = absl::ToDoubleSeconds(hub->done() - start);
  link.reset();
  hub.release();  // joined already; its reactor and sockets go with the process
  return elapsed;
}

Seconds BarePipelined(int n) {
  const std::string endpoint = Endpoint("bare-pipe");
  proto::Envelope message = Progress(7);
  message.set_protocol_version(kProtocolVersion);
  message.set_message_id(7);
  const std::string payload = EncodeEnvelope(message);
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.set(zmq::sockopt::rcvhwm, 100'000);
  router.bind(endpoint);
  absl::Time done;
  std::thread server([&] {
    zmq::message_t id, body;
    for (int i = 0; i < n; ++i) {
      (void)router.recv(id);
      (void)router.recv(body);
    }
    done = absl::Now();
  });
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.set(zmq::sockopt::sndhwm, 100'000);
  dealer.connect(endpoint);
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) dealer.send(zmq::buffer(payload), zmq::send_flags::none);
  server.join();
  return absl::ToDoubleSeconds(done - start);
}

int Main() {
  const int trips = absl::GetFlag(FLAGS_round_trips);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int runs = absl::GetFlag(FLAGS_repetitions);
  Seconds bare_rtt = bench::MedianOf(runs, [&] { return BareRoundTrips(trips); });
  Seconds link_rtt = bench::MedianOf(runs, [&] { return LinkRoundTrips(trips); });
  Seconds bare_pipe = bench::MedianOf(runs, [&] { return BarePipelined(messages); });
  Seconds link_pipe = bench::MedianOf(runs, [&] { return LinkPipelined(messages); });
  std::printf("%-46s %14s %12s\n", "messaging (median of runs)", "per second", "vs bare");
  std::printf("%-46s %14.0f %12s\n", "request/reply round trips, bare cppzmq", trips / bare_rtt,
              "baseline");
  std::printf("%-46s %14.0f %11.0f%%\n", "request/reply round trips, Link and Hub",
              trips / link_rtt, 100 * bare_rtt / link_rtt);
  std::printf("%-46s %14.0f %12s\n", "pipelined one-way messages, bare cppzmq",
              messages / bare_pipe, "baseline");
  std::printf("%-46s %14.0f %11.0f%%\n", "pipelined one-way messages, Link to Hub",
              messages / link_pipe, 100 * bare_pipe / link_pipe);
  std::printf("targets: pipelined >= 70%% of bare; >= 300000 messages/s into the Hub\n");
  return 0;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
