// HandshakeMonitor: a ZeroMQ socket's failed handshakes, as events on the reactor's loop; and, with
// a limit, the connections it accepts.
//
// libzmq reports a CURVE handshake that fails — a ZAP refusal, a peer that does not hold the
// key it was taken for, a peer that speaks another mechanism — only through a socket monitor:
// without one, a refused peer simply never hears anything. The monitor's PAIR socket is read on
// the loop; each failure goes to `on_failed` with the kind of failure as a status:
//   kPermissionDenied  ZAP refused the key (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH); the message is
//                      "ZAP status CODE";
//   kUnauthenticated   the handshake itself failed (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL or
//                      _NO_DETAIL: wrong keys, or no CURVE on the other side).
//
// With `max_connections`, a connection accepted while that many are open is shut down at once
// (shutdown(2) on libzmq's descriptor, which libzmq then closes as for any peer that went away):
// peers that connect and say nothing cannot take every descriptor. Counted from the monitor's
// accepted and disconnected events, in their order.
//
// Threading: the reactor's loop thread. REQUIRES: the monitor is destroyed before its socket.

#ifndef BRAID_MESSAGING_HANDSHAKE_MONITOR_H_
#define BRAID_MESSAGING_HANDSHAKE_MONITOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "reactor/reactor.h"

namespace braid {

class HandshakeMonitor {
 public:
  using OnFailed = absl::AnyInvocable<void(absl::Status why)>;

  // Monitors `socket`, whose handshakes with `endpoint` (for messages) are watched, and whose
  // open connections are held to `max_connections` (0: no limit).
  static absl::StatusOr<std::unique_ptr<HandshakeMonitor>> Start(Reactor& reactor,
                                                                 zmq::socket_t& socket,
                                                                 std::string endpoint,
                                                                 size_t max_connections = 0);
  HandshakeMonitor(const HandshakeMonitor&) = delete;
  HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;
  ~HandshakeMonitor();

  void SetOnFailed(OnFailed on_failed) { on_failed_ = std::move(on_failed); }
  uint64_t failures() const { return failures_; }
  // Connections open (as the events so far say), and those shut down for the limit.
  size_t connections() const { return connections_.size(); }
  uint64_t connections_refused() const { return connections_refused_; }

 private:
  HandshakeMonitor(Reactor& reactor, zmq::socket_t& socket, std::string endpoint,
                   std::unique_ptr<zmq::socket_t> pair, size_t max_connections);
  void OnAccepted(int fd);
  absl::Status OnReadable();

  Reactor& reactor_;
  zmq::socket_t& socket_;
  std::string endpoint_;
  std::unique_ptr<zmq::socket_t> pair_;
  Reactor::ReaderId reader_ = 0;
  OnFailed on_failed_;
  uint64_t failures_ = 0;
  const size_t max_connections_;
  absl::flat_hash_set<int> connections_;  // libzmq's descriptors of the open connections
  uint64_t connections_refused_ = 0;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_HANDSHAKE_MONITOR_H_
