// braid worker: runs a worker until SIGINT (cancel what runs, stop) or SIGTERM (drain, then
// stop).

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "coordinator/planner.h"
#include "glog/logging.h"
#include "job/registry.h"
#include "messaging/zmq_transport.h"
#include "reactor/blocking_calls.h"
#include "reactor/poll_reactor.h"
#include "tools/commands.h"
#include "tools/curve_flags.h"
#include "tools/http_flag.h"
#include "worker/map_output_fetcher.h"
#include "worker/map_output_server.h"
#include "worker/worker.h"
#include "worker/worker_pages.h"

ABSL_FLAG(std::string, scratch, "",
          "where map outputs go (default: a directory under /tmp, removed at exit)");
ABSL_FLAG(std::string, map_buffer, "128MiB", "a map task's output held in memory before it spills");
ABSL_FLAG(std::string, data_listen, "",
          "serve this worker's map outputs to other workers' reducers here, and copy theirs "
          "before a reduce (tcp://HOST:PORT, port 0 picks one; ipc:///PATH; 'auto': ipc in the "
          "scratch directory for an ipc coordinator, else the address that reaches the "
          "coordinator). With keys it admits only the fleet's workers. Default: none, map outputs "
          "are read by path from a shared filesystem");
ABSL_FLAG(double, fault_slowdown, 1,
          "for tests: each attempt takes this many times as long (1: no slowdown)");
ABSL_FLAG(double, fault_fail_fraction, 0, "for tests: this fraction of attempts fail");
ABSL_FLAG(uint64_t, fault_crash_after_records, 0,
          "for tests: the process kills itself after its map tasks read this many records (0: "
          "never)");

namespace braid {
namespace {

// Where a worker serves its map outputs when told "auto": beside its scratch files for a
// coordinator on ipc, else the address of this machine's interface that reaches the
// coordinator (what a UDP socket connected there is bound to: nothing is sent), port 0.
absl::StatusOr<std::string> DefaultDataEndpoint(const std::string& coordinator,
                                                const std::string& scratch) {
  if (absl::StartsWith(coordinator, "ipc://")) return absl::StrCat("ipc://", scratch, "/data");
  absl::string_view rest = coordinator;
  if (!absl::ConsumePrefix(&rest, "tcp://")) {
    return absl::InvalidArgumentError(absl::StrCat("cannot tell an address from ", coordinator));
  }
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("no port in ", coordinator));
  }
  std::string host(rest.substr(0, colon));
  const std::string port(rest.substr(colon + 1));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(error)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);
  const int fd = socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  const bool ok = connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
  const int saved = errno;
  close(fd);
  if (!ok) {
    return absl::UnavailableError(absl::StrCat("no route to ", host, ": ", std::strerror(saved)));
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* address =
      local.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
  inet_ntop(local.ss_family, address, text, sizeof text);
  return local.ss_family == AF_INET6 ? absl::StrCat("tcp://[", text, "]:0")
                                     : absl::StrCat("tcp://", text, ":0");
}

}  // namespace

int WorkerCommand(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid worker: unexpected argument '%s'\n", args[1]);
    return 2;
  }
  if (const absl::Status http = CheckHttpFlag(); !http.ok()) {
    absl::FPrintF(stderr, "braid worker: %s\n", http.message());
    return 2;
  }
  int slots = absl::GetFlag(FLAGS_slots);
  if (slots < 0) {
    absl::FPrintF(stderr, "braid worker: --slots cannot be negative\n");
    return 2;
  }
  if (slots == 0) slots = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  absl::StatusOr<uint64_t> buffer = ParseByteSize(absl::GetFlag(FLAGS_map_buffer));
  if (!buffer.ok()) {
    absl::FPrintF(stderr, "braid worker: --map-buffer: %s\n", buffer.status().message());
    return 2;
  }
  FaultInjection faults;
  faults.slowdown = absl::GetFlag(FLAGS_fault_slowdown);
  faults.fail_fraction = absl::GetFlag(FLAGS_fault_fail_fraction);
  faults.crash_after_records = absl::GetFlag(FLAGS_fault_crash_after_records);
  if (faults.slowdown < 1 || faults.fail_fraction < 0 || faults.fail_fraction > 1) {
    absl::FPrintF(stderr,
                  "braid worker: --fault-slowdown must be at least 1 and --fault-fail-fraction "
                  "between 0 and 1\n");
    return 2;
  }
  std::string scratch = absl::GetFlag(FLAGS_scratch);
  const bool own_scratch = scratch.empty();
  if (own_scratch) scratch = absl::StrCat("/tmp/braid-worker-", getpid());
  std::error_code error;
  std::filesystem::create_directories(scratch, error);
  if (error) {
    absl::FPrintF(stderr, "braid worker: cannot create --scratch '%s': %s\n", scratch,
                  error.message());
    return 2;
  }

  PollReactorOptions reactor_options;
  // A thread per slot runs tasks; with the data plane two more read and write map outputs, so
  // that a worker whose slots are all busy still serves its outputs to other workers' reducers.
  reactor_options.thread_pool_size =
      static_cast<size_t>(slots) + (absl::GetFlag(FLAGS_data_listen).empty() ? 0 : 2);
  reactor_options.stop_on_signals = false;
  PollReactor reactor(reactor_options);
  absl::StatusOr<CurveClientOptions> curve = CurveClientFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!curve.ok()) {
    absl::FPrintF(stderr, "braid worker: %s\n", curve.status().message());
    return 2;
  }
  const CurveKeyPair own_keys = curve->keys;  // also the data endpoint's, with keys
  const bool keyed = !own_keys.secret_key.empty();
  absl::StatusOr<std::unique_ptr<ZmqClientTransport>> transport =
      ZmqClientTransport::Connect(reactor, absl::GetFlag(FLAGS_coordinator), {}, *std::move(curve));
  if (!transport.ok()) {
    absl::FPrintF(stderr, "braid worker: %s\n", transport.status().message());
    return 2;
  }
  // The data plane, if asked for.
  std::string data_listen = absl::GetFlag(FLAGS_data_listen);
  if (data_listen == "auto") {
    absl::StatusOr<std::string> chosen =
        DefaultDataEndpoint(absl::GetFlag(FLAGS_coordinator), scratch);
    if (!chosen.ok()) {
      absl::FPrintF(stderr, "braid worker: --data-listen auto: %s\n", chosen.status().message());
      return 2;
    }
    data_listen = *chosen;
  }
  PoolBlockingCalls blocking_calls(reactor);
  FleetKeys fleet;  // with keys: who may fetch from the data endpoint, as the coordinator says
  std::unique_ptr<MapOutputServer> data_server;
  std::unique_ptr<MapOutputFetcher> fetcher;
  std::unique_ptr<PartFileSender> part_sender;
  if (!data_listen.empty()) {
    if (absl::StrContains(data_listen, "://*:") || absl::StrContains(data_listen, "0.0.0.0") ||
        absl::StrContains(data_listen, "[::]")) {
      absl::FPrintF(stderr,
                    "braid worker: --data-listen %s: give the address other workers reach this one "
                    "by (it is what the coordinator tells them), not a wildcard\n",
                    data_listen);
      return 2;
    }
    if (!keyed) {
      absl::Status keyless = CheckKeylessEndpoint("serve map outputs on", data_listen,
                                                  "anyone who reaches it could read them",
                                                  "--curve-key and --coordinator-key");
      if (!keyless.ok()) {
        absl::FPrintF(stderr, "braid worker: %s\n", keyless.message());
        return 2;
      }
    }
    // A small queue per peer: reducers ask for a window of chunks at a time (a peer that asks
    // for more is refused by the server, and one that does not read its answers is stopped here).
    ZmqTransportOptions data_options;
    data_options.high_water_mark = 256;
    // With keys the data endpoint is a CURVE server with this worker's own pair (the key the
    // coordinator tells reducers to expect), admitting only the fleet's workers.
    CurveServerOptions data_curve;
    if (keyed) {
      data_curve.keys = own_keys;
      data_curve.admit = [&fleet](absl::string_view key) { return fleet.Admit(key); };
    }
    absl::StatusOr<std::unique_ptr<ZmqServerTransport>> data_transport =
        ZmqServerTransport::Bind(reactor, data_listen, data_options, std::move(data_curve));
    if (!data_transport.ok()) {
      absl::FPrintF(stderr, "braid worker: --data-listen: %s\n", data_transport.status().message());
      return 2;
    }
    data_server = std::make_unique<MapOutputServer>(*std::move(data_transport), scratch,
                                                    *Env::Default(), blocking_calls);
    fetcher = std::make_unique<MapOutputFetcher>(
        reactor,
        [&reactor, own_keys, keyed](const std::string& endpoint, const std::string& key)
            -> absl::StatusOr<std::unique_ptr<ClientTransport>> {
          if (keyed && key.empty()) {
            return absl::FailedPreconditionError(
                absl::StrCat("the holder at ", endpoint, " has no key to verify"));
          }
          CurveClientOptions holder;
          if (keyed) holder = CurveClientOptions{own_keys, key};
          absl::StatusOr<std::unique_ptr<ZmqClientTransport>> connected =
              ZmqClientTransport::Connect(reactor, endpoint, {}, std::move(holder));
          if (!connected.ok()) return connected.status();
          return std::unique_ptr<ClientTransport>(*std::move(connected));
        },
        *Env::Default(), blocking_calls);
    // Without a filesystem shared with the coordinator: inputs come from it, part files go to it.
    part_sender = std::make_unique<PartFileSender>(reactor, *Env::Default(), blocking_calls);
    LOG(INFO) << "serving map outputs on " << data_server->endpoint();
  }
  WorkerOptions options;
  options.name = DefaultWorkerName();
  options.slots = static_cast<uint32_t>(slots);
  options.scratch_dir = scratch;
  options.blocking_calls = &blocking_calls;
  options.data_server = data_server.get();
  options.fetcher = fetcher.get();
  options.part_sender = part_sender.get();
  if (keyed) options.fleet = &fleet;
  options.job_kinds = JobRegistry::Global().Names();
  TaskEnvironment environment;
  environment.worker_name = options.name;
  environment.scratch_dir = scratch;
  environment.map_buffer_bytes = *buffer;
  environment.registry = &JobRegistry::Global();
  if (faults.active()) {
    environment.faults = &faults;
    LOG(WARNING) << "injecting faults: slowdown " << faults.slowdown << ", failing "
                 << faults.fail_fraction << " of attempts, crashing after "
                 << faults.crash_after_records << " records";
  }
  int exit_code = 0;
  {
    ThreadTaskExecutor executor(reactor, environment);
    Worker worker(reactor, *std::move(transport), executor, options);
    const WorkerPageSources pages{&worker, data_server.get(), fetcher.get(), part_sender.get()};
    absl::StatusOr<std::unique_ptr<HttpServer>> http = StartHttpFromFlag(
        reactor, "braid worker", /*default_address=*/"",
        [&pages](const HttpRequest& request) { return ServeWorkerPage(pages, request); });
    if (!http.ok()) {
      absl::FPrintF(stderr, "braid worker: %s\n", http.status().message());
      exit_code = 2;
    }
    worker.SetOnClosed([&](absl::Status why) {
      absl::FPrintF(stderr, "braid worker: the coordinator cut this worker off: %s\n",
                    why.message());
      exit_code = 1;
      reactor.Stop().IgnoreError();
    });
    (void)reactor.CatchSignal(SIGTERM, [&] {
      worker.Drain("SIGTERM").Both([&](absl::Status) { reactor.Stop().IgnoreError(); });
    });
    // Stopping waits for the task threads: running attempts (and their commands) stop first.
    (void)reactor.CatchSignal(SIGINT, [&] {
      worker.CancelRunning();
      reactor.Stop().IgnoreError();
    });
    reactor.CallWhenRunning([&] {
      worker.Start().Both([&](Result<proto::Welcome> welcome) {
        if (welcome.ok()) {
          absl::PrintF("worker %s joined the coordinator at %s with %d slots\n", worker.name(),
                       absl::GetFlag(FLAGS_coordinator), slots);
          std::fflush(stdout);
        } else if (!absl::IsUnavailable(welcome.status())) {
          absl::FPrintF(stderr, "braid worker: %s\n", welcome.status().message());
          exit_code = 1;
          reactor.Stop().IgnoreError();
        } else {
          LOG(WARNING) << "worker " << worker.name() << ": " << welcome.status().message()
                       << "; still trying";
        }
      });
    });
    if (http.ok() && !reactor.Run().ok()) exit_code = 1;
  }
  if (data_server != nullptr) {
    LOG(INFO) << "worker served " << data_server->bytes_served() << " bytes of map outputs ("
              << data_server->refused() << " requests refused) and fetched "
              << fetcher->bytes_fetched() << " bytes; sent " << part_sender->bytes_sent()
              << " bytes of part files to the coordinator";
  }
  if (own_scratch) std::filesystem::remove_all(scratch, error);
  return exit_code;
}

}  // namespace braid
