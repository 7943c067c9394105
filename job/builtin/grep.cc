// grep: how often each match of a regular expression occurs (Hadoop's Grep example).
//   --set pattern=REGEX   an RE2 expression (required)
//   --set group=N         count capture group N instead of the whole match (default 0)
// Output: "match<TAB>count".

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "job/builtin/sum_reducer.h"
#include "job/registry.h"
#include "re2/re2.h"

namespace braid {
namespace {

absl::Status Validate(const JobConfig& config) {
  std::string pattern = config.Get("pattern");
  if (pattern.empty()) {
    return absl::InvalidArgumentError("grep needs a pattern: --set pattern=REGEX");
  }
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("grep pattern '", pattern, "' is not a valid RE2 expression: ", re.error()));
  }
  absl::StatusOr<int64_t> group = config.GetInt("group", 0);
  if (!group.ok()) return group.status();
  if (*group < 0 || *group > re.NumberOfCapturingGroups()) {
    return absl::InvalidArgumentError(absl::StrCat("grep group ", *group, " is not a group of '",
                                                   pattern, "' (it has ",
                                                   re.NumberOfCapturingGroups(), ")"));
  }
  return absl::OkStatus();
}

class GrepMapper : public Mapper {
 public:
  absl::Status Setup(TaskContext& context) override {
    absl::Status valid = Validate(context.config());
    if (!valid.ok()) return valid;
    re_ = std::make_unique<RE2>(context.config().Get("pattern"), RE2::Quiet);
    group_ = static_cast<int>(*context.config().GetInt("group", 0));
    return absl::OkStatus();
  }

  absl::Status Map(const Record& record, Emitter& out) override {
    absl::string_view rest = record.line;
    re2::StringPiece input(rest.data(), rest.size());
    const int groups = group_ + 1;
    re2::StringPiece matches[16];
    size_t at = 0;
    while (at <= input.size() &&
           re_->Match(input, at, input.size(), RE2::UNANCHORED, matches, groups)) {
      const re2::StringPiece& m = matches[group_];
      out.Emit(absl::string_view(m.data(), m.size()), "1");
      const re2::StringPiece& whole = matches[0];
      size_t end = static_cast<size_t>(whole.data() - input.data()) + whole.size();
      at = whole.empty() ? end + 1 : end;
    }
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<RE2> re_;
  int group_ = 0;
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "grep",
    .description = "how often each match of --set pattern=REGEX occurs: match<TAB>count",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<GrepMapper>(); },
    .reducer = [] { return std::make_unique<SumReducer>(); },
    .combiner = [] { return std::make_unique<SumReducer>(); },
    .validate = Validate,
});

}  // namespace
}  // namespace braid
