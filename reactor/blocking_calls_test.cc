// BlockingCalls: a call's status, or its value (Compute), comes back as a Deferred — inline, held
// for the test, or from the reactor's pool.

#include "reactor/blocking_calls.h"

#include <thread>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/held_blocking_calls.h"
#include "reactor/poll_reactor.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;

TEST(BlockingCalls, ComputeFiresWithTheValue) {
  InlineBlockingCalls calls;
  Deferred<int> d = calls.Compute<int>([]() -> absl::StatusOr<int> { return 42; });
  ASSERT_TRUE(HasResult(d));
  EXPECT_THAT(*ResultNow(d), IsOkAndHolds(42));
}

TEST(BlockingCalls, ComputeFailsWithTheError) {
  InlineBlockingCalls calls;
  Deferred<int> d = calls.Compute<int>(
      []() -> absl::StatusOr<int> { return absl::NotFoundError("no such input"); });
  ASSERT_TRUE(HasResult(d));
  EXPECT_THAT(ResultNow(d)->status(), StatusIs(absl::StatusCode::kNotFound, "no such input"));
}

TEST(BlockingCalls, AHeldCallRunsWhenTheTestSays) {
  HeldBlockingCalls calls;
  bool ran = false;
  Deferred<void> d = calls.Run([&ran] {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_FALSE(ran);
  EXPECT_FALSE(HasResult(d));
  calls.RunNext();
  EXPECT_TRUE(ran);
  EXPECT_THAT(*ResultNow(d), IsOk());
}

TEST(BlockingCalls, PoolCallsRunOffTheLoopThread) {
  PollReactor reactor;
  PoolBlockingCalls calls(reactor);
  const std::thread::id loop = std::this_thread::get_id();
  absl::StatusOr<bool> off_loop = absl::UnknownError("not run");
  reactor.CallWhenRunning([&] {
    calls
        .Compute<bool>(
            [loop]() -> absl::StatusOr<bool> { return std::this_thread::get_id() != loop; })
        .Both([&](absl::StatusOr<bool> result) {
          off_loop = result;
          reactor.Stop().IgnoreError();
        });
  });
  ASSERT_THAT(reactor.Run(), IsOk());
  EXPECT_THAT(off_loop, IsOkAndHolds(true));
}

}  // namespace
}  // namespace braid
