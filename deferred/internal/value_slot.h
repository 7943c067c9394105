// ValueSlot: type-erased storage for the current value of a Deferred's chain.
//
// A chain's value changes type from stage to stage (int, then std::string, ...), so the slot does
// not know its type statically; the typed code that reads it does. Small values live inline,
// larger ones in one heap box. Not thread-safe; not for use outside deferred/.

#ifndef BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_
#define BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace braid::deferred_internal {

class ValueSlot {
 public:
  static constexpr size_t kInlineSize = 32;

  ValueSlot() = default;
  ValueSlot(const ValueSlot&) = delete;
  ValueSlot& operator=(const ValueSlot&) = delete;
  ~ValueSlot() { Reset(); }

  bool empty() const { return ops_ == nullptr; }

  // Stores a T built from `args`, replacing what the slot held.
  template <typename T, typename... Args>
  void Emplace(Args&&... args) {
    Reset();
    if constexpr (kInline<T>) {
      ::new (static_cast<void*>(storage_.bytes)) T(std::forward<Args>(args)...);
    } else {
      storage_.heap = new T(std::forward<Args>(args)...);
    }
    ops_ = &kOps<T>;
  }

  // The held T. REQUIRES: the slot holds a T.
  template <typename T>
  T& Get() {
    if constexpr (kInline<T>) {
      return *std::launder(reinterpret_cast<T*>(storage_.bytes));
    } else {
      return *static_cast<T*>(storage_.heap);
    }
  }

  // Moves the held T out and leaves the slot empty. REQUIRES: the slot holds a T.
  template <typename T>
  T Take() {
    T value(std::move(Get<T>()));
    if constexpr (kTrivial<T>) {
      ops_ = nullptr;
    } else {
      Reset();
    }
    return value;
  }

  // Destroys the held value, if any.
  void Reset() {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(*this);
      ops_ = nullptr;
    }
  }

  // Moves `other`'s value (whatever its type) into this slot and empties `other`.
  void MoveFrom(ValueSlot& other) {
    Reset();
    if (other.ops_ != nullptr) {
      other.ops_->relocate(other, *this);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

 private:
  template <typename T>
  static constexpr bool kInline =
      sizeof(T) <= kInlineSize &&
      alignof(T) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<T>;

  // Values copied and dropped as plain bytes.
  template <typename T>
  static constexpr bool kTrivial =
      kInline<T>&& std::is_trivially_copyable_v<T>&& std::is_trivially_destructible_v<T>;

  struct Ops {
    void (*destroy)(ValueSlot&);  // nullptr for trivial values
    void (*relocate)(ValueSlot& from, ValueSlot& to);
  };

  template <typename T>
  static void Destroy(ValueSlot& slot) {
    if constexpr (kInline<T>) {
      slot.Get<T>().~T();
    } else {
      delete static_cast<T*>(slot.storage_.heap);
    }
  }

  template <typename T>
  static void Relocate(ValueSlot& from, ValueSlot& to) {
    if constexpr (kInline<T>) {
      ::new (static_cast<void*>(to.storage_.bytes)) T(std::move(from.Get<T>()));
      from.Get<T>().~T();
    } else {
      to.storage_.heap = from.storage_.heap;
    }
  }

  template <typename T>
  static constexpr Ops kOps = {kTrivial<T> ? nullptr : &Destroy<T>, &Relocate<T>};

  const Ops* ops_ = nullptr;
  union {
    alignas(std::max_align_t) unsigned char bytes[kInlineSize];
    void* heap;
  } storage_;
};

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_
