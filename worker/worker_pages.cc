#include "worker/worker_pages.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace braid {

void WriteWorkerMetrics(const WorkerPageSources& sources, MetricsPage& page) {
  const Worker& worker = *sources.worker;
  page.Single("braid_worker_slots", "gauge", "Tasks this worker runs at once.", worker.slots());
  page.Single("braid_worker_running_tasks", "gauge",
              "Tasks started and not ended (running, or waiting their turn in a batch).",
              static_cast<double>(worker.running()));
  page.Single("braid_worker_queued_tasks", "gauge", "Tasks given to this worker, not yet started.",
              static_cast<double>(worker.queued()));
  page.Single("braid_worker_connected", "gauge",
              "1 while this worker is connected to its coordinator.",
              worker.link().connected() ? 1 : 0);
  page.Single("braid_worker_draining", "gauge", "1 once this worker drains (it takes no task).",
              worker.draining() ? 1 : 0);
  const Worker::TaskMetrics& tasks = worker.task_metrics();
  page.Family("braid_worker_tasks_total", "counter",
              "Task attempts this worker ran to their end, by kind and outcome (discarded: the "
              "coordinator no longer wanted the result).");
  for (int kind = 0; kind < 2; ++kind) {
    for (int outcome = 0; outcome < Worker::TaskMetrics::kOutcomes; ++outcome) {
      page.Sample("braid_worker_tasks_total",
                  {{"kind", std::string(Worker::TaskMetrics::KindName(kind))},
                   {"outcome", std::string(Worker::TaskMetrics::OutcomeName(outcome))}},
                  static_cast<double>(tasks.ended[kind][outcome]));
    }
  }
  page.Family("braid_worker_task_seconds", "histogram",
              "How long this worker's task attempts ran, by kind.");
  for (int kind = 0; kind < 2; ++kind) {
    page.Histogram("braid_worker_task_seconds",
                   {{"kind", std::string(Worker::TaskMetrics::KindName(kind))}},
                   tasks.seconds[kind]);
  }
  if (sources.data_server != nullptr) {
    const MapOutputServer& server = *sources.data_server;
    page.Single("braid_worker_map_outputs_held", "gauge",
                "Map outputs this worker holds and serves to reducers.",
                static_cast<double>(server.outputs()));
    page.Single("braid_worker_shuffle_bytes_served_total", "counter",
                "Bytes of map outputs this worker served to other workers' reducers.",
                static_cast<double>(server.bytes_served()));
    page.Single("braid_worker_shuffle_chunks_served_total", "counter",
                "Chunks of map outputs this worker served.",
                static_cast<double>(server.chunks_served()));
    page.Single("braid_worker_shuffle_requests_refused_total", "counter",
                "Requests to this worker's data endpoint it refused (unknown output, bad frame, "
                "key not of the fleet).",
                static_cast<double>(server.refused()));
  }
  if (sources.fetcher != nullptr) {
    const MapOutputFetcher& fetcher = *sources.fetcher;
    page.Single("braid_worker_shuffle_bytes_fetched_total", "counter",
                "Bytes this worker fetched from other workers (map outputs) and from the "
                "coordinator (inputs it does not hold).",
                static_cast<double>(fetcher.bytes_fetched()));
    page.Single("braid_worker_shuffle_outputs_lost_total", "counter",
                "Map outputs this worker's reducers found gone from their holder.",
                static_cast<double>(fetcher.outputs_lost()));
    page.Single("braid_worker_shuffle_chunks_refetched_total", "counter",
                "Chunks fetched again after a checksum mismatch.",
                static_cast<double>(fetcher.chunks_refetched()));
  }
  if (sources.part_sender != nullptr) {
    page.Single("braid_worker_part_bytes_sent_total", "counter",
                "Bytes of part files this worker sent to the coordinator (an output directory it "
                "does not see).",
                static_cast<double>(sources.part_sender->bytes_sent()));
  }
}

HttpResponse ServeWorkerPage(const WorkerPageSources& sources, const HttpRequest& request) {
  HttpResponse response;
  if (request.path == "/metrics") {
    MetricsPage page;
    WriteWorkerMetrics(sources, page);
    response.content_type = MetricsPage::kContentType;
    response.body = page.text();
    return response;
  }
  if (request.path == "/") {
    response.body = absl::StrCat("braid worker ", sources.worker->name(),
                                 ": its metrics are at /metrics; jobs and tasks are on the "
                                 "coordinator's status page\n");
    return response;
  }
  response.status = 404;
  response.body = absl::StrCat("no such page: ", request.path, " (try /metrics)\n");
  return response;
}

}  // namespace braid
