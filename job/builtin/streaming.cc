// streaming: Hadoop Streaming — external commands as mapper, combiner and reducer.
//
// The registration makes the job known to coordinators and advertised by workers. The commands
// live in the job's StreamingSpec, not in its configuration, so the worker runs streaming tasks
// with mappers and reducers made for each attempt (worker/streaming_task.h); the factory here
// only answers a binary that has no such worker.

#include <memory>

#include "job/registry.h"
#include "job/streaming_spec.h"

namespace braid {
namespace {

class UnboundStreamingMapper : public Mapper {
 public:
  absl::Status Map(const Record&, Emitter&) override {
    return absl::FailedPreconditionError("streaming tasks are run by a braid worker's runner");
  }
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = std::string(kStreamingJob),
    .description = "external commands as mapper, combiner and reducer (--mapper, --reducer)",
    .mapper = [] { return std::make_unique<UnboundStreamingMapper>(); },
    .output_format = OutputFormat::kLine,
});

}  // namespace
}  // namespace braid
