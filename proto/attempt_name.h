// The name of a task attempt: "JOB_ID-m00003.2" (map task 3, attempt 2) — how logs, status,
// files and both sides of the protocol refer to one attempt.

#ifndef BRAID_PROTO_ATTEMPT_NAME_H_
#define BRAID_PROTO_ATTEMPT_NAME_H_

#include <string>

#include "absl/strings/str_format.h"
#include "proto/braid.pb.h"

namespace braid {

inline std::string AttemptName(const proto::TaskAttempt& attempt) {
  return absl::StrFormat("%s-%c%05d.%d", attempt.job_id(),
                         attempt.kind() == proto::TASK_KIND_MAP ? 'm' : 'r', attempt.task(),
                         attempt.attempt());
}

}  // namespace braid

#endif  // BRAID_PROTO_ATTEMPT_NAME_H_
