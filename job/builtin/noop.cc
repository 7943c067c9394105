// noop: tasks that do nothing but take a set time, to measure the scheduler and to rehearse
// failures. Takes no input:
//   --set tasks=N     the number of map tasks (default 1)
//   --set task_ms=T   each task takes T milliseconds of wall time, idle (default 0)
// Run it with --reducers 0.

#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "job/registry.h"

namespace braid {
namespace {

constexpr int64_t kMaxTasks = 100'000'000;
constexpr int64_t kMaxTaskMs = 24 * 3600 * 1000;

class NoopMapper : public Mapper {
 public:
  absl::Status Setup(TaskContext& context) override {
    context_ = &context;
    absl::StatusOr<int64_t> task_ms = context.config().GetInt("task_ms", 0);
    if (!task_ms.ok()) return task_ms.status();
    duration_ = absl::Milliseconds(*task_ms);
    return absl::OkStatus();
  }

  absl::Status Map(const Record&, Emitter&) override { return absl::OkStatus(); }

  // Waits out the task's time, in short naps so that a cancelled task ends at once.
  absl::Status Finish(Emitter&) override {
    const absl::Time end = absl::Now() + duration_;
    for (absl::Time now = absl::Now(); now < end; now = absl::Now()) {
      if (context_->cancelled()) return absl::CancelledError("noop task cancelled");
      absl::SleepFor(std::min(end - now, absl::Milliseconds(10)));
    }
    return absl::OkStatus();
  }

 private:
  TaskContext* context_ = nullptr;
  absl::Duration duration_;
};

absl::Status CheckRange(const JobConfig& config, const char* key, int64_t fallback, int64_t low,
                        int64_t high) {
  absl::StatusOr<int64_t> value = config.GetInt(key, fallback);
  if (!value.ok()) return value.status();
  if (*value < low || *value > high) {
    return absl::InvalidArgumentError(
        absl::StrCat("noop ", key, " must be between ", low, " and ", high, ", not ", *value));
  }
  return absl::OkStatus();
}

absl::Status Validate(const JobConfig& config) {
  if (absl::Status tasks = CheckRange(config, "tasks", 1, 1, kMaxTasks); !tasks.ok()) return tasks;
  return CheckRange(config, "task_ms", 0, 0, kMaxTaskMs);
}

BRAID_REGISTER_JOB(JobDefinition{
    .name = "noop",
    .description = "--set tasks=N map tasks that do nothing, each for --set task_ms=T (default 0)",
    .needs_input = false,
    .mapper = [] { return std::make_unique<NoopMapper>(); },
    .validate = Validate,
});

}  // namespace
}  // namespace braid
