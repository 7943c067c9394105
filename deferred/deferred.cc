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
  if (actual == TypeIdOf<void>() && expected != TypeIdOf<void>()) {
    LOG(FATAL) << "Deferred::" << operation << " on a handle of type Deferred<"
               << ReadableName(expected) << "> but the chain is at void: its value has moved on "
               << "(handed to another Deferred, a coroutine or a DeferredList, or consumed by a "
               << "callback), so what is added now takes no value — Then(f()) , Both(f(Status)), "
               << "Catch(f(Status)) — as Twisted's callbacks then see None";
  }
  if (expected == TypeIdOf<void>() && actual != TypeIdOf<void>()) {
    LOG(FATAL) << "Deferred::" << operation << ": a callback that takes no value needs a chain "
               << "at void, but the chain is at " << ReadableName(actual)
               << "; take the value (and ignore it) or use the handle that the last "
               << "Then/Catch/Both returned";
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
