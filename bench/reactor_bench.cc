// Reactor figures, each beside its baseline in the same run:
//   - timers scheduled and fired per second, on the real loop and on the FakeClock;
//   - CallFromThread calls per second, one producer thread to the loop;
//   - a DEALER/ROUTER echo round trip through two reactors (one thread each), beside the same
//     echo with bare cppzmq in blocking loops.
// Targets: at least 2 million timer fires per second; the reactor round trip within 1.3x of bare
// cppzmq.
//
//   bazel run -c opt //bench:reactor_bench [-- --repetitions=5]

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "bench/driver.h"
#include "bench/zmq_echo_baseline.h"
#include "reactor/fake_clock.h"
#include "reactor/poll_reactor.h"

ABSL_FLAG(int, repetitions, 5, "runs of each measurement; the median is reported");
ABSL_FLAG(int, timers, 100'000,
          "timers pending at once per timer run (a large fleet's heartbeats)");
ABSL_FLAG(int, stress_timers, 1'000'000, "timers pending at once for the stress row");
ABSL_FLAG(int, calls, 1'000'000, "CallFromThread calls per run");
ABSL_FLAG(int, round_trips, 100'000, "echo round trips per run");

namespace braid {
namespace {

using Seconds = double;

Seconds Elapsed(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

PollReactorOptions Options() {
  PollReactorOptions options;
  options.stop_on_signals = false;
  return options;
}

// Timers due within a few microseconds in scrambled order (so the heap works and the loop does
// not wait for real time), fired by the real loop.
Seconds ReactorTimers(int n) {
  PollReactor reactor(Options());
  int fired = 0;
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    reactor.CallLater(absl::Nanoseconds(i % 4000), [&] {
      if (++fired == n) reactor.Stop().IgnoreError();
    });
  }
  (void)reactor.Run();
  return Elapsed(start);
}

// The same on the FakeClock, advanced to the end at once.
Seconds ClockTimers(int n) {
  FakeClock clock;
  int fired = 0;
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) clock.CallLater(absl::Nanoseconds(i % 4000), [&] { ++fired; });
  clock.Advance(absl::Microseconds(4));
  return Elapsed(start);
}

Seconds CallsFromThread(int n) {
  PollReactor reactor(Options());
  int received = 0;
  std::thread producer;
  reactor.CallWhenRunning([&] {
    producer = std::thread([&] {
      for (int i = 0; i < n; ++i) {
        reactor.CallFromThread([&] {
          if (++received == n) reactor.Stop().IgnoreError();
        });
      }
    });
  });
  absl::Time start = absl::Now();
  (void)reactor.Run();
  Seconds elapsed = Elapsed(start);
  producer.join();
  return elapsed;
}

// What each echo round trip carries.
constexpr absl::string_view kEchoPayload = "0123456789abcdef";

std::string Endpoint(const char* name) {
  return absl::StrCat("ipc:///tmp/braid-bench-", name, "-", getpid());
}

// Echo through two reactors: the server's ROUTER sends each message back; the client's DEALER
// sends the next when the previous returns.
Seconds ReactorEcho(int n) {
  const std::string endpoint = Endpoint("reactor-echo");
  zmq::context_t context;
  PollReactor server(Options());
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind(endpoint);
  server.AddReader(router, "echo server", [&]() -> absl::Status {
    zmq::message_t identity, body;
    while (router.recv(identity, zmq::recv_flags::dontwait)) {
      (void)router.recv(body);
      router.send(identity, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
    return absl::OkStatus();
  });
  std::thread server_thread([&] { (void)server.Run(); });

  PollReactor client(Options());
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  int returned = 0;
  client.AddReader(dealer, "echo client", [&]() -> absl::Status {
    zmq::message_t body;
    while (dealer.recv(body, zmq::recv_flags::dontwait)) {
      if (++returned == n) {
        client.Stop().IgnoreError();
        return absl::OkStatus();
      }
      dealer.send(body, zmq::send_flags::none);
    }
    return absl::OkStatus();
  });
  client.CallWhenRunning(
      [&] { dealer.send(zmq::buffer(kEchoPayload.data(), kEchoPayload.size())); });
  absl::Time start = absl::Now();
  (void)client.Run();
  Seconds elapsed = Elapsed(start);
  server.CallFromThread([&] { server.Stop().IgnoreError(); });
  server_thread.join();
  return elapsed;
}

int Main() {
  const int timers = absl::GetFlag(FLAGS_timers);
  const int calls = absl::GetFlag(FLAGS_calls);
  const int trips = absl::GetFlag(FLAGS_round_trips);
  const int stress = absl::GetFlag(FLAGS_stress_timers);
  const int runs = absl::GetFlag(FLAGS_repetitions);
  Seconds reactor_timers = bench::MedianOf(runs, [&] { return ReactorTimers(timers); });
  Seconds stress_timers = bench::MedianOf(runs, [&] { return ReactorTimers(stress); });
  Seconds clock_timers = bench::MedianOf(runs, [&] { return ClockTimers(timers); });
  Seconds thread_calls = bench::MedianOf(runs, [&] { return CallsFromThread(calls); });
  Seconds reactor_echo = bench::MedianOf(runs, [&] { return ReactorEcho(trips); });
  // The same echo with bare cppzmq: blocking recv and send in two threads.
  Seconds bare_echo = bench::MedianOf(
      runs, [&] { return bench::BareZmqEchoSeconds(Endpoint("bare-echo"), kEchoPayload, trips); });

  std::printf("%-44s %14s %14s\n", "reactor (median of runs)", "per second", "time ratio");
  std::printf("%-44s %14.0f %14s\n",
              absl::StrCat("timers scheduled+fired, PollReactor, ", timers).c_str(),
              timers / reactor_timers, "target 2M/s");
  std::printf("%-44s %14.0f %14s\n",
              absl::StrCat("timers scheduled+fired, PollReactor, ", stress).c_str(),
              stress / stress_timers, "");
  std::printf("%-44s %14.0f %14s\n",
              absl::StrCat("timers scheduled+fired, fake FakeClock, ", timers).c_str(),
              timers / clock_timers, "");
  std::printf("%-44s %14.0f %14s\n", "CallFromThread calls", calls / thread_calls, "");
  std::printf("%-44s %14.0f %14s\n", "echo round trips, bare cppzmq", trips / bare_echo,
              "baseline");
  std::printf("%-44s %14.0f %13.2fx\n", "echo round trips, two reactors", trips / reactor_echo,
              reactor_echo / bare_echo);  // time per round trip, reactor over bare
  std::printf("round-trip time: reactor %.1f us, bare %.1f us (target: ratio <= 1.30)\n",
              reactor_echo / trips * 1e6, bare_echo / trips * 1e6);
  return 0;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
