// RETURN_IF_ERROR and ASSIGN_OR_RETURN: early returns on error for functions that return
// absl::Status or absl::StatusOr<T> (Abseil's later status macros; Debian's Abseil lacks them).
//
//   absl::StatusOr<Plan> MakePlan(const Job& job) {
//     RETURN_IF_ERROR(Validate(job));
//     ASSIGN_OR_RETURN(std::vector<Split> splits, CutSplits(job));
//     return Plan(std::move(splits));
//   }

#ifndef BRAID_THIRD_PARTY_ABSL_COMPAT_STATUS_MACROS_H_
#define BRAID_THIRD_PARTY_ABSL_COMPAT_STATUS_MACROS_H_

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` (an absl::Status or absl::StatusOr) from the enclosing function
// if it is not OK.
#define RETURN_IF_ERROR(expr)                                                    \
  do {                                                                           \
    if (absl::Status braid_status_ = ::braid_compat::StatusOf((expr));           \
        ABSL_PREDICT_FALSE(!braid_status_.ok())) {                               \
      return braid_status_;                                                      \
    }                                                                            \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status from the enclosing function if it
// is not OK, otherwise declares or assigns `lhs` from its value.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  BRAID_ASSIGN_OR_RETURN_IMPL_(BRAID_STATUS_CONCAT_(braid_statusor_, __LINE__), lhs, rexpr)

#define BRAID_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)         \
  auto statusor = (rexpr);                                         \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) return statusor.status(); \
  lhs = *std::move(statusor)

#define BRAID_STATUS_CONCAT_INNER_(a, b) a##b
#define BRAID_STATUS_CONCAT_(a, b) BRAID_STATUS_CONCAT_INNER_(a, b)

namespace braid_compat {

inline absl::Status StatusOf(absl::Status status) { return status; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace braid_compat

#endif  // BRAID_THIRD_PARTY_ABSL_COMPAT_STATUS_MACROS_H_
