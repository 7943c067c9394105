// braid simulate: a whole cluster on this machine — a coordinator and N workers as processes,
// ipc endpoints in a temporary directory — running one job with progress, then shut down.

#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "coordinator/output_committer.h"
#include "glog/logging.h"
#include "tools/child_process.h"
#include "tools/commands.h"
#include "tools/flags.h"

ABSL_FLAG(int, workers, 4, "worker processes to start");
ABSL_FLAG(bool, data_plane, false,
          "reducers copy map outputs from the worker that wrote them (each worker serves its "
          "own on an ipc endpoint), rather than read them from the shared scratch directory");
ABSL_DECLARE_FLAG(bool, detach);

namespace braid {
namespace {

std::string Self() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "braid" : self.string();
}

// Cancels every job the coordinator at `endpoint` runs and waits for each to end; true if every
// one ended cancelled (or had ended already as anything but a success, or there were none).
bool CancelEveryJob(const std::string& endpoint) {
  bool all_cancelled = true;
  const int exit_code = RunClient(endpoint, [&all_cancelled](Client& client) -> Deferred<int> {
    Result<proto::StatusResponse> status = co_await client.Status("");
    if (!status.ok()) co_return status.status();
    for (const proto::JobStatus& job : status->jobs()) {
      if (job.state() == proto::JOB_STATE_SUCCEEDED) {
        all_cancelled = false;
        continue;
      }
      if (job.state() == proto::JOB_STATE_FAILED || job.state() == proto::JOB_STATE_CANCELLED) {
        continue;
      }
      Result<void> cancel = co_await client.Cancel(job.job_id());
      if (!cancel.ok()) LOG(WARNING) << "cancelling " << job.job_id() << ": " << cancel;
      Result<proto::JobStatus> ended = co_await client.Watch(job.job_id(), nullptr);
      if (!ended.ok() || ended->state() == proto::JOB_STATE_SUCCEEDED) all_cancelled = false;
    }
    co_return 0;
  });
  return exit_code == 0 && all_cancelled;
}

}  // namespace

int SimulateCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid simulate: unexpected argument '%s'\n", args[1]);
    return 2;
  }
  if (absl::GetFlag(FLAGS_detach)) {
    absl::FPrintF(stderr,
                  "braid simulate: --detach cannot be used: the cluster ends with the job\n");
    return 2;
  }
  absl::StatusOr<proto::JobSpec> spec = SpecFromFlags(repeated);
  if (!spec.ok()) {
    absl::FPrintF(stderr, "braid simulate: %s\n", spec.status().message());
    return 2;
  }
  return RunOnLocalCluster("braid simulate", *std::move(spec));
}

int RunOnLocalCluster(const std::string& command, proto::JobSpec spec) {
  const int workers = absl::GetFlag(FLAGS_workers);
  if (workers < 1 || workers > 256) {
    absl::FPrintF(stderr, "%s: --workers must be 1 to 256\n", command);
    return 2;
  }
  int slots = absl::GetFlag(FLAGS_slots);
  if (slots <= 0) {
    slots = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / workers);
  }

  std::string pattern = "/tmp/braid-simulate-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    absl::FPrintF(stderr, "%s: cannot make a temporary directory\n", command);
    return 1;
  }
  const std::string dir = pattern;
  const std::string endpoint = absl::StrCat("ipc://", dir, "/coordinator");
  const std::string self = Self();

  int exit_code = 1;
  {
    auto coordinator = ChildProcess::Start(
        {self, "coordinator", "--listen", endpoint, "--work_dir", dir + "/work", "--http", "off"},
        dir + "/coordinator.log");
    if (!coordinator.ok() || !(*coordinator)->WaitForOutput("listening on", absl::Seconds(30))) {
      absl::FPrintF(stderr, "%s: the coordinator did not start (see %s/coordinator.log)\n", command,
                    dir);
      return 1;
    }
    std::vector<std::unique_ptr<ChildProcess>> children;
    for (int i = 0; i < workers; ++i) {
      std::vector<std::string> args = {self,
                                       "worker",
                                       "--coordinator",
                                       endpoint,
                                       "--slots",
                                       absl::StrCat(slots),
                                       "--scratch",
                                       absl::StrFormat("%s/worker-%d", dir, i)};
      if (absl::GetFlag(FLAGS_data_plane)) args.insert(args.end(), {"--data_listen", "auto"});
      auto worker = ChildProcess::Start(args, absl::StrFormat("%s/worker-%d.log", dir, i));
      if (!worker.ok()) {
        absl::FPrintF(stderr, "%s: %s\n", command, worker.status().message());
        return 1;
      }
      children.push_back(*std::move(worker));
    }
    // The job is submitted once every worker is there (one that fails says why in its log).
    for (int i = 0; i < workers; ++i) {
      if (!children[i]->WaitForOutput("joined the coordinator", absl::Seconds(30))) {
        absl::FPrintF(stderr, "%s: worker %d did not start (see %s/worker-%d.log)\n", command, i,
                      dir, i);
        return 1;
      }
    }
    absl::FPrintF(stderr, "simulating %d workers with %d slots each (logs in %s)\n", workers, slots,
                  dir);
    absl::SetFlag(&FLAGS_coordinator, endpoint);
    const std::string output = spec.output();
    exit_code = SubmitAndWatch(endpoint, std::move(spec), /*detach=*/false);
    // After Ctrl-C the job is cancelled: this cluster is for it alone, and a cancelled job leaves
    // no output behind (a rerun would find the directory there).
    const bool interrupted = exit_code > 128;
    const bool cancelled = interrupted && CancelEveryJob(endpoint);
    // After the job, workers drain (nothing runs any more); after Ctrl-C they stop at once,
    // cancelling what runs. Then the coordinator stops.
    for (auto& worker : children) worker->Signal(interrupted ? SIGINT : SIGTERM);
    for (auto& worker : children) worker->Stop(absl::Seconds(10));
    (*coordinator)->Stop(absl::Seconds(10));
    if (cancelled && !output.empty()) {
      // The coordinator removes a cancelled job's output once its end is on record, on a thread
      // of its own that it may have been stopped before it ran: the removal is done again here.
      absl::Status removed = OutputCommitter(*Env::Default(), output).Abort();
      if (!removed.ok()) {
        absl::FPrintF(stderr, "%s: the cancelled job's output %s stays: %s\n", command, output,
                      removed.message());
      }
    }
  }
  std::error_code error;
  if (exit_code == 0) {
    std::filesystem::remove_all(dir, error);
  } else {
    for (int i = 0; i < workers; ++i) {
      std::filesystem::remove_all(absl::StrFormat("%s/worker-%d", dir, i), error);
    }
    absl::FPrintF(stderr, "logs of the simulated cluster: %s\n", dir);
  }
  return exit_code;
}

}  // namespace braid
