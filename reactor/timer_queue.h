// TimerQueue: the delayed calls of one loop, earliest first — the heap behind the real reactor's
// CallLater and the FakeClock's.
//
// A 4-ary heap of (due time, sequence) entries. Scheduling and popping are O(log n). Cancelling
// or rescheduling a call marks its old entry stale instead of digging it out; stale entries are
// dropped when they reach the top, and the heap is compacted whenever they outnumber the live
// ones, so cancelled calls never pile up (100,000 heartbeat timers reset every second cost
// O(log n) each, amortized). Calls due at the same time come out in the order they were scheduled
// (or last rescheduled).
//
// Threading: one thread.

#ifndef BRAID_REACTOR_TIMER_QUEUE_H_
#define BRAID_REACTOR_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "deferred/reactor_time.h"

namespace braid {

class TimerQueue {
 public:
  using Function = absl::AnyInvocable<void()>;

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Schedules `f` at `when`; returns its id. Ids are never reused.
  uint64_t Schedule(absl::Time when, Function f);

  // Whether call `id` is still pending.
  bool Active(uint64_t id) const;
  // When call `id` is due. REQUIRES: Active(id).
  absl::Time When(uint64_t id) const;

  // Removes call `id` if it is pending (kPending); otherwise tells how it ended, which the queue
  // remembers until the call's slot serves another call.
  CallEnd Cancel(uint64_t id);
  // The ids of the calls pending, in no particular order.
  std::vector<uint64_t> PendingIds() const;
  // The same as handles of `time` (the queue's owner), for its DelayedCalls().
  std::vector<DelayedCall> PendingCalls(ReactorTime* time) const;
  // Moves call `id` to `when`; false if it was not pending. The id stays valid.
  bool Reschedule(uint64_t id, absl::Time when);

  // The earliest due time, if any call is pending.
  std::optional<absl::Time> NextDue() const;
  // Calls pending.
  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  // Heap entries, stale ones included (for tests of the compaction bound).
  size_t entries() const { return heap_.size(); }

  // Removes the earliest call if it is due at or before `now` and returns its function. With
  // `before_sequence`, the earliest call must also have been scheduled (or rescheduled) before
  // next_sequence() had that value, so that a loop turn stops at calls its own handlers added.
  std::optional<Function> PopDue(absl::Time now, uint64_t before_sequence = UINT64_MAX);

  // The sequence number the next Schedule or Reschedule will take.
  uint64_t next_sequence() const { return next_sequence_; }

  // Removes every pending call and returns their functions, for the owner to destroy while it
  // can still answer Active/Cancel from the destructors they may run.
  std::vector<Function> TakeAll();

 private:
  struct Entry {
    // Ordering key: the due time (nanoseconds since the epoch, sign bit flipped so that unsigned
    // order is time order), then the sequence number.
    uint64_t when;
    uint64_t sequence;
    uint32_t slot;
    uint32_t version;  // the slot's version when this entry was made; stale once it changes
  };
  struct Slot {
    Function f;
    int64_t when = 0;
    uint32_t generation = 0;  // part of the call's id; changes when the call ends
    uint32_t version = 0;     // changes when the call ends or moves
    bool pending = false;
    bool ended_by_cancel = false;  // how the slot's last call ended
  };

  static uint64_t Key(int64_t nanos) { return static_cast<uint64_t>(nanos) ^ (uint64_t{1} << 63); }
  static int64_t Nanos(uint64_t key) { return static_cast<int64_t>(key ^ (uint64_t{1} << 63)); }
  static bool Before(const Entry& a, const Entry& b) {
    using U128 = unsigned __int128;
    return ((U128{a.when} << 64) | a.sequence) < ((U128{b.when} << 64) | b.sequence);
  }
  bool Stale(const Entry& entry) const { return slots_[entry.slot].version != entry.version; }
  const Slot* Find(uint64_t id) const;
  void Push(const Entry& entry);
  void PopTop();
  void SiftUp(size_t index);
  void SiftDown(size_t index);
  // Pops stale entries off the top, so that the top is always a live call.
  void DropStaleTop();
  // Marks the call in `slot` ended and frees the slot; returns its function.
  Function Release(uint32_t slot);
  // Rebuilds the heap without stale entries once they outnumber the live ones.
  void CompactIfStale();

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace braid

#endif  // BRAID_REACTOR_TIMER_QUEUE_H_
