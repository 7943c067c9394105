#include "reactor/timer_queue.h"

#include <utility>

namespace braid {
namespace {

constexpr size_t kArity = 4;
// Below this many entries, stale ones are not worth a rebuild.
constexpr size_t kMinCompaction = 1024;

uint64_t MakeId(uint32_t slot, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | slot;
}
uint32_t SlotOf(uint64_t id) { return static_cast<uint32_t>(id); }
uint32_t GenerationOf(uint64_t id) { return static_cast<uint32_t>(id >> 32); }

}  // namespace

uint64_t TimerQueue::Schedule(absl::Time when, Function f) {
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Slot& s = slots_[slot];
  s.f = std::move(f);
  s.when = absl::ToUnixNanos(when);
  s.pending = true;
  ++live_;
  Push(Entry{Key(s.when), next_sequence_++, slot, s.version});
  return MakeId(slot, s.generation);
}

const TimerQueue::Slot* TimerQueue::Find(uint64_t id) const {
  uint32_t slot = SlotOf(id);
  if (slot >= slots_.size()) return nullptr;
  const Slot& s = slots_[slot];
  if (!s.pending || s.generation != GenerationOf(id)) return nullptr;
  return &s;
}

bool TimerQueue::Active(uint64_t id) const { return Find(id) != nullptr; }

absl::Time TimerQueue::When(uint64_t id) const { return absl::FromUnixNanos(Find(id)->when); }

CallEnd TimerQueue::Cancel(uint64_t id) {
  if (Find(id) == nullptr) {
    const uint32_t slot = SlotOf(id);
    if (slot >= slots_.size()) return CallEnd::kUnknown;
    const Slot& s = slots_[slot];
    // Release bumped the generation when the call ended; a newer call in the slot keeps it.
    if (s.pending || s.generation != GenerationOf(id) + 1) return CallEnd::kUnknown;
    return s.ended_by_cancel ? CallEnd::kCancelled : CallEnd::kRan;
  }
  Function f = Release(SlotOf(id));
  slots_[SlotOf(id)].ended_by_cancel = true;
  DropStaleTop();
  CompactIfStale();
  return CallEnd::kPending;  // `f` is destroyed here, after the queue is consistent again
}

std::vector<uint64_t> TimerQueue::PendingIds() const {
  std::vector<uint64_t> ids;
  ids.reserve(live_);
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].pending) ids.push_back(MakeId(slot, slots_[slot].generation));
  }
  return ids;
}

std::vector<DelayedCall> TimerQueue::PendingCalls(ReactorTime* time) const {
  std::vector<DelayedCall> calls;
  for (uint64_t id : PendingIds()) calls.emplace_back(time, id);
  return calls;
}

bool TimerQueue::Reschedule(uint64_t id, absl::Time when) {
  if (Find(id) == nullptr) return false;
  Slot& s = slots_[SlotOf(id)];
  ++s.version;
  s.when = absl::ToUnixNanos(when);
  Push(Entry{Key(s.when), next_sequence_++, SlotOf(id), s.version});
  DropStaleTop();
  CompactIfStale();
  return true;
}

std::optional<absl::Time> TimerQueue::NextDue() const {
  if (heap_.empty()) return std::nullopt;
  return absl::FromUnixNanos(Nanos(heap_.front().when));
}

std::optional<TimerQueue::Function> TimerQueue::PopDue(absl::Time now, uint64_t before_sequence) {
  if (heap_.empty()) return std::nullopt;
  const Entry& top = heap_.front();
  if (top.when > Key(absl::ToUnixNanos(now)) || top.sequence >= before_sequence) {
    return std::nullopt;
  }
  uint32_t slot = top.slot;
  PopTop();
  Function f = Release(slot);
  DropStaleTop();
  return f;
}

std::vector<TimerQueue::Function> TimerQueue::TakeAll() {
  std::vector<Function> functions;
  functions.reserve(live_);
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].pending) functions.push_back(Release(slot));
  }
  heap_.clear();
  return functions;
}

void TimerQueue::Push(const Entry& entry) {
  heap_.push_back(entry);
  SiftUp(heap_.size() - 1);
}

void TimerQueue::PopTop() {
  // Bottom-up: walk the hole at the top down along the smaller children to a leaf, then let the
  // last entry rise from there. Half the comparisons of a classic sift-down, since the last
  // entry nearly always belongs near the bottom.
  Entry last = heap_.back();
  heap_.pop_back();
  const size_t size = heap_.size();
  if (size == 0) return;
  size_t hole = 0;
  while (true) {
    size_t first = kArity * hole + 1;
    if (first >= size) break;
    size_t best = first;
    size_t end = first + kArity < size ? first + kArity : size;
    for (size_t child = first + 1; child < end; ++child) {
      if (Before(heap_[child], heap_[best])) best = child;
    }
    heap_[hole] = heap_[best];
    hole = best;
  }
  heap_[hole] = last;
  SiftUp(hole);
}

void TimerQueue::SiftUp(size_t index) {
  Entry entry = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / kArity;
    if (!Before(entry, heap_[parent])) break;
    heap_[index] = heap_[parent];
    index = parent;
  }
  heap_[index] = entry;
}

void TimerQueue::SiftDown(size_t index) {
  Entry entry = heap_[index];
  const size_t size = heap_.size();
  while (true) {
    size_t first = kArity * index + 1;
    if (first >= size) break;
    size_t best = first;
    size_t last = first + kArity < size ? first + kArity : size;
    for (size_t child = first + 1; child < last; ++child) {
      if (Before(heap_[child], heap_[best])) best = child;
    }
    if (!Before(heap_[best], entry)) break;
    heap_[index] = heap_[best];
    index = best;
  }
  heap_[index] = entry;
}

void TimerQueue::DropStaleTop() {
  while (!heap_.empty() && Stale(heap_.front())) PopTop();
}

TimerQueue::Function TimerQueue::Release(uint32_t slot) {
  Slot& s = slots_[slot];
  Function f = std::move(s.f);
  s.f = nullptr;
  s.pending = false;
  s.ended_by_cancel = false;
  ++s.generation;
  ++s.version;
  --live_;
  free_slots_.push_back(slot);
  return f;
}

void TimerQueue::CompactIfStale() {
  const size_t stale = heap_.size() - live_;
  if (stale < kMinCompaction || stale <= live_) return;
  std::erase_if(heap_, [this](const Entry& e) { return Stale(e); });
  if (heap_.size() < 2) return;
  for (size_t i = (heap_.size() - 2) / kArity + 1; i-- > 0;) SiftDown(i);
}

}  // namespace braid
