// Result<T>: what a Deferred<T> fires with — a T or an error.
//
// Result<T> is absl::StatusOr<T>, and Result<void> is absl::Status: the C++ counterparts of
// Twisted's "a value or a Failure". Callbacks, errbacks and coroutines in Braid speak these types.

#ifndef BRAID_DEFERRED_RESULT_H_
#define BRAID_DEFERRED_RESULT_H_

#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace braid {

template <typename T>
class Deferred;

namespace deferred_internal {

template <typename T>
struct ResultOf {
  using type = absl::StatusOr<T>;
};
template <>
struct ResultOf<void> {
  using type = absl::Status;
};

}  // namespace deferred_internal

template <typename T>
using Result = typename deferred_internal::ResultOf<T>::type;

// The status part of a Result: the error, or OK.
inline const absl::Status& StatusOf(const absl::Status& result) { return result; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

namespace deferred_internal {

// What a callback's return type means for the chain after it:
//   U                  -> the chain continues with a U
//   absl::StatusOr<U>  -> with a U, or with the error
//   absl::Status       -> with no value (void), or with the error
//   void               -> with no value
//   Deferred<U>        -> the chain waits for that Deferred, then continues with its result
template <typename R>
struct ReturnTraits {
  using value_type = R;
  static constexpr bool kIsDeferred = false;
};
template <>
struct ReturnTraits<void> {
  using value_type = void;
  static constexpr bool kIsDeferred = false;
};
template <>
struct ReturnTraits<absl::Status> {
  using value_type = void;
  static constexpr bool kIsDeferred = false;
};
template <typename U>
struct ReturnTraits<absl::StatusOr<U>> {
  using value_type = U;
  static constexpr bool kIsDeferred = false;
};
template <typename U>
struct ReturnTraits<Deferred<U>> {
  using value_type = U;
  static constexpr bool kIsDeferred = true;
};

template <typename R>
using ChainValue = typename ReturnTraits<std::remove_cvref_t<R>>::value_type;

template <typename T>
struct IsDeferred : std::false_type {};
template <typename T>
struct IsDeferred<Deferred<T>> : std::true_type {};

}  // namespace deferred_internal
}  // namespace braid

#endif  // BRAID_DEFERRED_RESULT_H_
