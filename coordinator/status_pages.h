// The coordinator's HTTP side: what its HttpServer serves, read from the coordinator at each
// request (on the loop's thread, so nothing is copied or locked).
//
//   /                 the status page (HTML): jobs with their progress, workers, the journal;
//                     ?job=JOB shows one job's counters and tasks as a timeline. Its script
//                     reads the JSON below every second.
//   /api/status       Coordinator::Status("") as JSON (StatusJson): what `braid status --json`
//                     prints
//   /api/status/JOB   the same for one job, with its tasks; 404 for a job it does not know
//   /metrics          Prometheus's text format (Coordinator::WriteMetrics, docs/metrics.md)
//
// Any other path is answered 404.

#ifndef BRAID_COORDINATOR_STATUS_PAGES_H_
#define BRAID_COORDINATOR_STATUS_PAGES_H_

#include "coordinator/coordinator.h"
#include "messaging/http_server.h"

namespace braid {

HttpResponse ServeCoordinatorPage(const Coordinator& coordinator, const HttpRequest& request);

}  // namespace braid

#endif  // BRAID_COORDINATOR_STATUS_PAGES_H_
