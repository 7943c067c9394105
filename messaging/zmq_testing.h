// What the tests of the ZeroMQ transports share: a real reactor that leaves signals alone, run
// until the test stops it — and failed, not hung, if it never does.

#ifndef BRAID_MESSAGING_ZMQ_TESTING_H_
#define BRAID_MESSAGING_ZMQ_TESTING_H_

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "reactor/poll_reactor.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid::testing {

inline PollReactorOptions TestReactorOptions() {
  PollReactorOptions options;
  options.stop_on_signals = false;
  return options;
}

// Runs `reactor` until the test stops it; after `limit`, stops it and fails the test.
inline void RunWithWatchdog(PollReactor& reactor, absl::Duration limit = absl::Seconds(20)) {
  bool fired = false;
  reactor.CallLater(limit, [&] {
    fired = true;
    reactor.Stop().IgnoreError();
  });
  ASSERT_THAT(reactor.Run(), ::braid_compat::testing::IsOk());
  EXPECT_FALSE(fired) << "the reactor did not stop by itself";
}

}  // namespace braid::testing

#endif  // BRAID_MESSAGING_ZMQ_TESTING_H_
