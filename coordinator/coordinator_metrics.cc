// Coordinator::WriteMetrics: the coordinator's /metrics, built from what it keeps at each scrape.

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "coordinator/coordinator.h"
#include "messaging/bad_input.h"

namespace braid {
namespace {

// "JOB_STATE_MAPPING" -> "mapping".
std::string StateLabel(proto::JobState state) {
  return absl::AsciiStrToLower(
      absl::string_view(proto::JobState_Name(state)).substr(std::string("JOB_STATE_").size()));
}

constexpr proto::JobState kJobStates[] = {
    proto::JOB_STATE_QUEUED,    proto::JOB_STATE_MAPPING, proto::JOB_STATE_REDUCING,
    proto::JOB_STATE_SUCCEEDED, proto::JOB_STATE_FAILED,  proto::JOB_STATE_CANCELLED,
};

}  // namespace

void Coordinator::WriteMetrics(MetricsPage& page) const {
  // Workers.
  uint64_t slots = 0;
  for (const auto& [peer, worker] : scheduler_.workers()) slots += worker.slots;
  page.Single("braid_workers", "gauge", "Workers connected.", scheduler_.workers().size());
  page.Single("braid_worker_slots", "gauge", "Task slots of the connected workers, together.",
              static_cast<double>(slots));
  page.Family("braid_worker_running_attempts", "gauge",
              "Attempts given to each connected worker that have not ended.");
  for (const auto& [peer, worker] : scheduler_.workers()) {
    page.Sample("braid_worker_running_attempts", {{"worker", worker.name}}, worker.outstanding);
  }
  page.Family("braid_worker_last_heard_seconds", "gauge",
              "Seconds since each connected worker was last heard from.");
  const absl::Time now = time_.Now();
  for (const auto& [peer, worker] : scheduler_.workers()) {
    page.Sample("braid_worker_last_heard_seconds", {{"worker", worker.name}},
                std::max(0.0, absl::ToDoubleSeconds(now - worker.last_heard)));
  }

  // Jobs.
  absl::flat_hash_map<proto::JobState, uint64_t> by_state;
  for (const auto& [id, run] : jobs_) ++by_state[run->state()];
  for (const std::string& id : ended_) {
    auto ended = ended_before_.find(id);
    if (ended != ended_before_.end()) ++by_state[ended->second.state()];
  }
  page.Family("braid_jobs", "gauge",
              "Jobs the coordinator knows (running, and the latest that ended), by state.");
  for (proto::JobState state : kJobStates) {
    auto found = by_state.find(state);
    page.Sample("braid_jobs", {{"state", StateLabel(state)}},
                found == by_state.end() ? 0 : found->second);
  }
  page.Single("braid_jobs_accepted_total", "counter",
              "Jobs accepted since the coordinator started.", job_metrics_.jobs_accepted);
  page.Family("braid_jobs_ended_total", "counter",
              "Jobs that ended since the coordinator started, by final state.");
  for (proto::JobState state :
       {proto::JOB_STATE_SUCCEEDED, proto::JOB_STATE_FAILED, proto::JOB_STATE_CANCELLED}) {
    auto found = job_metrics_.jobs_ended.find(state);
    page.Sample("braid_jobs_ended_total", {{"state", StateLabel(state)}},
                found == job_metrics_.jobs_ended.end() ? 0 : found->second);
  }
  page.Family("braid_job_tasks", "gauge",
              "Tasks of each job the coordinator runs or remembers: all of them, and those "
              "completed.");
  for (const auto& [id, run] : jobs_) {
    const std::pair<const char*, uint32_t> counts[] = {
        {"map", run->maps_total()},
        {"reduce", run->reduces_total()},
    };
    const uint32_t done[] = {run->maps_done(), run->reduces_done()};
    for (int kind = 0; kind < 2; ++kind) {
      page.Sample("braid_job_tasks",
                  {{"job", id}, {"kind", counts[kind].first}, {"state", "total"}},
                  counts[kind].second);
      page.Sample("braid_job_tasks",
                  {{"job", id}, {"kind", counts[kind].first}, {"state", "completed"}}, done[kind]);
    }
  }

  // Tasks and attempts.
  size_t queued = 0;
  for (const auto& [id, run] : jobs_) {
    if (!run->finished()) queued += run->ready();
  }
  page.Single("braid_tasks_queued", "gauge",
              "Attempts ready to start, waiting for a free slot (the scheduler's queue depth).",
              static_cast<double>(queued));
  page.Single("braid_attempts_running", "gauge", "Attempts given to workers that have not ended.",
              static_cast<double>(scheduler_.running()));
  const AttemptMetrics& attempts = scheduler_.metrics();
  page.Family("braid_tasks_completed_total", "counter",
              "Tasks committed since the coordinator started, by kind.");
  for (int kind = 0; kind < 2; ++kind) {
    page.Sample("braid_tasks_completed_total",
                {{"kind", std::string(AttemptMetrics::KindName(kind))}},
                job_metrics_.tasks_committed[kind]);
  }
  page.Family("braid_attempts_started_total", "counter",
              "Task attempts given to workers, by kind.");
  for (int kind = 0; kind < 2; ++kind) {
    page.Sample("braid_attempts_started_total",
                {{"kind", std::string(AttemptMetrics::KindName(kind))}}, attempts.started[kind]);
  }
  page.Family("braid_attempts_ended_total", "counter",
              "Task attempts that ended, by kind and outcome (succeeded or failed by their "
              "worker's word, lost with their worker, cancelled by the coordinator).");
  for (int kind = 0; kind < 2; ++kind) {
    for (int outcome = 0; outcome < AttemptMetrics::kOutcomes; ++outcome) {
      page.Sample("braid_attempts_ended_total",
                  {{"kind", std::string(AttemptMetrics::KindName(kind))},
                   {"outcome", std::string(AttemptMetrics::OutcomeName(outcome))}},
                  attempts.ended[kind][outcome]);
    }
  }
  page.Family("braid_attempt_seconds", "histogram",
              "How long attempts that came back with a result ran, as their workers measured.");
  for (int kind = 0; kind < 2; ++kind) {
    page.Histogram("braid_attempt_seconds", {{"kind", std::string(AttemptMetrics::KindName(kind))}},
                   attempts.seconds[kind]);
  }
  page.Family("braid_task_seconds", "histogram",
              "How long the attempt that committed each task ran.");
  for (int kind = 0; kind < 2; ++kind) {
    page.Histogram("braid_task_seconds", {{"kind", std::string(AttemptMetrics::KindName(kind))}},
                   job_metrics_.task_seconds[kind]);
  }

  // Bytes.
  page.Single("braid_bytes_read_total", "counter",
              "Bytes of input the committed tasks read (FileSystemCounter BYTES_READ).",
              static_cast<double>(job_metrics_.bytes_read));
  page.Single("braid_bytes_written_total", "counter",
              "Bytes the committed tasks wrote (FileSystemCounter BYTES_WRITTEN).",
              static_cast<double>(job_metrics_.bytes_written));
  page.Single("braid_input_bytes_served_total", "counter",
              "Bytes of input splits the coordinator served to workers that share no filesystem "
              "with it.",
              static_cast<double>(data_.bytes_served()));
  page.Single("braid_part_bytes_received_total", "counter",
              "Bytes of part files the coordinator received from such workers.",
              static_cast<double>(data_.bytes_received()));

  // Messaging.
  page.Single("braid_heartbeats_sent_total", "counter", "Heartbeats sent to peers.",
              static_cast<double>(hub_.heartbeats_sent()));
  page.Single("braid_heartbeats_received_total", "counter", "Heartbeats received from peers.",
              static_cast<double>(hub_.heartbeats_received()));
  page.Single("braid_peers", "gauge", "Peers (workers and clients) introduced and not lost.",
              static_cast<double>(hub_.peers()));
  page.Single("braid_peers_lost_total", "counter", "Peers declared lost (gone silent or gone).",
              static_cast<double>(hub_.peers_lost()));
  page.Family("braid_refused_frames_total", "counter",
              "Frames the coordinator could not take, by reason.");
  for (int kind = 0; kind < kBadInputKinds; ++kind) {
    const BadInput reason = static_cast<BadInput>(kind);
    page.Sample("braid_refused_frames_total",
                {{"reason", absl::StrReplaceAll(BadInputName(reason), {{" ", "_"}})}},
                static_cast<double>(hub_.bad_input().count(reason)));
  }

  // The journal.
  page.Single("braid_journal_failed", "gauge",
              "1 once the journal failed (no job is accepted until a restart), 0 otherwise.",
              store_ != nullptr && !store_->error().ok() ? 1 : 0);
  if (store_ != nullptr) {
    page.Family("braid_journal_sync_seconds", "histogram",
                "How long each fsync of the journal took.");
    page.Histogram("braid_journal_sync_seconds", {}, store_->sync_seconds());
  }
}

}  // namespace braid
