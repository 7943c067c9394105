// ValueSlot: type-erased storage for the current value of a Deferred's chain.
//
// A chain's value changes type from stage to stage (int, then std::string, ...), so the slot does
// not know its type statically; the typed code that reads it does. The storage is a run of bytes
// whose size the slot's owner (a Core) chose when it was made, for the type its chain starts
// with: a value that fits lives there, a larger one in one heap box whose pointer lives there.
// ValueSlot is a view of that storage and of the pointer that says what it holds; it owns
// neither. Not thread-safe; not for use outside deferred/.

#ifndef BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_
#define BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace braid::deferred_internal {

// What a slot holds and how to destroy or move it; one table per type and placement.
struct ValueOps {
  // Destroys the value in `storage`; nullptr for trivial values held inline.
  void (*destroy)(unsigned char* storage);
  // Moves the value out of `from` (left empty) into the empty `to` of `to_capacity` bytes;
  // returns the table that now describes `to`.
  const ValueOps* (*relocate)(unsigned char* from, unsigned char* to, size_t to_capacity);
};

// Storage is aligned to this much; values needing more are boxed.
inline constexpr size_t kValueAlignment = alignof(void*);
// The least storage a slot has: room for a box's pointer.
inline constexpr size_t kMinValueCapacity = sizeof(void*);
// The most: values larger than this are boxed, so that a Core stays within its larger block.
inline constexpr size_t kMaxValueCapacity = 72;

// Whether a T lives inline in `capacity` bytes of storage.
template <typename T>
constexpr bool FitsInline(size_t capacity) {
  return sizeof(T) <= capacity && alignof(T) <= kValueAlignment &&
         std::is_nothrow_move_constructible_v<T>;
}

// The storage a slot made for a chain that starts with a T needs: room for a T if it may live
// inline at all, else room for a box's pointer.
template <typename T>
constexpr size_t CapacityFor() {
  if constexpr (std::is_void_v<T>) {
    return kMinValueCapacity;
  } else {
    constexpr size_t rounded =
        (sizeof(T) + kValueAlignment - 1) / kValueAlignment * kValueAlignment;
    if constexpr (rounded <= kMaxValueCapacity && FitsInline<T>(rounded) &&
                  rounded > kMinValueCapacity) {
      return rounded;
    }
    return kMinValueCapacity;
  }
}

template <typename T>
struct InlineValue {
  static void Destroy(unsigned char* storage) { std::launder(reinterpret_cast<T*>(storage))->~T(); }
  static const ValueOps* Relocate(unsigned char* from, unsigned char* to, size_t to_capacity);
  static constexpr bool kTrivial =
      std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>;
  static constexpr ValueOps kOps = {kTrivial ? nullptr : &Destroy, &Relocate};
};

template <typename T>
struct BoxedValue {
  static T*& Box(unsigned char* storage) { return *std::launder(reinterpret_cast<T**>(storage)); }
  static void Destroy(unsigned char* storage) { delete Box(storage); }
  static const ValueOps* Relocate(unsigned char* from, unsigned char* to, size_t) {
    ::new (static_cast<void*>(to)) T*(Box(from));
    return &kOps;
  }
  static constexpr ValueOps kOps = {&Destroy, &Relocate};
};

template <typename T>
const ValueOps* InlineValue<T>::Relocate(unsigned char* from, unsigned char* to,
                                         size_t to_capacity) {
  T& value = *std::launder(reinterpret_cast<T*>(from));
  const ValueOps* ops;
  if (FitsInline<T>(to_capacity)) {
    ::new (static_cast<void*>(to)) T(std::move(value));
    ops = &kOps;
  } else {
    ::new (static_cast<void*>(to)) T*(new T(std::move(value)));
    ops = &BoxedValue<T>::kOps;
  }
  value.~T();
  return ops;
}

class ValueSlot {
 public:
  ValueSlot(const ValueOps*& ops, unsigned char* storage, size_t capacity)
      : ops_(ops), storage_(storage), capacity_(capacity) {}

  bool empty() const { return ops_ == nullptr; }

  // Stores a T built from `args`, replacing what the slot held.
  template <typename T, typename... Args>
  void Emplace(Args&&... args) {
    Reset();
    // Every slot has room for a value of up to kMinValueCapacity bytes: no need to ask.
    if (FitsInline<T>(kMinValueCapacity) || FitsInline<T>(capacity_)) {
      ::new (static_cast<void*>(storage_)) T(std::forward<Args>(args)...);
      ops_ = &InlineValue<T>::kOps;
    } else {
      ::new (static_cast<void*>(storage_)) T*(new T(std::forward<Args>(args)...));
      ops_ = &BoxedValue<T>::kOps;
    }
  }

  // The held T. REQUIRES: the slot holds a T.
  template <typename T>
  T& Get() {
    if (FitsInline<T>(kMinValueCapacity) || ops_ == &InlineValue<T>::kOps)
      return *std::launder(reinterpret_cast<T*>(storage_));
    return *BoxedValue<T>::Box(storage_);
  }

  // Moves the held T out and leaves the slot empty. REQUIRES: the slot holds a T.
  template <typename T>
  T Take() {
    if constexpr (FitsInline<T>(kMinValueCapacity) && InlineValue<T>::kTrivial) {
      // Always inline, nothing to destroy.
      T value(*std::launder(reinterpret_cast<T*>(storage_)));
      ops_ = nullptr;
      return value;
    } else {
      T value(std::move(Get<T>()));
      Reset();
      return value;
    }
  }

  // Destroys the held value, if any.
  void Reset() {
    if (ops_ != nullptr) {
      if (ops_->destroy != nullptr) ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  // Moves `other`'s value (whatever its type) into this slot and empties `other`.
  void MoveFrom(ValueSlot other) {
    Reset();
    if (other.ops_ != nullptr) {
      ops_ = other.ops_->relocate(other.storage_, storage_, capacity_);
      other.ops_ = nullptr;
    }
  }

 private:
  const ValueOps*& ops_;
  unsigned char* storage_;
  size_t capacity_;
};

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_VALUE_SLOT_H_
