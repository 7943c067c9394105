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
//   ZMQ_LINGER            how long closing a socket waits to flush (never forever).
// Memory is thus bounded by (peers x high-water mark x frame size) at worst.
//
// Threading: the reactor's loop thread.

#ifndef BRAID_MESSAGING_ZMQ_TRANSPORT_H_
#define BRAID_MESSAGING_ZMQ_TRANSPORT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "messaging/transport.h"
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
};

class ZmqServerTransport final : public ServerTransport {
 public:
  // Binds a ROUTER to `endpoint`. kInvalidArgument for a malformed endpoint, kUnavailable if the
  // address is in use or cannot be bound.
  static absl::StatusOr<std::unique_ptr<ZmqServerTransport>> Bind(Reactor& reactor,
                                                                  absl::string_view endpoint,
                                                                  ZmqTransportOptions options = {});
  ~ZmqServerTransport() override;

  std::string endpoint() const override { return endpoint_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(const PeerId& peer, absl::string_view frame) override;

 private:
  ZmqServerTransport(Reactor& reactor, zmq::socket_t socket, std::string endpoint,
                     ZmqTransportOptions options);
  absl::Status OnReadable();

  Reactor& reactor_;
  zmq::socket_t socket_;
  std::string endpoint_;
  ZmqTransportOptions options_;
  Receiver receiver_;
  Reactor::ReaderId reader_;
};

class ZmqClientTransport final : public ClientTransport {
 public:
  // Connects a DEALER to `endpoint` (in the background: frames wait for the connection).
  // kInvalidArgument for a malformed endpoint.
  static absl::StatusOr<std::unique_ptr<ZmqClientTransport>> Connect(
      Reactor& reactor, absl::string_view endpoint, ZmqTransportOptions options = {});
  ~ZmqClientTransport() override;

  std::string endpoint() const override { return endpoint_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(absl::string_view frame) override;
  absl::Status Reconnect() override;

 private:
  ZmqClientTransport(Reactor& reactor, std::string endpoint, ZmqTransportOptions options);
  absl::Status Open();
  void Close();
  absl::Status OnReadable();

  Reactor& reactor_;
  std::string endpoint_;
  ZmqTransportOptions options_;
  std::unique_ptr<zmq::socket_t> socket_;
  Receiver receiver_;
  Reactor::ReaderId reader_ = 0;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_ZMQ_TRANSPORT_H_
