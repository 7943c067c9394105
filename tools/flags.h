// What the `braid` subcommands share: the coordinator flag, turning flags into a JobSpec, and
// running a client conversation on a reactor.

#ifndef BRAID_TOOLS_FLAGS_H_
#define BRAID_TOOLS_FLAGS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/declare.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "proto/braid.pb.h"
#include "tools/client.h"

ABSL_DECLARE_FLAG(std::string, coordinator);  // tools/coordinator_flag.cc
ABSL_DECLARE_FLAG(absl::Duration, timeout);   // tools/coordinator_flag.cc
ABSL_DECLARE_FLAG(int, slots);                // tools/slots_flag.cc

namespace braid {

// Values of the flags that may be given more than once (--input, --set, --cmdenv, --file),
// taken out of the command line before the rest is parsed.
using RepeatedFlags = absl::flat_hash_map<std::string, std::vector<std::string>>;

// Removes every --NAME=VALUE and --NAME VALUE of the repeatable flags from `args` (argv[0]
// first) and returns their values in order.
RepeatedFlags TakeRepeatedFlags(std::vector<std::string>& args);

// The job the submit flags describe. kInvalidArgument naming a malformed --set, a bad size, or a
// missing --job.
absl::StatusOr<proto::JobSpec> SpecFromFlags(const RepeatedFlags& repeated);

// Makes a path absolute against the current directory (the coordinator may run elsewhere); a URL
// (file:///..., hdfs://...) is left as it is, for the coordinator to take or refuse.
std::string Absolute(const std::string& path);

// Connects a Client to `endpoint` on a fresh reactor, runs `body` once connected, and returns
// the exit code it fires with (1, with the error printed, if it fails or the coordinator cannot
// be reached).
int RunClient(const std::string& endpoint, absl::AnyInvocable<Deferred<int>(Client&)> body);

// Watches `job_id` to its end with a progress display on stderr, prints the outcome and the
// counters, and fires with the exit code: 0 if the job succeeded.
Deferred<int> WatchToEnd(Client& client, const std::string& job_id);

}  // namespace braid

#endif  // BRAID_TOOLS_FLAGS_H_
