// braid coordinator: runs a coordinator until SIGINT or SIGTERM.

#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "coordinator/coordinator.h"
#include "job/registry.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/commands.h"

ABSL_FLAG(std::string, listen, "tcp://*:7070",
          "where workers and clients connect (tcp://HOST:PORT, port 0 picks one; ipc:///PATH)");
ABSL_FLAG(std::string, work_dir, "braid-coordinator", "the coordinator's working directory");
ABSL_FLAG(std::string, state_dir, "",
          "where the coordinator journals its jobs, to resume them after a restart (default: "
          "WORK_DIR/state)");

namespace braid {

int CoordinatorCommand(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid coordinator: unexpected argument '%s'\n", args[1]);
    return 2;
  }
  std::error_code error;
  std::filesystem::create_directories(absl::GetFlag(FLAGS_work_dir), error);
  if (error) {
    absl::FPrintF(stderr, "braid coordinator: cannot create --work-dir '%s': %s\n",
                  absl::GetFlag(FLAGS_work_dir), error.message());
    return 2;
  }
  PollReactor reactor;
  absl::StatusOr<std::unique_ptr<ZmqServerTransport>> transport =
      ZmqServerTransport::Bind(reactor, absl::GetFlag(FLAGS_listen));
  if (!transport.ok()) {
    absl::FPrintF(stderr, "braid coordinator: %s\n", transport.status().message());
    return 2;
  }
  CoordinatorOptions options;
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
  absl::PrintF("coordinator listening on %s\n", coordinator.endpoint());
  std::fflush(stdout);
  absl::Status ran = reactor.Run();
  return ran.ok() ? 0 : 1;
}

}  // namespace braid
