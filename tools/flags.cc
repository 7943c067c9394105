#include "tools/flags.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "coordinator/planner.h"
#include "glog/logging.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/curve_flags.h"
#include "tools/progress.h"
#include "tools/streaming_flags.h"

// Submit flags (braid submit, braid simulate).
ABSL_FLAG(std::string, job, "", "the job to run (braid submit --job nope lists the known ones)");
ABSL_FLAG(std::string, name, "", "a name for the job (default: the job)");
ABSL_FLAG(std::vector<std::string>, input, {},
          "input files, directories or globs; may be given several times");
ABSL_FLAG(std::string, output, "", "the output directory (must not exist, unless --overwrite)");
ABSL_FLAG(std::optional<int>, reducers, std::nullopt,
          "reduce tasks; 0 for a map-only job (default: 1, or 0 for a task bag)");
ABSL_FLAG(std::vector<std::string>, set, {},
          "a KEY=VALUE of the job's configuration; may be given several times");
ABSL_FLAG(std::string, split_size, "64MiB", "the largest byte range a map task reads");
ABSL_FLAG(std::string, combine_inputs, "auto",
          "pack files smaller than a quarter of the split size several to a map task: on, off, "
          "or auto (on for jobs that allow it, as every built-in job but streaming does)");
ABSL_FLAG(bool, overwrite, false, "replace an existing output directory");
ABSL_FLAG(bool, detach, false, "print the job's id and return without waiting for it");
ABSL_FLAG(int, max_attempts, 4, "failed attempts per task before the job fails");
ABSL_FLAG(int, skip_bad_records, 0,
          "records per map task that may be skipped after making two attempts fail (0: never)");
ABSL_FLAG(bool, no_speculation, false, "no backup attempts for straggling tasks");
ABSL_FLAG(int, records_per_task, 0,
          "run as a task bag: this many input lines per task, the map output gathered as the "
          "result (0: a MapReduce job)");

namespace braid {
namespace {

constexpr const char* kRepeatable[] = {"input", "set", "cmdenv", "file"};

}  // namespace

RepeatedFlags TakeRepeatedFlags(std::vector<std::string>& args) {
  RepeatedFlags taken;
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    bool matched = false;
    for (const char* name : kRepeatable) {
      std::string flag = absl::StrCat("--", name);
      if (args[i] == flag && i + 1 < args.size()) {
        taken[name].push_back(args[++i]);
        matched = true;
      } else if (absl::StartsWith(args[i], flag + "=")) {
        taken[name].push_back(args[i].substr(flag.size() + 1));
        matched = true;
      }
      if (matched) break;
    }
    if (!matched) kept.push_back(args[i]);
  }
  args = std::move(kept);
  return taken;
}

std::string Absolute(const std::string& path) {
  // A URL (file:///data, hdfs://...) is the coordinator's to accept or refuse.
  if (path.empty() || path[0] == '/' || path.find("://") != std::string::npos ||
      path.rfind("file:/", 0) == 0) {
    return path;
  }
  return (std::filesystem::current_path() / path).lexically_normal().string();
}

absl::StatusOr<proto::JobSpec> SpecFromFlags(const RepeatedFlags& repeated) {
  proto::JobSpec spec;
  spec.set_job(absl::GetFlag(FLAGS_job));
  absl::Status streaming = AddStreamingFlags(repeated, spec);
  if (!streaming.ok()) return streaming;
  if (spec.job().empty()) {
    return absl::InvalidArgumentError(
        "--job is required (wordcount, grep, sort, ...), or --mapper CMD for a streaming job");
  }
  spec.set_name(absl::GetFlag(FLAGS_name));
  auto inputs = repeated.find("input");
  if (inputs != repeated.end()) {
    for (const std::string& input : inputs->second) spec.add_inputs(Absolute(input));
  }
  if (!absl::GetFlag(FLAGS_output).empty()) spec.set_output(Absolute(absl::GetFlag(FLAGS_output)));
  const bool bag = absl::GetFlag(FLAGS_records_per_task) > 0;
  const int reducers = absl::GetFlag(FLAGS_reducers).value_or(bag ? 0 : 1);
  if (reducers < 0) return absl::InvalidArgumentError("--reducers cannot be negative");
  spec.set_reducers(static_cast<uint32_t>(reducers));
  auto sets = repeated.find("set");
  if (sets != repeated.end()) {
    for (const std::string& set : sets->second) {
      size_t equals = set.find('=');
      if (equals == std::string::npos || equals == 0) {
        return absl::InvalidArgumentError(absl::StrCat("--set '", set, "' is not KEY=VALUE"));
      }
      (*spec.mutable_config())[set.substr(0, equals)] = set.substr(equals + 1);
    }
  }
  absl::StatusOr<uint64_t> split_size = ParseByteSize(absl::GetFlag(FLAGS_split_size));
  if (!split_size.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--split-size: ", split_size.status().message()));
  }
  if (*split_size == 0) return absl::InvalidArgumentError("--split-size must be above zero");
  spec.set_split_size(*split_size);
  const std::string combine = absl::GetFlag(FLAGS_combine_inputs);
  if (combine == "on") {
    spec.set_combine_inputs(proto::INPUT_COMBINING_ON);
  } else if (combine == "off") {
    spec.set_combine_inputs(proto::INPUT_COMBINING_OFF);
  } else if (combine != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--combine-inputs ", combine, ": expected on, off or auto"));
  }
  spec.set_overwrite(absl::GetFlag(FLAGS_overwrite));
  if (absl::GetFlag(FLAGS_max_attempts) < 1) {
    return absl::InvalidArgumentError("--max-attempts must be at least 1");
  }
  spec.set_max_attempts(static_cast<uint32_t>(absl::GetFlag(FLAGS_max_attempts)));
  if (absl::GetFlag(FLAGS_skip_bad_records) < 0) {
    return absl::InvalidArgumentError("--skip-bad-records cannot be negative");
  }
  spec.set_skip_bad_records(static_cast<uint32_t>(absl::GetFlag(FLAGS_skip_bad_records)));
  spec.set_no_speculation(absl::GetFlag(FLAGS_no_speculation));
  if (absl::GetFlag(FLAGS_records_per_task) < 0) {
    return absl::InvalidArgumentError("--records-per-task cannot be negative");
  }
  spec.set_records_per_task(static_cast<uint32_t>(absl::GetFlag(FLAGS_records_per_task)));
  return spec;
}

int RunClient(const std::string& endpoint, absl::AnyInvocable<Deferred<int>(Client&)> body) {
  PollReactorOptions options;
  options.stop_on_signals = false;
  PollReactor reactor(options);
  absl::StatusOr<CurveClientOptions> curve = CurveClientFromFlags(endpoint);
  if (!curve.ok()) {
    absl::FPrintF(stderr, "braid: %s\n", curve.status().message());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<ZmqClientTransport>> transport =
      ZmqClientTransport::Connect(reactor, endpoint, {}, *std::move(curve));
  if (!transport.ok()) {
    absl::FPrintF(stderr, "braid: %s\n", transport.status().message());
    return 2;
  }
  int exit_code = 1;
  bool interrupted = false;
  {
    Client client(reactor, *std::move(transport));
    for (int signal : {SIGINT, SIGTERM}) {
      // What runs on the coordinator goes on; only this conversation ends.
      (void)reactor.CatchSignal(signal, [&, signal] {
        absl::FPrintF(stderr, "\nbraid: interrupted\n");
        interrupted = true;
        exit_code = 128 + signal;
        client.Close();
        reactor.Stop().IgnoreError();
      });
    }
    reactor.CallWhenRunning([&] {
      client.Connect(absl::GetFlag(FLAGS_timeout))
          .Catch([&](absl::Status error) -> Result<void> {
            return absl::Status(
                error.code(),
                absl::StrCat(absl::IsPermissionDenied(error)
                                 ? "the coordinator at " + endpoint + " refused this client"
                                 : "cannot reach the coordinator at " + endpoint,
                             ": ", error.message()));
          })
          .Then([&] { return body(client); })
          .Both([&](Result<int> result) {
            if (interrupted) return;
            if (result.ok()) {
              exit_code = *result;
            } else {
              absl::FPrintF(stderr, "braid: %s\n", result.status().message());
              exit_code = absl::IsInvalidArgument(result.status()) ? 2 : 1;
            }
            client.Close();
            reactor.Stop().IgnoreError();
          });
    });
    absl::Status ran = reactor.Run();
    if (!ran.ok()) absl::FPrintF(stderr, "braid: %s\n", ran.message());
  }
  return exit_code;
}

Deferred<int> WatchToEnd(Client& client, const std::string& job_id) {
  auto display = std::make_shared<ProgressDisplay>(stderr);
  return client
      .Watch(job_id, [display](const proto::JobStatus& status) { display->Update(status); })
      .Then([display](proto::JobStatus status) {
        display->Finish();
        const std::string summary = ProgressDisplay::Describe(status);
        if (status.state() == proto::JOB_STATE_SUCCEEDED && status.end_not_journaled()) {
          // Not reported as a success: nothing durable says it was one.
          absl::FPrintF(stderr, "job %s ran to its end, but not durably: %s\n", status.job_id(),
                        status.message());
          if (!status.output().empty()) absl::FPrintF(stderr, "output: %s\n", status.output());
          return 1;
        }
        if (status.state() != proto::JOB_STATE_SUCCEEDED) {
          absl::FPrintF(stderr, "job %s %s: %s\n", status.job_id(),
                        status.state() == proto::JOB_STATE_CANCELLED ? "was cancelled" : "failed",
                        status.message());
          return 1;
        }
        absl::PrintF("job %s succeeded: %s\n", status.job_id(), summary);
        if (!status.output().empty()) absl::PrintF("output: %s\n", status.output());
        for (const std::string& line : status.bag_output()) absl::PrintF("%s\n", line);
        absl::PrintF("counters:\n%s", FormatCounters(status));
        return 0;
      });
}

}  // namespace braid
