#include "bench/zmq_echo_baseline.h"

#include <thread>
#include <zmq.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace braid::bench {

double BareZmqEchoSeconds(const std::string& endpoint, absl::string_view payload, int n) {
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind(endpoint);
  std::thread server([&] {
    zmq::message_t identity, body;
    for (int i = 0; i < n; ++i) {
      (void)router.recv(identity);
      (void)router.recv(body);
      router.send(identity, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  });
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  zmq::message_t reply;
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    dealer.send(zmq::buffer(payload.data(), payload.size()), zmq::send_flags::none);
    (void)dealer.recv(reply);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  server.join();
  return seconds;
}

}  // namespace braid::bench
