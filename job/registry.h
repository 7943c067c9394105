// JobRegistry: the jobs a binary can run, by name.
//
// Jobs register themselves when their library is linked in (BRAID_REGISTER_JOB, at static
// initialisation). The worker advertises the registered names in its hello; the coordinator
// validates submissions against its own registry and its workers' names.

#ifndef BRAID_JOB_REGISTRY_H_
#define BRAID_JOB_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "job/job.h"

namespace braid {

class JobRegistry {
 public:
  // The registry of this process.
  static JobRegistry& Global();

  // Adds `definition`. kAlreadyExists if the name is taken; kInvalidArgument without a name or
  // a mapper.
  absl::Status Register(JobDefinition definition);

  // The job named `name`, or null.
  const JobDefinition* Find(absl::string_view name) const;

  // Every registered name, sorted.
  std::vector<std::string> Names() const;

 private:
  absl::flat_hash_map<std::string, JobDefinition> jobs_;
};

namespace job_internal {
bool RegisterOrDie(JobDefinition definition);
}  // namespace job_internal

}  // namespace braid

#define BRAID_JOB_CONCAT_INNER_(a, b) a##b
#define BRAID_JOB_CONCAT_(a, b) BRAID_JOB_CONCAT_INNER_(a, b)

// Registers a JobDefinition in the process's JobRegistry at static initialisation. Put it in a
// .cc that the braid_worker rule (worker/defs.bzl) compiles into the binary, or in a cc_library
// with alwayslink = True.
#define BRAID_REGISTER_JOB(...)                                                           \
  [[maybe_unused]] static const bool BRAID_JOB_CONCAT_(braid_job_registered_, __LINE__) = \
      ::braid::job_internal::RegisterOrDie(__VA_ARGS__)

#endif  // BRAID_JOB_REGISTRY_H_
