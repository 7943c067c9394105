// bigrams: how often each pair of adjacent words occurs within a line — an example of a job of
// one's own. Output: "first second<TAB>count".
//
//   bazel build //examples/bigrams:braid
//   bazel-bin/examples/bigrams/braid simulate --workers 2 --
//       --job bigrams --input 'corpus/*' --output bigrams-out --reducers 2   (one line)
//
// --set min_count=N keeps only the pairs seen at least N times (default 1); the counter
// Bigrams.RARE_PAIRS_DROPPED says how many were dropped.

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "job/builtin/sum_reducer.h"
#include "job/job.h"
#include "job/registry.h"

namespace bigrams {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f'; }

class BigramMapper : public braid::Mapper {
 public:
  absl::Status Map(const braid::Record& record, braid::Emitter& out) override {
    absl::string_view previous;
    const char* p = record.line.data();
    const char* end = p + record.line.size();
    while (p < end) {
      while (p < end && IsSpace(*p)) ++p;
      const char* start = p;
      while (p < end && !IsSpace(*p)) ++p;
      if (p == start) break;
      absl::string_view word(start, p - start);
      if (!previous.empty()) out.Emit(absl::StrCat(previous, " ", word), "1");
      previous = word;
    }
    return absl::OkStatus();
  }
};

// Sums the counts (as SumReducer does), and drops the pairs seen fewer than min_count times.
// Only the final reducer filters: a combiner sees partial counts.
class MinCountReducer : public braid::Reducer {
 public:
  absl::Status Setup(braid::TaskContext& context) override {
    absl::StatusOr<int64_t> min_count = context.config().GetInt("min_count", 1);
    if (!min_count.ok()) return min_count.status();
    min_count_ = *min_count;
    context_ = &context;
    return absl::OkStatus();
  }

  absl::Status Reduce(absl::string_view key, braid::Values& values, braid::Emitter& out) override {
    int64_t total = 0;
    absl::string_view value;
    while (values.Next(&value)) {
      int64_t count;
      if (!absl::SimpleAtoi(value, &count)) {
        return absl::InvalidArgumentError(absl::StrCat("count '", value, "' of '", key, "'"));
      }
      total += count;
    }
    if (total >= min_count_) {
      out.Emit(key, absl::StrCat(total));
    } else {
      context_->IncrementCounter("Bigrams", "RARE_PAIRS_DROPPED");
    }
    return absl::OkStatus();
  }

 private:
  int64_t min_count_ = 1;
  braid::TaskContext* context_ = nullptr;
};

absl::Status Validate(const braid::JobConfig& config) {
  absl::StatusOr<int64_t> min_count = config.GetInt("min_count", 1);
  if (!min_count.ok()) return min_count.status();
  if (*min_count < 1) return absl::InvalidArgumentError("bigrams min_count must be at least 1");
  return absl::OkStatus();
}

BRAID_REGISTER_JOB(braid::JobDefinition{
    .name = "bigrams",
    .description = "how often each pair of adjacent words occurs: first second<TAB>count",
    .mapper = [] { return std::make_unique<BigramMapper>(); },
    .reducer = [] { return std::make_unique<MinCountReducer>(); },
    .combiner = [] { return std::make_unique<braid::SumReducer>(); },
    .validate = Validate,
});

}  // namespace
}  // namespace bigrams
