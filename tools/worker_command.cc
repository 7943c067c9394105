// braid worker: runs a worker until SIGINT (cancel what runs, stop) or SIGTERM (drain, then
// stop).

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "coordinator/planner.h"
#include "glog/logging.h"
#include "job/registry.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/commands.h"
#include "tools/curve_flags.h"
#include "worker/worker.h"

ABSL_FLAG(std::string, scratch, "",
          "where map outputs go (default: a directory under /tmp, removed at exit)");
ABSL_FLAG(std::string, map_buffer, "128MiB", "a map task's output held in memory before it spills");
ABSL_FLAG(double, fault_slowdown, 1,
          "for tests: each attempt takes this many times as long (1: no slowdown)");
ABSL_FLAG(double, fault_fail_fraction, 0, "for tests: this fraction of attempts fail");
ABSL_FLAG(uint64_t, fault_crash_after_records, 0,
          "for tests: the process kills itself after its map tasks read this many records (0: "
          "never)");

namespace braid {

int WorkerCommand(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid worker: unexpected argument '%s'\n", args[1]);
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
  reactor_options.thread_pool_size = static_cast<size_t>(slots);
  reactor_options.stop_on_signals = false;
  PollReactor reactor(reactor_options);
  absl::StatusOr<CurveClientOptions> curve = CurveClientFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!curve.ok()) {
    absl::FPrintF(stderr, "braid worker: %s\n", curve.status().message());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ZmqClientTransport>> transport =
      ZmqClientTransport::Connect(reactor, absl::GetFlag(FLAGS_coordinator), {}, *std::move(curve));
  if (!transport.ok()) {
    absl::FPrintF(stderr, "braid worker: %s\n", transport.status().message());
    return 2;
  }
  WorkerOptions options;
  options.name = DefaultWorkerName();
  options.slots = static_cast<uint32_t>(slots);
  options.scratch_dir = scratch;
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
    if (!reactor.Run().ok()) exit_code = 1;
  }
  if (own_scratch) std::filesystem::remove_all(scratch, error);
  return exit_code;
}

}  // namespace braid
