// A coordinator at scale: many connected idle workers and a million queued tasks — what it holds
// in memory per queued task, and the CPU it burns while nothing runs.
//
//   bazel run -c opt //bench:scale_bench -- [--workers 1000] [--processes 4] [--tasks 1000000]
//       [--idle_seconds 10] [--workers_idle_seconds 5] [--json PATH]
//
// Starts `braid coordinator`, then --processes `idle_workers` processes holding --workers worker
// connections between them (each says hello with one slot for a job kind nothing submits, then
// only heartbeats), and submits a noop job of --tasks map tasks that no worker may take: every
// task stays queued. Measures, from /proc/PID of the coordinator:
//   rss_*            VmRSS with no peers, with the workers, and with the tasks queued;
//   bytes_per_task   (RSS with the tasks queued - RSS before the submit) / tasks;
//   cpu_*_percent    (utime + stime) as % of one core: with the workers only (over
//                    --workers_idle_seconds), and with the workers and the queued tasks (over
//                    --idle_seconds).
// and the CPU of the idle_workers processes over the last interval (the other side of the
// heartbeats). The coordinator's status must show every worker and the job still waiting.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/driver.h"
#include "bench/local_cluster.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "tools/child_process.h"
#include "tools/client.h"

ABSL_FLAG(int, workers, 1000, "idle worker connections");
ABSL_FLAG(int, processes, 4, "processes the worker connections are spread over");
ABSL_FLAG(int, tasks, 1'000'000, "queued noop tasks");
ABSL_FLAG(double, idle_seconds, 10, "how long the CPU measurement with the tasks queued lasts");
ABSL_FLAG(double, workers_idle_seconds, 5, "how long the one with the workers only lasts");
ABSL_FLAG(std::string, braid, "tools/braid", "the braid binary");
ABSL_FLAG(std::string, idle_workers, "bench/idle_workers", "the idle_workers binary");
ABSL_FLAG(std::string, json, "", "also write the figures to this file, as JSON");

namespace braid {
namespace {

// VmRSS of `pid` in bytes, or -1.
int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kib;
    if (fields.size() >= 2 && absl::SimpleAtoi(fields[1], &kib)) return kib * 1024;
  }
  return -1;
}

// utime + stime of `pid`, in seconds, or -1.
double CpuSeconds(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name is in parentheses and may hold spaces: fields count from after it.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name and state.
  int64_t utime, stime;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The CPU `pids` use together over `interval`, as % of one core.
double CpuPercent(const std::vector<pid_t>& pids, absl::Duration interval) {
  auto total = [&] {
    double sum = 0;
    for (pid_t pid : pids) sum += CpuSeconds(pid);
    return sum;
  };
  const double before = total();
  const absl::Time start = absl::Now();
  absl::SleepFor(interval);
  const double after = total();
  return 100 * (after - before) / absl::ToDoubleSeconds(absl::Now() - start);
}

// Runs `body` with a connected client on a fresh reactor; false if anything failed.
// The client waits out a coordinator whose loop stalls for up to a minute (planning a million
// A busy coordinator (a million tasks queued, a thousand workers joining) may answer slowly: the
// client waits for it rather than give up.
LinkOptions PatientLink() {
  LinkOptions options;
  options.liveness = 60;
  options.request_timeout = absl::Seconds(120);
  return options;
}

struct Figures {
  int64_t rss_empty = 0;
  int64_t rss_workers = 0;
  int64_t rss_queued = 0;
  int64_t hwm = 0;
  double cpu_workers_percent = 0;
  double cpu_queued_percent = 0;
  double idle_workers_cpu_percent = 0;
  double submit_ms = 0;
  double rejoined_s = 0;  // from the submit until every worker was connected again
  int workers_lost = 0;   // workers the coordinator declared lost (all during the submit)
  int status_workers = 0;
};

// Workers the coordinator's log says it lost.
int WorkersLost(const std::string& log_path) {
  std::ifstream log(log_path);
  std::string line;
  int lost = 0;
  while (std::getline(log, line)) {
    if (line.find("] worker ") != std::string::npos && line.find(" lost: ") != std::string::npos) {
      ++lost;
    }
  }
  return lost;
}

// The workers the coordinator knows now, or -1.
int ConnectedWorkers(const std::string& endpoint) {
  int workers = -1;
  bool ok = bench::WithClient(endpoint, PatientLink(), [&](Client& client) {
    return client.Status().Then(
        [&](proto::StatusResponse status) { workers = status.workers_size(); });
  });
  return ok ? workers : -1;
}

int64_t PeakBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kib;
    if (fields.size() >= 2 && absl::SimpleAtoi(fields[1], &kib)) return kib * 1024;
  }
  return -1;
}

// The figures, as the JSON document bench/run reads.
std::string FiguresJson(const Figures& f) {
  const int tasks = absl::GetFlag(FLAGS_tasks);
  const int workers = absl::GetFlag(FLAGS_workers);
  return absl::StrFormat(
      "{\"workers\": %d, \"tasks\": %d, \"rss_empty\": %d, \"rss_workers\": %d, "
      "\"rss_queued\": %d, \"rss_peak\": %d, \"bytes_per_task\": %.1f, "
      "\"bytes_per_worker\": %.1f, \"cpu_workers_percent\": %.3f, "
      "\"cpu_queued_percent\": %.3f, \"idle_workers_cpu_percent\": %.3f, "
      "\"submit_ms\": %.1f, \"workers_lost\": %d, \"rejoined_s\": %.1f}\n",
      workers, tasks, f.rss_empty, f.rss_workers, f.rss_queued, f.hwm,
      static_cast<double>(f.rss_queued - f.rss_workers) / tasks,
      static_cast<double>(f.rss_workers - f.rss_empty) / workers, f.cpu_workers_percent,
      f.cpu_queued_percent, f.idle_workers_cpu_percent, f.submit_ms, f.workers_lost, f.rejoined_s);
}

int Main() {
  const std::string dir = bench::MakeTempDir("scale");
  if (dir.empty()) return 1;
  const std::string endpoint = absl::StrCat("ipc://", dir, "/coordinator");
  const std::string braid = std::filesystem::absolute(absl::GetFlag(FLAGS_braid));
  const std::string idle = std::filesystem::absolute(absl::GetFlag(FLAGS_idle_workers));
  const int workers = absl::GetFlag(FLAGS_workers);
  const int processes = std::max(1, absl::GetFlag(FLAGS_processes));
  const int tasks = absl::GetFlag(FLAGS_tasks);
  const absl::Duration interval = absl::Seconds(absl::GetFlag(FLAGS_idle_seconds));
  Figures figures;
  int exit_code = 1;
  {
    std::unique_ptr<ChildProcess> coordinator = bench::StartCoordinator(braid, dir, endpoint);
    if (coordinator == nullptr) return 1;
    const pid_t pid = coordinator->pid();
    absl::SleepFor(absl::Seconds(1));
    figures.rss_empty = ResidentBytes(pid);

    std::vector<std::unique_ptr<ChildProcess>> children;
    std::vector<pid_t> child_pids;
    const absl::Time joining = absl::Now();
    for (int i = 0; i < processes; ++i) {
      const int links = workers / processes + (i < workers % processes ? 1 : 0);
      auto child =
          ChildProcess::Start({idle, "--coordinator", endpoint, "--links", absl::StrCat(links)},
                              absl::StrFormat("%s/idle-%d.log", dir, i));
      if (!child.ok()) {
        absl::FPrintF(stderr, "%s\n", child.status().message());
        return 1;
      }
      child_pids.push_back((*child)->pid());
      children.push_back(*std::move(child));
    }
    for (auto& child : children) {
      if (!child->WaitForOutput("links joined", absl::Seconds(120))) {
        absl::FPrintF(stderr, "the idle workers did not all join; see %s\n", dir);
        return 1;
      }
    }
    absl::PrintF("%d idle workers in %d processes joined in %.1f s\n", workers, processes,
                 absl::ToDoubleSeconds(absl::Now() - joining));
    std::fflush(stdout);
    // Let the joins' garbage settle and a few heartbeats pass.
    absl::SleepFor(absl::Seconds(3));
    figures.rss_workers = ResidentBytes(pid);
    figures.cpu_workers_percent =
        CpuPercent({pid}, absl::Seconds(absl::GetFlag(FLAGS_workers_idle_seconds)));

    proto::JobSpec spec;
    spec.set_job("noop");
    spec.set_reducers(0);
    (*spec.mutable_config())["tasks"] = absl::StrCat(tasks);
    const absl::Time submitted = absl::Now();
    bool ok = bench::WithClient(endpoint, PatientLink(), [&](Client& client) {
      return client.Submit(spec).Then([&](proto::JobAccepted accepted) -> absl::Status {
        figures.submit_ms = absl::ToDoubleMilliseconds(absl::Now() - submitted);
        if (accepted.map_tasks() != static_cast<uint32_t>(tasks)) {
          return absl::InternalError(absl::StrCat("planned ", accepted.map_tasks(), " tasks"));
        }
        return absl::OkStatus();
      });
    });
    if (!ok) {
      absl::FPrintF(stderr, "the submit failed; see %s\n", dir);
      return 1;
    }
    // A stalled loop loses its workers (they stop hearing heartbeats and reconnect): wait until
    // every one is back, so that what follows measures the steady state.
    figures.workers_lost = WorkersLost(dir + "/coordinator.log");
    while (ConnectedWorkers(endpoint) != workers) {
      if (absl::Now() - submitted > absl::Minutes(3)) {
        absl::FPrintF(stderr, "the workers did not all come back; see %s\n", dir);
        return 1;
      }
      absl::SleepFor(absl::Milliseconds(500));
    }
    figures.rejoined_s = absl::ToDoubleSeconds(absl::Now() - submitted);
    absl::SleepFor(absl::Seconds(3));
    figures.workers_lost = WorkersLost(dir + "/coordinator.log");
    figures.rss_queued = ResidentBytes(pid);
    figures.hwm = PeakBytes(pid);
    const double coordinator_before = CpuSeconds(pid);
    figures.idle_workers_cpu_percent = CpuPercent(child_pids, interval);
    figures.cpu_queued_percent =
        100 * (CpuSeconds(pid) - coordinator_before) / absl::ToDoubleSeconds(interval);

    // The coordinator must still know every worker, and the job must still wait.
    ok = bench::WithClient(endpoint, PatientLink(), [&](Client& client) {
      return client.Status().Then([&](proto::StatusResponse status) -> absl::Status {
        figures.status_workers = status.workers_size();
        if (status.jobs_size() != 1 || status.jobs(0).maps_done() != 0 ||
            status.jobs(0).maps_total() != static_cast<uint32_t>(tasks)) {
          return absl::InternalError("the job is not waiting with every task queued");
        }
        return absl::OkStatus();
      });
    });
    if (ok && figures.status_workers != workers) {
      absl::FPrintF(stderr, "the coordinator knows %d workers, not %d\n", figures.status_workers,
                    workers);
      ok = false;
    }
    if (ok) {
      const double per_task = static_cast<double>(figures.rss_queued - figures.rss_workers) / tasks;
      absl::PrintF(
          "coordinator RSS: %.1f MiB empty, %.1f MiB with %d workers (%.0f B per worker), %.1f MiB "
          "with %d tasks queued (peak %.1f MiB)\n",
          figures.rss_empty / 1048576.0, figures.rss_workers / 1048576.0, workers,
          static_cast<double>(figures.rss_workers - figures.rss_empty) / workers,
          figures.rss_queued / 1048576.0, tasks, figures.hwm / 1048576.0);
      absl::PrintF(
          "submit answered in %.0f ms; workers lost meanwhile: %d (all back %.1f s after the "
          "submit)\n",
          figures.submit_ms, figures.workers_lost, figures.rejoined_s);
      absl::PrintF("queued task: %.0f bytes (target < 300)\n", per_task);
      absl::PrintF(
          "coordinator CPU while idle: %.2f%% of a core with the workers, %.2f%% with the tasks "
          "queued too (target < 5%%); idle_workers processes: %.2f%%\n",
          figures.cpu_workers_percent, figures.cpu_queued_percent,
          figures.idle_workers_cpu_percent);
      exit_code = bench::WriteJsonFile(absl::GetFlag(FLAGS_json), FiguresJson(figures)) ? 0 : 1;
    }
    bench::StopCluster(children, *coordinator);
  }
  if (exit_code == 0) std::filesystem::remove_all(dir);
  return exit_code;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
