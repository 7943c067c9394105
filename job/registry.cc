#include "job/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace braid {

JobRegistry& JobRegistry::Global() {
  static JobRegistry* const registry = new JobRegistry();
  return *registry;
}

absl::Status JobRegistry::Register(JobDefinition definition) {
  if (definition.name.empty()) return absl::InvalidArgumentError("a job needs a name");
  if (!definition.mapper) {
    return absl::InvalidArgumentError(absl::StrCat("job '", definition.name, "' has no mapper"));
  }
  std::string name = definition.name;
  if (!jobs_.emplace(name, std::move(definition)).second) {
    return absl::AlreadyExistsError(absl::StrCat("job '", name, "' is registered twice"));
  }
  return absl::OkStatus();
}

const JobDefinition* JobRegistry::Find(absl::string_view name) const {
  auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<std::string> JobRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(jobs_.size());
  for (const auto& [name, definition] : jobs_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

namespace job_internal {

bool RegisterOrDie(JobDefinition definition) {
  absl::Status registered = JobRegistry::Global().Register(std::move(definition));
  if (!registered.ok()) {
    std::fprintf(stderr, "cannot register a job: %s\n", registered.ToString().c_str());
    std::abort();
  }
  return true;
}

}  // namespace job_internal
}  // namespace braid
