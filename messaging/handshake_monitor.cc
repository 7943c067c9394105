#include "messaging/handshake_monitor.h"

#include <zmq.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace braid {
namespace {

constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

}  // namespace

absl::StatusOr<std::unique_ptr<HandshakeMonitor>> HandshakeMonitor::Start(Reactor& reactor,
                                                                          zmq::socket_t& socket,
                                                                          std::string endpoint) {
  // One inproc address per monitor in the process.
  static uint64_t monitors = 0;
  const std::string address = absl::StrCat("inproc://braid-handshake-monitor-", ++monitors);
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kEvents) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot monitor the socket of ", endpoint, ": ", zmq_strerror(zmq_errno())));
  }
  auto pair = std::make_unique<zmq::socket_t>(reactor.zmq_context(), zmq::socket_type::pair);
  pair->set(zmq::sockopt::linger, 0);
  pair->connect(address);
  return std::unique_ptr<HandshakeMonitor>(
      new HandshakeMonitor(reactor, socket, std::move(endpoint), std::move(pair)));
}

HandshakeMonitor::HandshakeMonitor(Reactor& reactor, zmq::socket_t& socket, std::string endpoint,
                                   std::unique_ptr<zmq::socket_t> pair)
    : reactor_(reactor), socket_(socket), endpoint_(std::move(endpoint)), pair_(std::move(pair)) {
  reader_ = reactor_.AddReader(*pair_, absl::StrCat("handshake monitor ", endpoint_),
                               [this] { return OnReadable(); });
}

HandshakeMonitor::~HandshakeMonitor() {
  reactor_.RemoveReader(reader_);
  (void)zmq_socket_monitor(socket_.handle(), nullptr, 0);
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
