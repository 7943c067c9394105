// Deferred::AddTimeout, on a hand-driven clock.

#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "deferred/deferred.h"
#include "deferred/errors.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::Optional;

// The least ReactorTime a test can drive: time moves only in Advance. (reactor/ has the full
// fake clock; deferred/ cannot depend on it.)
class ManualTime final : public ReactorTime {
 public:
  ~ManualTime() override {
    auto calls = std::move(calls_);
    due_.clear();
  }

  absl::Time Now() const override { return now_; }

  DelayedCall CallLater(absl::Duration delay, absl::AnyInvocable<void()> f) override {
    uint64_t id = next_id_++;
    absl::Time when = now_ + delay;
    due_.emplace(std::make_pair(when, id), id);
    calls_.emplace(id, Call{when, std::move(f)});
    return DelayedCall(this, id);
  }

  void Advance(absl::Duration d) {
    now_ += d;
    while (!due_.empty() && due_.begin()->first.first <= now_) {
      uint64_t id = due_.begin()->second;
      due_.erase(due_.begin());
      auto f = std::move(calls_[id].f);
      calls_.erase(id);
      f();
    }
  }

  size_t pending() const { return calls_.size(); }

 protected:
  bool CallActive(uint64_t id) const override { return calls_.contains(id); }
  absl::Time CallTime(uint64_t id) const override { return calls_.at(id).when; }
  CallEnd CancelCall(uint64_t id) override {
    auto it = calls_.find(id);
    if (it == calls_.end()) return CallEnd::kUnknown;
    due_.erase({it->second.when, id});
    calls_.erase(it);
    return CallEnd::kPending;
  }
  bool RescheduleCall(uint64_t id, absl::Time when) override {
    auto it = calls_.find(id);
    if (it == calls_.end()) return false;
    due_.erase({it->second.when, id});
    it->second.when = when;
    due_.emplace(std::make_pair(when, id), id);
    return true;
  }

 private:
  struct Call {
    absl::Time when;
    absl::AnyInvocable<void()> f;
  };
  absl::Time now_ = absl::UnixEpoch();
  uint64_t next_id_ = 1;
  std::map<std::pair<absl::Time, uint64_t>, uint64_t> due_;
  absl::flat_hash_map<uint64_t, Call> calls_;
};

TEST(AddTimeout, FailsWithDeadlineExceededWhenTheTimeRunsOut) {
  ManualTime time;
  Deferred<int> d;
  d.AddTimeout(time, absl::Seconds(5));
  time.Advance(absl::Seconds(4));
  EXPECT_FALSE(HasResult(d));
  time.Advance(absl::Seconds(1));
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded,
                                              "Deferred timed out after 5s")));
}

TEST(AddTimeout, CancelsTheWorkBehindTheDeferred) {
  ManualTime time;
  bool cancelled = false;
  Deferred<int> d([&](Deferred<int>&) { cancelled = true; });
  d.AddTimeout(time, absl::Seconds(1));
  time.Advance(absl::Seconds(1));
  EXPECT_TRUE(cancelled);
}

TEST(AddTimeout, AResultInTimeStopsTheTimer) {
  ManualTime time;
  Deferred<int> d;
  d.AddTimeout(time, absl::Seconds(5));
  EXPECT_EQ(time.pending(), 1u);
  d.Callback(3).IgnoreError();
  EXPECT_EQ(time.pending(), 0u);
  time.Advance(absl::Seconds(10));
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(3)));
}

TEST(AddTimeout, OnAFiredDeferredDoesNothing) {
  ManualTime time;
  Deferred<int> d = Succeed(1);
  d.AddTimeout(time, absl::Seconds(1));
  EXPECT_EQ(time.pending(), 0u);
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(1)));
}

TEST(AddTimeout, ACustomHookDecidesTheResult) {
  ManualTime time;
  Deferred<int> d;
  absl::Duration seen;
  d.AddTimeout(time, absl::Milliseconds(250), [&](Result<int> result, absl::Duration after) {
    seen = after;
    EXPECT_THAT(result, StatusIs(absl::StatusCode::kCancelled));
    return Result<int>(-1);
  });
  time.Advance(absl::Seconds(1));
  EXPECT_EQ(seen, absl::Milliseconds(250));
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(-1)));
}

TEST(AddTimeout, ACancellerThatSucceedsIsNotTurnedIntoATimeout) {
  ManualTime time;
  Deferred<int> d([](Deferred<int>& self) { self.Callback(0).IgnoreError(); });
  d.AddTimeout(time, absl::Seconds(1));
  time.Advance(absl::Seconds(1));
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(0)));
}

TEST(AddTimeout, TimingOutWhileWaitingCancelsTheInnerDeferred) {
  ManualTime time;
  bool inner_cancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { inner_cancelled = true; });
  Deferred<int> outer;
  auto end = outer.Then([&](int) { return inner; });
  end.AddTimeout(time, absl::Seconds(2));
  outer.Callback(1).IgnoreError();
  time.Advance(absl::Seconds(2));
  EXPECT_TRUE(inner_cancelled);
  EXPECT_THAT(ResultNow(end), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST(AddTimeout, CoversAFiredDeferredThatWaitsForAnother) {
  ManualTime time;
  bool inner_cancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { inner_cancelled = true; });
  Deferred<int> d = Succeed(1).Then([&](int) { return inner; });  // fired, now waiting
  d.AddTimeout(time, absl::Seconds(5));
  time.Advance(absl::Seconds(5));
  EXPECT_TRUE(inner_cancelled);
  EXPECT_THAT(ResultNow(d), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST(AddTimeout, FiringAfterTheClockIsGoneIsHarmless) {
  Deferred<int> d;
  {
    ManualTime time;
    d.AddTimeout(time, absl::Seconds(1));
  }
  EXPECT_THAT(d.Callback(4), ::braid_compat::testing::IsOk());
  EXPECT_THAT(ResultNow(d), Optional(IsOkAndHolds(4)));
}

TEST(AddTimeout, AnAbandonedDeferredStillTimesOutAndReportsIt) {
  ManualTime time;
  UnhandledErrorCapture capture;
  { Deferred<int>().AddTimeout(time, absl::Seconds(1)); }
  time.Advance(absl::Seconds(1));
  EXPECT_THAT(capture.errors(),
              ::testing::ElementsAre(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

}  // namespace
}  // namespace braid
