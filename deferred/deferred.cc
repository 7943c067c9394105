#include "deferred/deferred.h"

#include <cstdlib>
#include <string_view>

#include "glog/logging.h"

namespace braid::deferred_internal {
namespace {

// "constexpr const char* braid::deferred_internal::TypeName() [with T = int]" -> "int"
std::string_view ReadableName(TypeId type) {
  std::string_view name = type->name;
  size_t start = name.find("T = ");
  if (start == std::string_view::npos) return name;
  name.remove_prefix(start + 4);
  size_t end = name.find_first_of(";]");
  return name.substr(0, end);
}

}  // namespace

void DieOnTypeMismatch(TypeId expected, TypeId actual, const char* operation) {
  if (actual == TypeIdOf<HandedOn>()) {
    LOG(FATAL) << "Deferred::" << operation << ": the result of this Deferred was already handed "
               << "on (returned from a callback, co_awaited or taken by a DeferredList); nothing "
               << "may be added after that";
  }
  LOG(FATAL) << "Deferred::" << operation << " on a handle of type Deferred<"
             << ReadableName(expected) << "> but the chain is at " << ReadableName(actual)
             << "; use the handle that the last Then/Catch/Both returned";
  std::abort();
}

void DieOnEmptyHandle(const char* operation) {
  LOG(FATAL) << "Deferred::" << operation << " on a moved-from Deferred";
  std::abort();
}

}  // namespace braid::deferred_internal
