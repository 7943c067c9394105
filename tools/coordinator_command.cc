// braid coordinator: runs a coordinator until SIGINT or SIGTERM.

#include <csignal>
#include <filesystem>
#include <optional>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "base/allocator_memory.h"
#include "coordinator/access_control.h"
#include "coordinator/coordinator.h"
#include "coordinator/planner.h"
#include "coordinator/status_pages.h"
#include "glog/logging.h"
#include "job/registry.h"
#include "messaging/curve_keys.h"
#include "messaging/zmq_transport.h"
#include "reactor/looping_call.h"
#include "reactor/poll_reactor.h"
#include "tools/commands.h"
#include "tools/curve_flags.h"
#include "tools/http_flag.h"

ABSL_FLAG(std::string, listen, "",
          "where workers and clients connect (tcp://HOST:PORT, port 0 picks one; ipc:///PATH); "
          "default tcp://*:7070 with keys, tcp://127.0.0.1:7070 without");
ABSL_FLAG(std::string, authorized_keys, "",
          "the keys that may connect, one per line with its role: 'worker|client|admin KEY "
          "[COMMENT]' (re-read on SIGHUP); needs --curve-key");
ABSL_FLAG(std::string, work_dir, "braid-coordinator", "the coordinator's working directory");
ABSL_FLAG(int, max_jobs_per_client, 100,
          "jobs one client key may have that have not ended (with --authorized-keys)");
ABSL_FLAG(int, max_submits_in_flight, 16, "submits one client may have being planned at once");
ABSL_FLAG(int, max_watches_per_client, 1000, "jobs one client connection may watch at once");
ABSL_FLAG(std::string, max_file_bytes, "16MiB",
          "bytes of --file one streaming job may ship (at most 16MiB)");
ABSL_FLAG(int, max_connections, 10'000,
          "connections (workers, clients and anyone else) open at once at most; a new one beyond "
          "is closed at once");
ABSL_FLAG(int64_t, max_tasks, braid::kDefaultMaxTasks,
          "the most tasks (maps and reduces) one job may have; a larger job is refused at submit");
ABSL_FLAG(std::string, state_dir, "",
          "where the coordinator journals its jobs, to resume them after a restart (default: "
          "WORK_DIR/state)");

namespace braid {
namespace {

// How often the coordinator looks at its allocator's free memory, and how much of it it keeps.
constexpr absl::Duration kFreeMemoryCheckInterval = absl::Seconds(2);
constexpr uint64_t kFreeMemoryKept = uint64_t{32} << 20;

}  // namespace

int CoordinatorCommand(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid coordinator: unexpected argument '%s'\n", args[1]);
    return 2;
  }
  if (const absl::Status http = CheckHttpFlag(); !http.ok()) {
    absl::FPrintF(stderr, "braid coordinator: %s\n", http.message());
    return 2;
  }
  std::error_code error;
  std::filesystem::create_directories(absl::GetFlag(FLAGS_work_dir), error);
  if (error) {
    absl::FPrintF(stderr, "braid coordinator: cannot create --work-dir '%s': %s\n",
                  absl::GetFlag(FLAGS_work_dir), error.message());
    return 2;
  }
  const std::string key_file = absl::GetFlag(FLAGS_curve_key);
  const std::string keys_file = absl::GetFlag(FLAGS_authorized_keys);
  if (key_file.empty() != keys_file.empty()) {
    absl::FPrintF(stderr,
                  "braid coordinator: --curve-key and --authorized-keys go together: the first "
                  "is the coordinator's own key pair, the second who may connect\n");
    return 2;
  }
  const bool keyed = !key_file.empty();
  std::string listen = absl::GetFlag(FLAGS_listen);
  if (listen.empty()) listen = keyed ? "tcp://*:7070" : "tcp://127.0.0.1:7070";
  if (!keyed) {
    absl::Status keyless = CheckKeylessEndpoint(
        "listen on", listen,
        "anyone who reaches it could submit jobs, that is run commands on every worker",
        "--curve-key and --authorized-keys");
    if (!keyless.ok()) {
      absl::FPrintF(stderr, "braid coordinator: %s\n", keyless.message());
      return 2;
    }
  }
  std::optional<AccessControl> access;
  CurveServerOptions curve;
  if (keyed) {
    absl::StatusOr<CurveKeyPair> pair = ReadCurveKeyPair(*Env::Default(), key_file);
    absl::StatusOr<AuthorizedKeys> keys = AuthorizedKeys::Read(*Env::Default(), keys_file);
    for (const absl::Status& status : {pair.status(), keys.status()}) {
      if (!status.ok()) {
        absl::FPrintF(stderr, "braid coordinator: %s\n", status.message());
        return 2;
      }
    }
    access.emplace(*std::move(keys));
    curve.keys = *std::move(pair);
    curve.admit = [&access](absl::string_view key) { return access->Admit(key); };
  }
  if (absl::GetFlag(FLAGS_max_connections) < 1) {
    absl::FPrintF(stderr, "braid coordinator: --max-connections must be at least 1\n");
    return 2;
  }
  ZmqTransportOptions transport_options;
  transport_options.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  PollReactor reactor;
  const std::string public_key = curve.keys.public_key;
  absl::StatusOr<std::unique_ptr<ZmqServerTransport>> transport =
      ZmqServerTransport::Bind(reactor, listen, transport_options, std::move(curve));
  if (!transport.ok()) {
    absl::FPrintF(stderr, "braid coordinator: %s\n", transport.status().message());
    return 2;
  }
  CoordinatorOptions options;
  if (access.has_value()) options.access = &*access;
  for (auto [flag, value, limit] :
       {std::tuple{"--max-jobs-per-client", absl::GetFlag(FLAGS_max_jobs_per_client),
                   &options.limits.unfinished_jobs_per_key},
        std::tuple{"--max-submits-in-flight", absl::GetFlag(FLAGS_max_submits_in_flight),
                   &options.limits.submits_in_flight_per_client},
        std::tuple{"--max-watches-per-client", absl::GetFlag(FLAGS_max_watches_per_client),
                   &options.limits.watches_per_client}}) {
    if (value < 1) {
      absl::FPrintF(stderr, "braid coordinator: %s must be at least 1\n", flag);
      return 2;
    }
    *limit = static_cast<size_t>(value);
  }
  absl::StatusOr<uint64_t> file_bytes = ParseByteSize(absl::GetFlag(FLAGS_max_file_bytes));
  if (!file_bytes.ok() || *file_bytes > kMaxShippedBytes) {
    absl::FPrintF(stderr, "braid coordinator: --max-file-bytes: %s\n",
                  file_bytes.ok() ? "at most 16MiB (the files travel inside one message)"
                                  : file_bytes.status().message());
    return 2;
  }
  options.limits.file_bytes_per_job = *file_bytes;
  if (absl::GetFlag(FLAGS_max_tasks) < 1 ||
      static_cast<uint64_t>(absl::GetFlag(FLAGS_max_tasks)) > kMaxTasksLimit) {
    absl::FPrintF(stderr, "braid coordinator: --max-tasks must be 1 to %d\n", kMaxTasksLimit);
    return 2;
  }
  options.limits.tasks_per_job = static_cast<uint64_t>(absl::GetFlag(FLAGS_max_tasks));
  options.state_dir = absl::GetFlag(FLAGS_state_dir);
  if (options.state_dir.empty()) options.state_dir = absl::GetFlag(FLAGS_work_dir) + "/state";
  PoolBlockingCalls blocking_calls(reactor);
  options.blocking_calls = &blocking_calls;
  Coordinator coordinator(reactor, *std::move(transport), JobRegistry::Global(), options);
  absl::Status recovered = coordinator.Recover();
  if (!recovered.ok()) {
    absl::FPrintF(stderr, "braid coordinator: %s\n", recovered.message());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> http =
      StartHttpFromFlag(reactor, "braid coordinator", kDefaultCoordinatorHttp,
                        [&coordinator](const HttpRequest& request) {
                          return ServeCoordinatorPage(coordinator, request);
                        });
  if (!http.ok()) {
    absl::FPrintF(stderr, "braid coordinator: %s\n", http.status().message());
    return 2;
  }
  if (keyed) {
    (void)reactor.CatchSignal(SIGHUP, [&] {
      absl::StatusOr<AuthorizedKeys> keys = AuthorizedKeys::Read(*Env::Default(), keys_file);
      if (!keys.ok()) {
        LOG(ERROR) << "SIGHUP: keeping the authorized keys as they were: " << keys.status();
        return;
      }
      coordinator.ReplaceAuthorizedKeys(*std::move(keys));
    });
    absl::PrintF("coordinator listening on %s with CURVE (public key %s, %d authorized keys)\n",
                 coordinator.endpoint(), public_key, access->keys().size());
  } else {
    absl::PrintF("coordinator listening on %s without keys (%s)\n", coordinator.endpoint(),
                 IsLocalEndpoint(listen) ? "this machine only" : "INSECURE: open to anyone");
  }
  std::fflush(stdout);
  // What a burst took (large messages, peers that announced large frames and went away) goes
  // back to the system once freed, rather than keeping the process at its peak.
  LoopingCall release_free_memory(reactor, [] {
    const std::optional<uint64_t> free = AllocatorFreeBytes();
    if (!free.has_value() || *free > kFreeMemoryKept) ReleaseAllocatorFreeMemory();
  });
  release_free_memory.Start(kFreeMemoryCheckInterval, /*now=*/false).Catch([](absl::Status) {});
  absl::Status ran = reactor.Run();
  return ran.ok() ? 0 : 1;
}

}  // namespace braid
