// A Hadoop property under its current name and the deprecated one Hadoop's table maps to it
// (mapred.reduce.tasks -> mapreduce.job.reduces): what every reader of a job's Hadoop properties
// looks them up by, so that both names mean one thing and two values of one property are caught.
//
// Threading: functions of their arguments.

#ifndef BRAID_JOB_PROPERTY_NAMES_H_
#define BRAID_JOB_PROPERTY_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/braid.pb.h"

namespace braid {

struct PropertyNames {
  const char* newer;
  const char* older = nullptr;  // none
};

// The value `spec`'s configuration gives the property under either name (nullptr if neither),
// and in *given_as the name it is set under (the newer when both are). kInvalidArgument naming
// both if both are set, to different values.
absl::StatusOr<const std::string*> FindProperty(const proto::JobSpec& spec, PropertyNames names,
                                                std::string* given_as);

}  // namespace braid

#endif  // BRAID_JOB_PROPERTY_NAMES_H_
