#include "worker/streaming_protocol.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace braid {
namespace {

constexpr absl::string_view kCounterPrefix = "reporter:counter:";
constexpr absl::string_view kStatusPrefix = "reporter:status:";

}  // namespace

ReporterLine ParseReporterLine(absl::string_view line) {
  ReporterLine parsed;
  if (!absl::StartsWith(line, "reporter:")) return parsed;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (absl::ConsumePrefix(&line, kStatusPrefix)) {
    parsed.kind = ReporterLine::Kind::kStatus;
    parsed.status = line;
    return parsed;
  }
  if (!absl::ConsumePrefix(&line, kCounterPrefix)) return parsed;
  std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
  if (fields.size() != 3 || fields[0].empty() || fields[1].empty()) return parsed;
  int64_t amount;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(fields[2]), &amount)) return parsed;
  parsed.kind = ReporterLine::Kind::kCounter;
  parsed.group = fields[0];
  parsed.counter = fields[1];
  parsed.amount = amount;
  return parsed;
}

}  // namespace braid
