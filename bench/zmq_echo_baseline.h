// The baseline the messaging and reactor benchmarks hold their round trips against: an echo over
// bare cppzmq, a DEALER and a ROUTER in blocking calls on two threads, with no reactor between.

#ifndef BRAID_BENCH_ZMQ_ECHO_BASELINE_H_
#define BRAID_BENCH_ZMQ_ECHO_BASELINE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace braid::bench {

// Binds a ROUTER to `endpoint` that echoes `n` messages on a thread of its own, connects a
// DEALER that sends `payload` `n` times, each once the previous one came back, and returns the
// seconds from the first send to the last reply. Both sockets and the thread are gone on return.
double BareZmqEchoSeconds(const std::string& endpoint, absl::string_view payload, int n);

}  // namespace braid::bench

#endif  // BRAID_BENCH_ZMQ_ECHO_BASELINE_H_
