// A worker's HTTP side (`braid worker --http`): /metrics in Prometheus's text format — the tasks
// it ran and how long they took, its slots and queue, and the bytes its data plane moved.
// `/` says where to look; any other path is answered 404. Read at each request, on the loop's
// thread.

#ifndef BRAID_WORKER_WORKER_PAGES_H_
#define BRAID_WORKER_WORKER_PAGES_H_

#include "base/metrics.h"
#include "messaging/http_server.h"
#include "worker/map_output_fetcher.h"
#include "worker/map_output_server.h"
#include "worker/part_file_sender.h"
#include "worker/worker.h"

namespace braid {

// What the pages read; the data plane's parts are null for a worker without one.
struct WorkerPageSources {
  const Worker* worker = nullptr;
  const MapOutputServer* data_server = nullptr;
  const MapOutputFetcher* fetcher = nullptr;
  const PartFileSender* part_sender = nullptr;
};

// Adds the metrics of `sources` to `page` (docs/metrics.md lists them).
void WriteWorkerMetrics(const WorkerPageSources& sources, MetricsPage& page);

HttpResponse ServeWorkerPage(const WorkerPageSources& sources, const HttpRequest& request);

}  // namespace braid

#endif  // BRAID_WORKER_WORKER_PAGES_H_
