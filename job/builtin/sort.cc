// sort: TeraSort. Each input line is a record whose first 10 bytes are its key (the rest, its
// value); the output holds the same records in key order, totally ordered across the part files:
// the coordinator samples the input's keys and cuts the key space at the sampled quantiles, so
// part-r-00000 holds the smallest keys and the last part the largest.

#include <memory>

#include "job/registry.h"

namespace braid {
namespace {

constexpr size_t kKeyBytes = 10;

class SortMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    absl::string_view line = record.line;
    size_t key_bytes = std::min(line.size(), kKeyBytes);
    out.Emit(line.substr(0, key_bytes), line.substr(key_bytes));
    return absl::OkStatus();
  }
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "sort",
    .description = "TeraSort: records (lines) in order of their first 10 bytes, across part files",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<SortMapper>(); },
    .sample_key =
        [](absl::string_view line) {
          return std::string(line.substr(0, std::min(line.size(), kKeyBytes)));
        },
    .output_format = OutputFormat::kConcatenated,
});

}  // namespace
}  // namespace braid
