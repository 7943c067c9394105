// noop: tasks that do nothing, to measure the scheduler. Takes no input:
//   --set tasks=N   the number of map tasks (default 1)
// Run it with --reducers 0.

#include <memory>

#include "absl/strings/str_cat.h"
#include "job/registry.h"

namespace braid {
namespace {

class NoopMapper : public Mapper {
 public:
  absl::Status Map(const Record&, Emitter&) override { return absl::OkStatus(); }
};

absl::Status Validate(const JobConfig& config) {
  absl::StatusOr<int64_t> tasks = config.GetInt("tasks", 1);
  if (!tasks.ok()) return tasks.status();
  if (*tasks < 1 || *tasks > 100'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("noop tasks must be between 1 and 100000000, not ", *tasks));
  }
  return absl::OkStatus();
}

BRAID_REGISTER_JOB(JobDefinition{
    .name = "noop",
    .description = "--set tasks=N map tasks that do nothing (for scheduler benchmarks)",
    .needs_input = false,
    .mapper = [] { return std::make_unique<NoopMapper>(); },
    .validate = Validate,
});

}  // namespace
}  // namespace braid
