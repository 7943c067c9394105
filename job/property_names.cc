#include "job/property_names.h"

#include "absl/strings/str_cat.h"

namespace braid {

absl::StatusOr<const std::string*> FindProperty(const proto::JobSpec& spec, PropertyNames names,
                                                std::string* given_as) {
  const std::string* value = nullptr;
  for (const char* name : {names.newer, names.older}) {
    if (name == nullptr) continue;
    auto it = spec.config().find(name);
    if (it == spec.config().end()) continue;
    if (value != nullptr && *value != it->second) {
      return absl::InvalidArgumentError(absl::StrCat(*given_as, "=", *value, " and ", name, "=",
                                                     it->second, " say different things"));
    }
    if (value == nullptr) *given_as = name;
    value = &it->second;
  }
  if (value == nullptr) *given_as = names.newer;
  return value;
}

}  // namespace braid
