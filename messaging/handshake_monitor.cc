#include "messaging/handshake_monitor.h"

#include <sys/socket.h>
#include <zmq.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {
namespace {

constexpr int kFailures = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                          ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
constexpr int kConnections = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED;

}  // namespace

absl::StatusOr<std::unique_ptr<HandshakeMonitor>> HandshakeMonitor::Start(Reactor& reactor,
                                                                          zmq::socket_t& socket,
                                                                          std::string endpoint,
                                                                          size_t max_connections) {
  // One inproc address per monitor in the process.
  static uint64_t monitors = 0;
  const std::string address = absl::StrCat("inproc://braid-handshake-monitor-", ++monitors);
  const int events = kFailures | (max_connections > 0 ? kConnections : 0);
  if (zmq_socket_monitor(socket.handle(), address.c_str(), events) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot monitor the socket of ", endpoint, ": ", zmq_strerror(zmq_errno())));
  }
  auto pair = std::make_unique<zmq::socket_t>(reactor.zmq_context(), zmq::socket_type::pair);
  pair->set(zmq::sockopt::linger, 0);
  pair->connect(address);
  return std::unique_ptr<HandshakeMonitor>(
      new HandshakeMonitor(reactor, socket, std::move(endpoint), std::move(pair), max_connections));
}

HandshakeMonitor::HandshakeMonitor(Reactor& reactor, zmq::socket_t& socket, std::string endpoint,
                                   std::unique_ptr<zmq::socket_t> pair, size_t max_connections)
    : reactor_(reactor),
      socket_(socket),
      endpoint_(std::move(endpoint)),
      pair_(std::move(pair)),
      max_connections_(max_connections) {
  reader_ = reactor_.AddReader(*pair_, absl::StrCat("handshake monitor ", endpoint_),
                               [this] { return OnReadable(); });
}

HandshakeMonitor::~HandshakeMonitor() {
  reactor_.RemoveReader(reader_);
  (void)zmq_socket_monitor(socket_.handle(), nullptr, 0);
}

void HandshakeMonitor::OnAccepted(int fd) {
  if (connections_.size() < max_connections_) {
    connections_.insert(fd);
    return;
  }
  ++connections_refused_;
  LOG_EVERY_N(WARNING, 100) << endpoint_ << ": " << connections_.size()
                            << " connections are open, the most allowed (--max-connections): "
                            << "closed a new one (" << connections_refused_ << " so far)";
  (void)shutdown(fd, SHUT_RDWR);  // libzmq then closes it, as for a peer that went away
}

absl::Status HandshakeMonitor::OnReadable() {
  zmq::message_t event;
  zmq::message_t address;
  for (int i = 0; i < 64; ++i) {
    if (!pair_->recv(event, zmq::recv_flags::dontwait)) return absl::OkStatus();
    // An event is two frames: the event and its value, then the peer's address.
    if (event.more()) (void)pair_->recv(address, zmq::recv_flags::none);
    if (event.size() < 6) continue;
    uint16_t kind;
    uint32_t value;
    std::memcpy(&kind, event.data(), sizeof kind);
    std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof kind, sizeof value);
    if (kind == ZMQ_EVENT_ACCEPTED) {
      OnAccepted(static_cast<int>(value));
      continue;
    }
    if (kind == ZMQ_EVENT_DISCONNECTED) {
      connections_.erase(static_cast<int>(value));
      continue;
    }
    ++failures_;
    if (!on_failed_) continue;
    if (kind == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      on_failed_(absl::PermissionDeniedError(absl::StrCat("ZAP status ", value)));
    } else {
      on_failed_(absl::UnauthenticatedError(absl::StrCat(
          "the CURVE handshake with ", endpoint_,
          " failed: the two ends' keys do not match, or one end does not speak CURVE")));
    }
  }
  return absl::OkStatus();
}

}  // namespace braid
