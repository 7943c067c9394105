// The ZeroMQ transports: a ROUTER for the coordinator, a DEALER for each worker and client.
//
// Endpoints are "tcp://host:port" and "ipc:///path". Binding "tcp://host:0" picks a free port,
// which endpoint() reports. Every socket is configured on purpose:
//   ZMQ_ROUTER_MANDATORY  a send to a peer that is gone fails (kUnavailable) instead of vanishing;
//   ZMQ_SNDHWM/RCVHWM     bound the frames queued per peer (defaults below). At the bound, a send
//                         fails with kResourceExhausted rather than blocking the loop or dropping;
//                         a full receive queue makes ZeroMQ stop reading from that peer's
//                         connection, which pushes back on the sender;
//   ZMQ_MAXMSGSIZE        a peer that sends a larger frame is disconnected by ZeroMQ;
//   ZMQ_LINGER            how long closing a socket waits to flush (never forever);
// and a server holds its connections to `max_connections`.
// Memory is thus bounded by (peers x high-water mark x frame size) at worst.
//
// With CURVE keys (CurveServerOptions, CurveClientOptions) every byte is encrypted, the client
// verifies that the server holds the secret key of the public key it was given, and the server
// admits only the client keys its `admit` accepts (through a ZapHandler of its own, started
// before it binds). The Receiver then gets each frame's client key. Without keys, frames travel
// in plain text and anyone who reaches the endpoint may connect.
//
// Threading: the reactor's loop thread.

#ifndef BRAID_MESSAGING_ZMQ_TRANSPORT_H_
#define BRAID_MESSAGING_ZMQ_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "messaging/curve_keys.h"
#include "messaging/handshake_monitor.h"
#include "messaging/transport.h"
#include "messaging/zap_handler.h"
#include "proto/envelope.h"
#include "reactor/reactor.h"

namespace braid {

struct ZmqTransportOptions {
  // Frames queued per peer, each way.
  int high_water_mark = 100'000;
  size_t max_message_bytes = kMaxMessageBytes;
  absl::Duration linger = absl::Milliseconds(500);
  // Frames one readable event handles before the loop gets a turn (fairness between peers,
  // timers and other sockets).
  int max_frames_per_event = 4096;
  // A server's open connections at most (a new one beyond is shut down: HandshakeMonitor);
  // 0: no limit.
  size_t max_connections = 0;
};

// A CURVE server: its key pair, and which client keys (Z85) it admits (OK) or refuses (the
// status's message is logged by the client's side of the handshake as its reason).
struct CurveServerOptions {
  CurveKeyPair keys;
  absl::AnyInvocable<absl::Status(absl::string_view client_key)> admit;
};

// A CURVE client: its key pair, and the server's public key (Z85), which it verifies.
struct CurveClientOptions {
  CurveKeyPair keys;
  std::string server_key;
};

// Whether only this machine can reach `endpoint`: ipc:// and inproc:// endpoints, and tcp:// on a
// loopback address (127.0.0.0/8, [::1], localhost). A wildcard ("*", 0.0.0.0), an interface
// name or any other address is not.
bool IsLocalEndpoint(absl::string_view endpoint);

class ZmqServerTransport final : public ServerTransport {
 public:
  // Binds a ROUTER to `endpoint`, with CURVE if `curve` has anything set (then all of it must
  // be: no half-set CURVE falls back to plain text). kInvalidArgument for a malformed endpoint
  // or key, or incomplete CURVE options, kUnavailable if the address is in use or cannot be bound,
  // kAlreadyExists if another CURVE server runs on this reactor's ZeroMQ context.
  static absl::StatusOr<std::unique_ptr<ZmqServerTransport>> Bind(Reactor& reactor,
                                                                  absl::string_view endpoint,
                                                                  ZmqTransportOptions options = {},
                                                                  CurveServerOptions curve = {});
  ~ZmqServerTransport() override;

  std::string endpoint() const override { return endpoint_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(const PeerId& peer, absl::string_view frame) override;

  // With CURVE: handshakes that failed (keys ZAP refused, clients with other keys or none), and
  // what runs for each.
  uint64_t handshakes_failed() const;
  void SetOnHandshakeFailed(absl::AnyInvocable<void(absl::Status)> on_failed);
  // Connections shut down at once for ZmqTransportOptions::max_connections.
  uint64_t connections_refused() const;

 private:
  ZmqServerTransport(Reactor& reactor, std::unique_ptr<ZapHandler> zap, zmq::socket_t socket,
                     std::string endpoint, ZmqTransportOptions options);
  absl::Status OnReadable();

  Reactor& reactor_;
  std::unique_ptr<ZapHandler> zap_;  // outlives the socket: without it CURVE admits anyone
  zmq::socket_t socket_;
  std::unique_ptr<HandshakeMonitor> monitor_;  // with CURVE; destroyed before the socket
  std::string endpoint_;
  ZmqTransportOptions options_;
  Receiver receiver_;
  Reactor::ReaderId reader_;
};

class ZmqClientTransport final : public ClientTransport {
 public:
  // Connects a DEALER to `endpoint` (in the background: frames wait for the connection), with
  // CURVE if `curve` has anything set (then all of it must be). kInvalidArgument for a
  // malformed endpoint or key, or incomplete CURVE options. A server that
  // refuses the key, or whose key is not `curve.server_key`, never answers: the frames wait.
  static absl::StatusOr<std::unique_ptr<ZmqClientTransport>> Connect(
      Reactor& reactor, absl::string_view endpoint, ZmqTransportOptions options = {},
      CurveClientOptions curve = {});
  ~ZmqClientTransport() override;

  std::string endpoint() const override { return endpoint_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(absl::string_view frame) override;
  absl::Status Reconnect() override;
  // With CURVE: each ZAP refusal (the server's "400") and each failed handshake (the server
  // could not prove it holds the key given) is reported; libzmq tries again every reconnect
  // interval.
  void SetOnRefused(absl::AnyInvocable<void(absl::Status)> on_refused) override {
    on_refused_ = std::move(on_refused);
  }

 private:
  ZmqClientTransport(Reactor& reactor, std::string endpoint, ZmqTransportOptions options,
                     CurveClientOptions curve);
  absl::Status Open();
  void Close();
  absl::Status OnReadable();

  Reactor& reactor_;
  std::string endpoint_;
  ZmqTransportOptions options_;
  CurveClientOptions curve_;
  std::unique_ptr<zmq::socket_t> socket_;
  Receiver receiver_;
  Reactor::ReaderId reader_ = 0;
  std::unique_ptr<HandshakeMonitor> monitor_;  // with CURVE; destroyed before the socket
  absl::AnyInvocable<void(absl::Status)> on_refused_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_ZMQ_TRANSPORT_H_
