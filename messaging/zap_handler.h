// ZapHandler: answers ZeroMQ's authentication requests (ZAP) on the reactor's loop.
//
// libzmq asks the handler bound at inproc://zeromq.zap.01 of a socket's context about every
// connection a CURVE server socket accepts, and holds the handshake until the answer comes.
// Without a handler CURVE encrypts but admits any client key: a CURVE server must therefore
// start its handler before it binds, and keep it until the socket is closed (the ZeroMQ
// transport does both).
//
// Each request goes to `decide`, which returns the connection's user id (carried by each of its
// messages as the "User-Id" property) or why it is refused. Malformed requests are answered
// "500" and counted; they never reach `decide`.
//
// Threading: the reactor's loop thread.

#ifndef BRAID_MESSAGING_ZAP_HANDLER_H_
#define BRAID_MESSAGING_ZAP_HANDLER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "messaging/zap_protocol.h"
#include "reactor/reactor.h"

namespace braid {

class ZapHandler {
 public:
  using Decide = absl::AnyInvocable<absl::StatusOr<std::string>(const ZapRequest& request)>;

  // Serves the reactor's ZeroMQ context. kAlreadyExists if another handler serves it.
  static absl::StatusOr<std::unique_ptr<ZapHandler>> Start(Reactor& reactor, Decide decide);
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;
  ~ZapHandler();

  uint64_t admitted() const { return admitted_; }
  uint64_t refused() const { return refused_; }
  uint64_t malformed() const { return malformed_; }

 private:
  ZapHandler(Reactor& reactor, zmq::socket_t socket, Decide decide);
  absl::Status OnReadable();

  Reactor& reactor_;
  zmq::socket_t socket_;
  Decide decide_;
  Reactor::ReaderId reader_ = 0;
  uint64_t admitted_ = 0;
  uint64_t refused_ = 0;
  uint64_t malformed_ = 0;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_ZAP_HANDLER_H_
