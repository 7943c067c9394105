// Coroutines returning Deferred<T>: Twisted's inlineCallbacks / ensureDeferred.

#include <string>
#include <vector>

#include "deferred/deferred.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

Deferred<int> AddOne(Deferred<int> input) {
  Result<int> value = co_await input;
  if (!value.ok()) co_return value.status();
  co_return *value + 1;
}

TEST(Coroutine, RunsAtOnceUntilItWaits) {
  std::vector<std::string> steps;
  Deferred<int> input;
  auto body = [&]() -> Deferred<void> {
    steps.push_back("started");
    Result<int> v = co_await input;
    steps.push_back("resumed with " + std::to_string(*v));
    co_return;
  };
  Deferred<void> done = body();
  EXPECT_THAT(steps, ElementsAre("started"));
  EXPECT_FALSE(HasResult(done));
  input.Callback(3).IgnoreError();
  EXPECT_THAT(steps, ElementsAre("started", "resumed with 3"));
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
}

TEST(Coroutine, CoReturnFiresTheDeferredWithTheValue) {
  Deferred<int> input;
  Deferred<int> out = AddOne(input);
  input.Callback(41).IgnoreError();
  EXPECT_THAT(ResultNow(out), Optional(IsOkAndHolds(42)));
}

TEST(Coroutine, AwaitingAFiredDeferredDoesNotSuspend) {
  Deferred<int> out = AddOne(Succeed(1));
  EXPECT_THAT(ResultNow(out), Optional(IsOkAndHolds(2)));
}

TEST(Coroutine, AnAwaitedErrorArrivesAsAValue) {
  Deferred<int> out = AddOne(Fail<int>(absl::NotFoundError("no input")));
  EXPECT_THAT(ResultNow(out), Optional(StatusIs(absl::StatusCode::kNotFound, "no input")));
}

TEST(Coroutine, CoReturnOfAnErrorFailsTheDeferred) {
  auto body = []() -> Deferred<int> { co_return absl::PermissionDeniedError("no"); };
  EXPECT_THAT(ResultNow(body()), Optional(StatusIs(absl::StatusCode::kPermissionDenied)));
}

TEST(Coroutine, AVoidCoroutineMayEndWithABareCoReturn) {
  bool after = false;
  auto body = [&](bool early) -> Deferred<void> {
    if (early) co_return;
    after = true;
  };
  EXPECT_THAT(ResultNow(body(true)), Optional(IsOk()));
  EXPECT_FALSE(after);
}

TEST(Coroutine, AVoidCoroutineThatRunsOffItsEndSucceeds) {
  Deferred<int> input;
  int seen = 0;
  auto body = [&]() -> Deferred<void> {
    Result<int> v = co_await input;
    seen = *v;
  };
  Deferred<void> done = body();
  EXPECT_FALSE(HasResult(done));
  input.Callback(5).IgnoreError();
  EXPECT_EQ(seen, 5);
  EXPECT_THAT(ResultNow(done), Optional(IsOk()));
}

TEST(Coroutine, RaiseEndsAVoidCoroutineWithTheErrorAndFreesItsLocals) {
  struct Flag {
    bool* destroyed;
    ~Flag() { *destroyed = true; }
  };
  bool destroyed = false;
  bool after = false;
  Deferred<int> input;
  auto body = [&]() -> Deferred<void> {
    Flag flag{&destroyed};
    Result<int> v = co_await input;
    if (!v.ok()) co_yield Raise(v.status());
    after = true;
  };
  Deferred<void> done = body();
  input.Errback(absl::NotFoundError("gone")).IgnoreError();
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(after);
  EXPECT_THAT(ResultNow(done), Optional(StatusIs(absl::StatusCode::kNotFound, "gone")));
}

TEST(Coroutine, RaiseWorksInAValuedCoroutineBeforeItWaits) {
  auto body = []() -> Deferred<std::string> {
    co_yield Raise(absl::OutOfRangeError("too far"));
    co_return "unreached";
  };
  EXPECT_THAT(ResultNow(body()), Optional(StatusIs(absl::StatusCode::kOutOfRange, "too far")));
}

TEST(Coroutine, RaiseOfAnOkStatusStillFails) {
  auto body = []() -> Deferred<void> { co_yield Raise(absl::OkStatus()); };
  EXPECT_THAT(ResultNow(body()), Optional(StatusIs(absl::StatusCode::kInvalidArgument)));
}

TEST(Coroutine, AwaitsInSequence) {
  Deferred<int> a;
  Deferred<std::string> b;
  auto body = [&]() -> Deferred<std::string> {
    Result<int> x = co_await a;
    Result<std::string> y = co_await b;
    co_return *y + std::to_string(*x);
  };
  Deferred<std::string> out = body();
  a.Callback(7).IgnoreError();
  EXPECT_FALSE(HasResult(out));
  b.Callback("n=").IgnoreError();
  EXPECT_THAT(ResultNow(out), Optional(IsOkAndHolds("n=7")));
}

TEST(Coroutine, CancellingTheResultCancelsWhatItAwaits) {
  bool inner_cancelled = false;
  Deferred<int> inner([&](Deferred<int>&) { inner_cancelled = true; });
  Deferred<int> out = AddOne(inner);
  out.Cancel();
  EXPECT_TRUE(inner_cancelled);
  // The coroutine saw the cancellation and returned it.
  EXPECT_THAT(ResultNow(out), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

TEST(Coroutine, ACoroutineMayRecoverFromItsCancellation) {
  Deferred<int> inner;
  auto body = [&]() -> Deferred<int> {
    Result<int> v = co_await inner;
    if (absl::IsCancelled(v.status())) co_return -1;
    co_return *v;
  };
  Deferred<int> out = body();
  out.Cancel();
  EXPECT_THAT(ResultNow(out), Optional(IsOkAndHolds(-1)));
}

TEST(Coroutine, CancellingAfterItFinishedDoesNothing) {
  Deferred<int> out = AddOne(Succeed(0));
  out.Cancel();
  EXPECT_THAT(ResultNow(out), Optional(IsOkAndHolds(1)));
}

TEST(Coroutine, AwaitingADeferredThatDiesUnfiredDestroysTheCoroutine) {
  struct Flag {
    bool* destroyed;
    ~Flag() { *destroyed = true; }
  };
  bool destroyed = false;
  auto body = [&](Deferred<int> input) -> Deferred<int> {
    Flag flag{&destroyed};
    Result<int> v = co_await std::move(input);
    co_return *v;
  };
  Deferred<int> out;
  {
    Deferred<int> input;
    out = body(input);
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(HasResult(out));
}

TEST(Coroutine, AwaitsAMillionFiredDeferredsWithoutGrowingTheStack) {
  auto body = []() -> Deferred<long> {
    long sum = 0;
    for (int i = 0; i < 1'000'000; ++i) sum += *co_await Succeed(1L);
    co_return sum;
  };
  EXPECT_THAT(ResultNow(body()), Optional(IsOkAndHolds(1'000'000)));
}

}  // namespace
}  // namespace braid
