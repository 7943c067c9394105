// SumReducer: adds up decimal integer values — the reducer and combiner of every counting job.

#ifndef BRAID_JOB_BUILTIN_SUM_REDUCER_H_
#define BRAID_JOB_BUILTIN_SUM_REDUCER_H_

#include "job/job.h"

namespace braid {

class SumReducer : public Reducer {
 public:
  // Emits (key, the sum of the values). kInvalidArgument naming the key if a value is not an
  // integer.
  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override;
};

}  // namespace braid

#endif  // BRAID_JOB_BUILTIN_SUM_REDUCER_H_
