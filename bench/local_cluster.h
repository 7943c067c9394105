// What the drivers that start a coordinator of their own share: starting it, talking to it as a
// client, and stopping it with its workers.

#ifndef BRAID_BENCH_LOCAL_CLUSTER_H_
#define BRAID_BENCH_LOCAL_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "deferred/deferred.h"
#include "messaging/link.h"
#include "messaging/zmq_transport.h"
#include "tools/child_process.h"
#include "tools/client.h"

namespace braid::bench {

// Starts `braid coordinator` listening on `endpoint`, its work directory DIR/work and its log
// DIR/coordinator.log, with `flags` after the rest, and waits (up to 30 s) until it listens.
// Null, having said so on stderr, if it did not start.
std::unique_ptr<ChildProcess> StartCoordinator(const std::string& braid, const std::string& dir,
                                               const std::string& endpoint,
                                               const std::vector<std::string>& flags = {});

// Runs `body` with a client connected to `endpoint` (with `options`, and CURVE if `curve` has
// keys) on a reactor of its own, until the Deferred it returns fires; false, having printed the
// error, if anything failed.
bool WithClient(const std::string& endpoint, const LinkOptions& options,
                absl::AnyInvocable<Deferred<void>(Client&)> body, CurveClientOptions curve = {});

// Keys for a whole local fleet under DIR/keys: the coordinator's, one for the workers and one
// for the client, and an authorized-keys file listing them. The flags each process takes.
struct FleetKeys {
  std::vector<std::string> coordinator_flags;
  std::vector<std::string> worker_flags;
  std::vector<std::string> client_flags;
  CurveClientOptions client;  // for WithClient
};
// Null, having said why on stderr, if the keys cannot be made.
std::unique_ptr<FleetKeys> MakeFleetKeys(const std::string& dir);

// Stops a cluster of `workers` and their `coordinator`: SIGINT to every worker first, so that
// they all leave at once; then stops each worker, and last the coordinator, with
// ChildProcess::Stop (SIGTERM, up to 10 s to exit, then SIGKILL), one after the other.
void StopCluster(const std::vector<std::unique_ptr<ChildProcess>>& workers,
                 ChildProcess& coordinator);

}  // namespace braid::bench

#endif  // BRAID_BENCH_LOCAL_CLUSTER_H_
