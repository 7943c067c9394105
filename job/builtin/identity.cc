// identity: every line through map and reduce unchanged (split at its first tab into key and
// value, as Hadoop Streaming does), sorted by key. The built-in twin of a streaming job with
// `cat` as mapper and reducer.

#include <memory>

#include "job/registry.h"

namespace braid {
namespace {

class IdentityMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    absl::string_view line = record.line;
    size_t tab = line.find('\t');
    if (tab == absl::string_view::npos) {
      out.Emit(line, "");
    } else {
      out.Emit(line.substr(0, tab), line.substr(tab + 1));
    }
    return absl::OkStatus();
  }
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "identity",
    .description = "every line unchanged, sorted by key (text before the first tab)",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<IdentityMapper>(); },
    .output_format = OutputFormat::kLine,
});

}  // namespace
}  // namespace braid
