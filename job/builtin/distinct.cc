// distinct: each distinct input line, once, in sorted order.

#include <memory>

#include "job/registry.h"

namespace braid {
namespace {

class LineMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    out.Emit(record.line, "");
    return absl::OkStatus();
  }
};

// Reducer and combiner: the key once.
class FirstReducer : public Reducer {
 public:
  absl::Status Reduce(absl::string_view key, Values&, Emitter& out) override {
    out.Emit(key, "");
    return absl::OkStatus();
  }
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "distinct",
    .description = "each distinct line once, sorted",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<LineMapper>(); },
    .reducer = [] { return std::make_unique<FirstReducer>(); },
    .combiner = [] { return std::make_unique<FirstReducer>(); },
    .output_format = OutputFormat::kKeyOnly,
});

}  // namespace
}  // namespace braid
