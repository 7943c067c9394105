// The scheduler's throughput and a one-task job's latency, through real processes.
//
//   bazel run -c opt //bench:scheduler_bench -- [--tasks 100000] [--workers 2] [--rounds 5]
//       [--latency_jobs 20] [--cli_jobs 0] [--curve] [--poll_metrics_ms 0] [--json PATH]
//
// Starts `braid coordinator` and N `braid worker --slots 1` on an ipc endpoint (with --curve:
// every process with CURVE keys), then, each round:
//   throughput  submits a noop job of --tasks map tasks (map-only, no output) and watches it to
//               its end: tasks/s from the submit to the final event, and the coordinator's own
//               count from the job's start (which excludes planning). --tasks 0 skips it.
//   latency     submits a one-task noop job --latency_jobs times, one after the other, from one
//               connected client: the time from submit to the final event, p50 and p99.
//   cli         runs `braid submit --job noop --reducers 0` --cli_jobs times, one after the other:
//               the time from starting the command to its exit (process start, connecting,
//               submitting, watching to the end) — the fixed cost a user at a shell feels.
// With --poll_metrics_ms N the coordinator serves HTTP and a thread of the benchmark fetches its
// /metrics every N ms throughout, as a Prometheus scraping it hard would.
// Prints each round and the medians; --json writes every round's figures to PATH (bench/run
// reads them).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/driver.h"
#include "bench/local_cluster.h"
#include "messaging/http_get.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/child_process.h"
#include "tools/client.h"

ABSL_FLAG(int, tasks, 100000, "noop tasks per throughput round");
ABSL_FLAG(int, workers, 2, "worker processes (one slot each)");
ABSL_FLAG(int, rounds, 5, "rounds of each scenario");
ABSL_FLAG(int, latency_jobs, 20, "one-task jobs per latency round");
ABSL_FLAG(int, cli_jobs, 0, "one-task `braid submit` commands per round");
ABSL_FLAG(std::string, json, "", "also write each round's figures to this file, as JSON");
ABSL_FLAG(std::string, braid, "tools/braid", "the braid binary");
ABSL_FLAG(bool, curve, false,
          "every process with CURVE keys (the coordinator with authorized keys), to measure "
          "what encryption and authentication cost");

ABSL_FLAG(int, poll_metrics_ms, 0,
          "serve the coordinator's HTTP side and fetch its /metrics this often throughout (0: "
          "no HTTP)");

namespace braid {
namespace {

// Fetches the coordinator's /metrics every `interval` from a thread of its own until destroyed.
class MetricsPoller {
 public:
  MetricsPoller(uint16_t port, absl::Duration interval)
      : thread_([this, port, interval] {
          while (!stop_.load()) {
            const absl::Time next = absl::Now() + interval;
            absl::StatusOr<HttpReply> reply = HttpGet(port, "/metrics");
            if (reply.ok() && reply->status == 200 && !reply->body.empty()) {
              ++polls_;
            } else {
              ++failures_;
            }
            absl::SleepFor(next - absl::Now());  // the polling rate itself, not a wait for a state
          }
        }) {}
  ~MetricsPoller() {
    stop_.store(true);
    thread_.join();
  }
  uint64_t polls() const { return polls_.load(); }
  uint64_t failures() const { return failures_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> polls_{0};
  std::atomic<uint64_t> failures_{0};
  std::thread thread_;
};

// The port of the coordinator's "serving HTTP on http://127.0.0.1:PORT" line; 0 if none.
uint16_t ServedPort(const std::string& output) {
  const std::string kLine = "serving HTTP on http://127.0.0.1:";
  const size_t at = output.find(kLine);
  if (at == std::string::npos) return 0;
  const size_t start = at + kLine.size();
  uint32_t port = 0;
  if (!absl::SimpleAtoi(output.substr(start, output.find_first_not_of("0123456789", start) - start),
                        &port) ||
      port > 65535) {
    return 0;
  }
  return static_cast<uint16_t>(port);
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

// One round's figures (0 where the round did not measure them).
struct Round {
  double tasks_per_s = 0;
  double job_tasks_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double cli_p50_ms = 0;
  double cli_p99_ms = 0;
};

// Every round's figures, as the JSON document bench/run reads.
std::string RoundsJson(const std::vector<Round>& rounds, uint64_t metrics_polls) {
  std::string json =
      absl::StrFormat("{\"tasks\": %d, \"workers\": %d, \"metrics_polls\": %d, \"rounds\": [",
                      absl::GetFlag(FLAGS_tasks), absl::GetFlag(FLAGS_workers), metrics_polls);
  for (size_t i = 0; i < rounds.size(); ++i) {
    const Round& r = rounds[i];
    absl::StrAppendFormat(
        &json,
        "%s\n  {\"tasks_per_s\": %.1f, \"job_tasks_per_s\": %.1f, \"p50_ms\": %.3f, "
        "\"p99_ms\": %.3f, \"cli_p50_ms\": %.3f, \"cli_p99_ms\": %.3f}",
        i == 0 ? "" : ",", r.tasks_per_s, r.job_tasks_per_s, r.p50_ms, r.p99_ms, r.cli_p50_ms,
        r.cli_p99_ms);
  }
  json += "\n]}\n";
  return json;
}

int Main() {
  const std::string dir = bench::MakeTempDir("bench");
  if (dir.empty()) return 1;
  const std::string endpoint = absl::StrCat("ipc://", dir, "/coordinator");
  const std::string braid = std::filesystem::absolute(absl::GetFlag(FLAGS_braid));
  int exit_code = 1;
  {
    std::unique_ptr<bench::FleetKeys> keys;
    if (absl::GetFlag(FLAGS_curve)) {
      keys = bench::MakeFleetKeys(dir);
      if (keys == nullptr) return 1;
    }
    const bench::FleetKeys none;
    const bench::FleetKeys& fleet = keys != nullptr ? *keys : none;
    const int poll_ms = absl::GetFlag(FLAGS_poll_metrics_ms);
    std::vector<std::string> coordinator_flags = fleet.coordinator_flags;
    if (poll_ms > 0) coordinator_flags.insert(coordinator_flags.end(), {"--http", "127.0.0.1:0"});
    std::unique_ptr<ChildProcess> coordinator =
        bench::StartCoordinator(braid, dir, endpoint, coordinator_flags);
    if (coordinator == nullptr) return 1;
    std::unique_ptr<MetricsPoller> poller;
    if (poll_ms > 0) {
      const uint16_t port = ServedPort(coordinator->output_read());
      if (port == 0) {
        absl::FPrintF(stderr, "the coordinator serves no HTTP; it said:\n%s",
                      coordinator->output_read());
        return 1;
      }
      poller = std::make_unique<MetricsPoller>(port, absl::Milliseconds(poll_ms));
    }
    std::vector<std::unique_ptr<ChildProcess>> workers;
    for (int i = 0; i < absl::GetFlag(FLAGS_workers); ++i) {
      std::vector<std::string> args = {
          braid,     "worker", "--coordinator", endpoint,
          "--slots", "1",      "--scratch",     absl::StrFormat("%s/worker-%d", dir, i)};
      args.insert(args.end(), fleet.worker_flags.begin(), fleet.worker_flags.end());
      auto worker = ChildProcess::Start(args, absl::StrFormat("%s/worker-%d.log", dir, i));
      if (!worker.ok() || !(*worker)->WaitForOutput("joined the coordinator", absl::Seconds(30))) {
        absl::FPrintF(stderr, "a worker did not start; see %s\n", dir);
        return 1;
      }
      workers.push_back(*std::move(worker));
    }

    const int tasks = absl::GetFlag(FLAGS_tasks);
    const int latency_jobs = absl::GetFlag(FLAGS_latency_jobs);
    const int cli_jobs = absl::GetFlag(FLAGS_cli_jobs);
    absl::PrintF(
        "%d noop tasks on %d workers (1 slot each); %d one-task jobs from a client, %d from "
        "braid submit\n",
        tasks, workers.size(), latency_jobs, cli_jobs);
    std::vector<Round> rounds;
    bool ok = true;
    for (int round = 0; ok && round < absl::GetFlag(FLAGS_rounds); ++round) {
      Round figures;
      if (tasks > 0) {
        absl::Time start;
        double seconds = 0, job_seconds = 0;
        ok = bench::WithClient(
            endpoint, LinkOptions(),
            [&](Client& client) {
              start = absl::Now();
              return RunJob(client, NoopJob(tasks)).Then([&](proto::JobStatus status) {
                seconds = absl::ToDoubleSeconds(absl::Now() - start);
                job_seconds = static_cast<double>(status.elapsed_ms()) / 1000;
              });
            },
            fleet.client);
        figures.tasks_per_s = tasks / seconds;
        figures.job_tasks_per_s = tasks / std::max(job_seconds, 1e-3);
      }
      if (ok && latency_jobs > 0) {
        std::vector<double> latencies;
        ok = bench::WithClient(
            endpoint, LinkOptions(),
            [&](Client& client) -> Deferred<void> {
              for (int i = 0; i < latency_jobs; ++i) {
                const absl::Time begin = absl::Now();
                Result<proto::JobStatus> done = co_await RunJob(client, NoopJob(1));
                if (!done.ok()) co_yield Raise(done.status());
                latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - begin));
              }
            },
            fleet.client);
        if (ok) {
          figures.p50_ms = Percentile(latencies, 0.5);
          figures.p99_ms = Percentile(latencies, 0.99);
        }
      }
      if (ok && cli_jobs > 0) {
        std::vector<double> latencies;
        for (int i = 0; ok && i < cli_jobs; ++i) {
          const absl::Time begin = absl::Now();
          std::vector<std::string> args = {braid,   "submit", "--coordinator", endpoint,
                                           "--job", "noop",   "--reducers",    "0"};
          args.insert(args.end(), fleet.client_flags.begin(), fleet.client_flags.end());
          auto submit = ChildProcess::Start(args, dir + "/submit.log");
          std::optional<int> status;
          if (submit.ok()) status = (*submit)->Wait(absl::Seconds(60));
          ok = status.has_value() && *status == 0;
          if (!ok) absl::FPrintF(stderr, "braid submit failed; see %s/submit.log\n", dir);
          latencies.push_back(absl::ToDoubleMilliseconds(absl::Now() - begin));
        }
        if (ok) {
          figures.cli_p50_ms = Percentile(latencies, 0.5);
          figures.cli_p99_ms = Percentile(latencies, 0.99);
        }
      }
      if (!ok) break;
      rounds.push_back(figures);
      absl::PrintF("round %d:", round);
      if (tasks > 0) {
        absl::PrintF(" %8.0f tasks/s submit to end (%6.0f from the job's start)",
                     figures.tasks_per_s, figures.job_tasks_per_s);
      }
      if (latency_jobs > 0) {
        absl::PrintF("   one-task job p50 %5.1f ms  p99 %5.1f ms", figures.p50_ms, figures.p99_ms);
      }
      if (cli_jobs > 0) {
        absl::PrintF("   braid submit p50 %5.1f ms  p99 %5.1f ms", figures.cli_p50_ms,
                     figures.cli_p99_ms);
      }
      absl::PrintF("\n");
    }
    if (ok) {
      auto median = [&](double Round::*field) {
        std::vector<double> values;
        for (const Round& round : rounds) values.push_back(round.*field);
        return bench::Median(values);
      };
      absl::PrintF("median:");
      if (tasks > 0) {
        absl::PrintF(" %.0f tasks/s (target >= 100000; %.0f from the job's start);",
                     median(&Round::tasks_per_s), median(&Round::job_tasks_per_s));
      }
      if (latency_jobs > 0) {
        absl::PrintF(" one-task job p50 %.1f ms, p99 %.1f ms (target < 50 ms);",
                     median(&Round::p50_ms), median(&Round::p99_ms));
      }
      if (cli_jobs > 0) {
        absl::PrintF(" braid submit p50 %.1f ms, p99 %.1f ms", median(&Round::cli_p50_ms),
                     median(&Round::cli_p99_ms));
      }
      absl::PrintF("\n");
      uint64_t polls = 0;
      if (poller != nullptr) {
        polls = poller->polls();
        absl::PrintF("/metrics fetched %d times (%d failed)\n", polls, poller->failures());
        if (poller->failures() > 0) ok = false;
      }
      exit_code =
          ok && bench::WriteJsonFile(absl::GetFlag(FLAGS_json), RoundsJson(rounds, polls)) ? 0 : 1;
    }
    bench::StopCluster(workers, *coordinator);
  }
  if (exit_code == 0) std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
