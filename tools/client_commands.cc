// braid submit, braid status, braid jobs, braid cancel: a client's conversations with a
// coordinator.

#include <algorithm>

#include "absl/container/btree_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "job/registry.h"
#include "proto/status_json.h"
#include "tools/commands.h"
#include "tools/progress.h"

ABSL_DECLARE_FLAG(bool, detach);

ABSL_FLAG(bool, json, false,
          "print the status as JSON, as the coordinator's /api/status serves it");

namespace braid {
namespace {

std::string StateName(proto::JobState state) {
  std::string name = proto::JobState_Name(state).substr(std::string("JOB_STATE_").size());
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  return name;
}

void PrintStatus(const proto::StatusResponse& status, bool one_job) {
  if (!status.journal_error().empty()) {
    absl::PrintF("the coordinator's journal failed: it accepts no job until it is restarted: %s\n",
                 status.journal_error());
  }
  absl::PrintF("%d worker%s\n", status.workers_size(), status.workers_size() == 1 ? "" : "s");
  for (const proto::WorkerStatus& worker : status.workers()) {
    absl::PrintF("  %-32s %2d slots  %3d running  heard %dms ago  %s\n", worker.name(),
                 worker.slots(), worker.running(), worker.last_heard_ms_ago(),
                 worker.build_version());
  }
  absl::PrintF("%d job%s\n", status.jobs_size(), status.jobs_size() == 1 ? "" : "s");
  for (const proto::JobStatus& job : status.jobs()) {
    absl::PrintF("  %s  %-14s %-10s %s\n", job.job_id(), job.name(), StateName(job.state()),
                 ProgressDisplay::Describe(job));
    if (!one_job) continue;
    if (!job.output().empty()) absl::PrintF("    output: %s\n", job.output());
    if (job.started_at_ms() > 0) {
      const auto moment = [](uint64_t ms) {
        return absl::FormatTime("%Y-%m-%d %H:%M:%S %Z",
                                absl::FromUnixMillis(static_cast<int64_t>(ms)),
                                absl::LocalTimeZone());
      };
      absl::PrintF("    started %s%s, %s\n", moment(job.started_at_ms()),
                   job.ended_at_ms() > 0 ? absl::StrCat(", ended ", moment(job.ended_at_ms())) : "",
                   job.ended_at_ms() > 0
                       ? absl::StrFormat("took %.1f s", job.elapsed_ms() / 1000.0)
                       : absl::StrFormat("running for %.1f s", job.elapsed_ms() / 1000.0));
    }
    for (const proto::TaskStatus& task : job.tasks()) {
      absl::PrintF("    %s %5d  %-11s attempts %d  %s\n",
                   task.kind() == proto::TASK_KIND_MAP ? "map   " : "reduce", task.task(),
                   task.state(), task.attempts(), task.worker());
      if (!task.status().empty()) absl::PrintF("        status: %s\n", task.status());
      for (const std::string& error : task.errors()) absl::PrintF("        %s\n", error);
      if (task.skipped_records_size() > 0) {
        absl::PrintF("        skipped records: %s\n", absl::StrJoin(task.skipped_records(), ", "));
      }
    }
    if (job.counters_size() > 0) absl::PrintF("    counters:\n%s", FormatCounters(job));
  }
}

}  // namespace

int SubmitCommand(const std::vector<std::string>& args, const RepeatedFlags& repeated) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid submit: unexpected argument '%s'\n", args[1]);
    return 2;
  }
  absl::StatusOr<proto::JobSpec> spec = SpecFromFlags(repeated);
  if (!spec.ok()) {
    absl::FPrintF(stderr, "braid submit: %s\n", spec.status().message());
    return 2;
  }
  return SubmitAndWatch(absl::GetFlag(FLAGS_coordinator), *std::move(spec),
                        absl::GetFlag(FLAGS_detach));
}

int SubmitAndWatch(const std::string& endpoint, proto::JobSpec spec, bool detach) {
  return RunClient(endpoint, [spec = std::move(spec), detach](Client& client) mutable {
    return client.Submit(std::move(spec)).Then([&client, detach](proto::JobAccepted accepted) {
      absl::FPrintF(stderr, "submitted job %s: %d map tasks, %d reduce tasks\n", accepted.job_id(),
                    accepted.map_tasks(), accepted.reduce_tasks());
      for (const std::string& warning : accepted.warnings()) {
        absl::FPrintF(stderr, "warning: %s\n", warning);
      }
      if (detach) {
        absl::PrintF("%s\n", accepted.job_id());
        return Succeed(0);
      }
      return WatchToEnd(client, accepted.job_id());
    });
  });
}

int StatusCommand(const std::vector<std::string>& args) {
  if (args.size() > 2) {
    absl::FPrintF(stderr, "braid status: give at most one job\n");
    return 2;
  }
  std::string job = args.size() == 2 ? args[1] : "";
  return RunClient(absl::GetFlag(FLAGS_coordinator), [job](Client& client) {
    return client.Status(job).Then([job](proto::StatusResponse status) {
      if (absl::GetFlag(FLAGS_json)) {
        absl::PrintF("%s", StatusJson(status, /*pretty=*/true));
      } else {
        PrintStatus(status, !job.empty());
      }
      return 0;
    });
  });
}

int JobsCommand(const std::vector<std::string>& args) {
  if (args.size() > 1) {
    absl::FPrintF(stderr, "braid jobs: takes no arguments\n");
    return 2;
  }
  return RunClient(absl::GetFlag(FLAGS_coordinator), [](Client& client) {
    return client.Status("").Then([](proto::StatusResponse status) {
      // Each kind, with the workers that run it (a braid binary of one's own may add kinds).
      absl::btree_map<std::string, int> kinds;
      for (const proto::WorkerStatus& worker : status.workers()) {
        for (const std::string& kind : worker.job_kinds()) ++kinds[kind];
      }
      const int workers = status.workers_size();
      if (workers == 0) {
        absl::PrintF("no worker is connected: no job can run yet\n");
        return 0;
      }
      for (const auto& [kind, count] : kinds) {
        const JobDefinition* known = JobRegistry::Global().Find(kind);
        const std::string description =
            known == nullptr ? "(a job of the workers' own braid binary)" : known->description;
        absl::PrintF(
            "%-16s %s%s\n", kind, description,
            count == workers ? "" : absl::StrFormat(" (on %d of %d workers)", count, workers));
      }
      return 0;
    });
  });
}

int CancelCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    absl::FPrintF(stderr, "braid cancel: give the job to cancel (braid cancel JOB)\n");
    return 2;
  }
  std::string job = args[1];
  return RunClient(absl::GetFlag(FLAGS_coordinator), [job](Client& client) {
    return client.Cancel(job)
        .Catch([](absl::Status error) -> Result<void> {
          // Sent again after the coordinator was lost, and found cancelled: the first one did it.
          if (absl::IsFailedPrecondition(error) &&
              absl::StrContains(error.message(), "JOB_STATE_CANCELLED") &&
              absl::StrContains(error.message(), "sent again")) {
            return absl::OkStatus();
          }
          return error;
        })
        .Then([job] {
          absl::PrintF("cancelled %s\n", job);
          return 0;
        });
  });
}

}  // namespace braid
