// The scheduler's throughput and a one-task job's latency, through real processes.
//
//   bazel run -c opt //bench:scheduler_bench -- [--tasks 100000] [--workers 2] [--rounds 5]
//
// Starts `braid coordinator` and N `braid worker --slots 1` on an ipc endpoint, then, each round:
//   throughput  submits a noop job of --tasks map tasks (map-only, no output) and watches it to
//               its end: tasks/s from the submit to the final event, and the coordinator's own
//               count from the job's start (which excludes planning).
//   latency     submits a one-task noop job --latency_jobs times, one after the other: the time
//               from submit to the final event, p50 and p99 — the fixed cost a user feels.
// Prints each round and the medians.

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "proto/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/child_process.h"
#include "tools/client.h"

ABSL_FLAG(int, tasks, 100000, "noop tasks per throughput round");
ABSL_FLAG(int, workers, 2, "worker processes (one slot each)");
ABSL_FLAG(int, rounds, 5, "rounds of each scenario");
ABSL_FLAG(int, latency_jobs, 20, "one-task jobs per latency round");
ABSL_FLAG(std::string, braid, "tools/braid", "the braid binary");

namespace braid {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

proto::JobSpec NoopJob(int tasks) {
  proto::JobSpec spec;
  spec.set_job("noop");
  spec.set_reducers(0);
  (*spec.mutable_config())["tasks"] = absl::StrCat(tasks);
  return spec;
}

// Runs `body` with a connected client on a fresh reactor; false if anything failed.
bool WithClient(const std::string& endpoint, absl::AnyInvocable<Deferred<void>(Client&)> body) {
  PollReactor reactor;
  auto transport = ZmqClientTransport::Connect(reactor, endpoint);
  if (!transport.ok()) return false;
  Client client(reactor, *std::move(transport));
  bool ok = false;
  reactor.CallWhenRunning([&] {
    client.Connect().Then([&] { return body(client); }).Both([&](absl::Status status) {
      if (!status.ok()) absl::FPrintF(stderr, "%s\n", status.message());
      ok = status.ok();
      client.Close();
      reactor.Stop();
    });
  });
  (void)reactor.Run();
  return ok;
}

// Submits `spec` and watches it to its end; fails unless it succeeded.
Deferred<proto::JobStatus> RunJob(Client& client, proto::JobSpec spec) {
  return client.Submit(std::move(spec))
      .Then([&client](proto::JobAccepted accepted) {
        return client.Watch(accepted.job_id(), nullptr);
      })
      .Then([](proto::JobStatus status) -> Result<proto::JobStatus> {
        if (status.state() != proto::JOB_STATE_SUCCEEDED) {
          return absl::InternalError(absl::StrCat("job failed: ", status.message()));
        }
        return status;
      });
}

int Main() {
  std::string pattern = "/tmp/braid-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  const std::string dir = pattern;
  const std::string endpoint = absl::StrCat("ipc://", dir, "/coordinator");
  const std::string braid = std::filesystem::absolute(absl::GetFlag(FLAGS_braid));
  int exit_code = 1;
  {
    auto coordinator = ChildProcess::Start(
        {braid, "coordinator", "--listen", endpoint, "--work_dir", dir + "/work"},
        dir + "/coordinator.log");
    if (!coordinator.ok() || !(*coordinator)->WaitForOutput("listening on", absl::Seconds(30))) {
      absl::FPrintF(stderr, "the coordinator did not start; see %s\n", dir);
      return 1;
    }
    std::vector<std::unique_ptr<ChildProcess>> workers;
    for (int i = 0; i < absl::GetFlag(FLAGS_workers); ++i) {
      auto worker = ChildProcess::Start({braid, "worker", "--coordinator", endpoint, "--slots", "1",
                                         "--scratch", absl::StrFormat("%s/worker-%d", dir, i)},
                                        absl::StrFormat("%s/worker-%d.log", dir, i));
      if (!worker.ok() || !(*worker)->WaitForOutput("joined the coordinator", absl::Seconds(30))) {
        absl::FPrintF(stderr, "a worker did not start; see %s\n", dir);
        return 1;
      }
      workers.push_back(*std::move(worker));
    }

    const int tasks = absl::GetFlag(FLAGS_tasks);
    absl::PrintF("%d noop tasks on %d workers (1 slot each); one-task jobs %d at a time\n", tasks,
                 workers.size(), absl::GetFlag(FLAGS_latency_jobs));
    std::vector<double> throughput, job_throughput, p50s, p99s;
    bool ok = true;
    for (int round = 0; ok && round < absl::GetFlag(FLAGS_rounds); ++round) {
      absl::Time start;
      double seconds = 0, job_seconds = 0;
      ok = WithClient(endpoint, [&](Client& client) {
        start = absl::Now();
        return RunJob(client, NoopJob(tasks)).Then([&](proto::JobStatus status) {
          seconds = absl::ToDoubleSeconds(absl::Now() - start);
          job_seconds = static_cast<double>(status.elapsed_ms()) / 1000;
        });
      });
      std::vector<double> latencies;
      ok = ok && WithClient(endpoint, [&](Client& client) -> Deferred<void> {
             for (int i = 0; i < absl::GetFlag(FLAGS_latency_jobs); ++i) {
               const absl::Time begin = absl::Now();
               Result<proto::JobStatus> done = co_await RunJob(client, NoopJob(1));
               if (!done.ok()) co_return done.status();
               latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - begin));
             }
             co_return absl::OkStatus();
           });
      if (!ok) break;
      throughput.push_back(tasks / seconds);
      job_throughput.push_back(tasks / std::max(job_seconds, 1e-3));
      p50s.push_back(Percentile(latencies, 0.5));
      p99s.push_back(Percentile(latencies, 0.99));
      absl::PrintF(
          "round %d: %8.0f tasks/s submit to end (%6.0f from the job's start)   one-task job "
          "p50 %5.1f ms  p99 %5.1f ms\n",
          round, throughput.back(), job_throughput.back(), p50s.back(), p99s.back());
    }
    if (ok) {
      absl::PrintF(
          "median: %.0f tasks/s (target >= 100000; %.0f from the job's start); one-task job p50 "
          "%.1f ms, p99 %.1f ms (target < 50 ms)\n",
          Median(throughput), Median(job_throughput), Median(p50s), Median(p99s));
      exit_code = 0;
    }
    for (auto& worker : workers) worker->Signal(SIGINT);
    for (auto& worker : workers) worker->Stop(absl::Seconds(10));
    (*coordinator)->Stop(absl::Seconds(10));
  }
  if (exit_code == 0) std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_minloglevel = 2;
  return braid::Main();
}
