// Many idle workers in one process, to load a coordinator with connections (bench/scale_bench).
//
//   idle_workers --coordinator ipc:///tmp/x/coordinator --links 250 [--kind bench-idle]
//
// Opens --links DEALER connections (one Link each, on one reactor) that introduce themselves as
// workers with one slot for job --kind only, then do nothing but heartbeat. The coordinator gives
// a worker attempts only of the jobs it advertises, so these take no task of any other job: they
// cost the coordinator exactly what a connected, idle worker costs. Prints "N links joined" once
// every Link has been welcomed, and runs until SIGINT or SIGTERM.
//
// Threading: one loop; every Link lives on it.

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/driver.h"
#include "messaging/link.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"

ABSL_FLAG(std::string, coordinator, "", "the coordinator's endpoint");
ABSL_FLAG(int, links, 250, "worker connections to open");
ABSL_FLAG(std::string, kind, "bench-idle", "the only job kind the workers advertise");

namespace braid {
namespace {

proto::Envelope Hello(int index) {
  proto::Envelope hello;
  proto::WorkerHello* worker = hello.mutable_worker_hello();
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  worker->set_name(absl::StrFormat("%s:%d/idle-%d", host, getpid(), index));
  worker->set_host(host);
  worker->set_pid(static_cast<uint32_t>(getpid()));
  worker->set_slots(1);
  worker->add_job_kinds(absl::GetFlag(FLAGS_kind));
  worker->set_build_version("braid idle_workers");
  worker->set_scratch_dir("/nonexistent");
  return hello;
}

int Main() {
  const std::string endpoint = absl::GetFlag(FLAGS_coordinator);
  const int count = absl::GetFlag(FLAGS_links);
  if (endpoint.empty() || count < 1) {
    absl::FPrintF(stderr, "idle_workers: give --coordinator and --links >= 1\n");
    return 2;
  }
  PollReactor reactor;
  int exit_code = 0;
  {
    std::vector<std::unique_ptr<Link>> links;
    for (int i = 0; i < count; ++i) {
      auto transport = ZmqClientTransport::Connect(reactor, endpoint);
      if (!transport.ok()) {
        absl::FPrintF(stderr, "idle_workers: %s\n", transport.status().message());
        return 1;
      }
      links.push_back(std::make_unique<Link>(reactor, *std::move(transport), LinkOptions(),
                                             [i] { return Hello(i); }));
      // Whatever the coordinator sends (nothing but heartbeats, which the Link answers) is
      // dropped.
      links.back()->SetOnMessage([](proto::Envelope) {});
    }
    int joined = 0;
    reactor.CallWhenRunning([&] {
      for (auto& link : links) {
        link->Connect().Both([&](Result<proto::Welcome> welcome) {
          if (!welcome.ok()) {
            // A Link that timed out keeps trying in the background; anything else is fatal.
            if (absl::IsUnavailable(welcome.status())) return;
            absl::FPrintF(stderr, "idle_workers: %s\n", welcome.status().message());
            exit_code = 1;
            reactor.Stop().IgnoreError();
            return;
          }
          if (++joined == count) {
            absl::PrintF("%d links joined\n", count);
            std::fflush(stdout);
          }
        });
      }
    });
    if (!reactor.Run().ok()) exit_code = 1;
    for (auto& link : links) link->Close("idle_workers stopped");
  }
  return exit_code;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
