#include "job/builtin/sum_reducer.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace braid {

absl::Status SumReducer::Reduce(absl::string_view key, Values& values, Emitter& out) {
  int64_t sum = 0;
  absl::string_view value;
  while (values.Next(&value)) {
    int64_t n;
    if (!absl::SimpleAtoi(value, &n)) {
      return absl::InvalidArgumentError(
          absl::StrCat("value '", value, "' of key '", key, "' is not an integer"));
    }
    sum += n;
  }
  out.Emit(key, absl::StrCat(sum));
  return absl::OkStatus();
}

}  // namespace braid
