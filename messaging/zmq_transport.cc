#include "messaging/zmq_transport.h"

#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace braid {
namespace {

void Configure(zmq::socket_t& socket, const ZmqTransportOptions& options) {
  socket.set(zmq::sockopt::sndhwm, options.high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, options.high_water_mark);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(options.max_message_bytes));
  socket.set(zmq::sockopt::linger, static_cast<int>(absl::ToInt64Milliseconds(options.linger)));
}

absl::Status EndpointError(const zmq::error_t& error, absl::string_view what,
                           absl::string_view endpoint) {
  std::string message = absl::StrCat("cannot ", what, " '", endpoint, "': ", error.what());
  switch (error.num()) {
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
      return absl::InvalidArgumentError(
          absl::StrCat(message, " (expected tcp://host:port or ipc:///path)"));
    default:
      return absl::UnavailableError(message);
  }
}

constexpr char kZapDomain[] = "braid";

absl::Status CheckKeys(const CurveKeyPair& keys) {
  if (!IsCurveKey(keys.public_key) || !IsCurveKey(keys.secret_key)) {
    return absl::InvalidArgumentError("a CURVE key is 40 characters of Z85");
  }
  return absl::OkStatus();
}

// The client key a frame's connection was admitted with (its ZAP user id); empty without CURVE.
absl::string_view UserId(zmq::message_t& message) {
  const char* user = zmq_msg_gets(message.handle(), "User-Id");
  return user == nullptr ? absl::string_view() : absl::string_view(user);
}

// ZeroMQ's wildcard port is "*"; port 0 means the same to users.
std::string WithWildcardPort(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "tcp://") && absl::EndsWith(endpoint, ":0")) {
    return absl::StrCat(endpoint.substr(0, endpoint.size() - 1), "*");
  }
  return std::string(endpoint);
}

}  // namespace

bool IsLocalEndpoint(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "ipc://") || absl::StartsWith(endpoint, "inproc://")) return true;
  if (!absl::ConsumePrefix(&endpoint, "tcp://")) return false;
  const size_t colon = endpoint.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = endpoint.substr(0, colon);
  // ZeroMQ's "source;destination" form: what is bound or connected is the destination.
  if (const size_t semicolon = host.rfind(';'); semicolon != absl::string_view::npos) {
    host = host.substr(semicolon + 1);
  }
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  // 127.0.0.0/8, written as a dotted quad.
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (absl::string_view part : parts) {
    int value = 0;
    if (part.empty() || part.size() > 3 || !absl::SimpleAtoi(part, &value) || value > 255) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<ZmqServerTransport>> ZmqServerTransport::Bind(
    Reactor& reactor, absl::string_view endpoint, ZmqTransportOptions options,
    CurveServerOptions curve) {
  zmq::socket_t socket(reactor.zmq_context(), zmq::socket_type::router);
  Configure(socket, options);
  socket.set(zmq::sockopt::router_mandatory, 1);
  std::unique_ptr<ZapHandler> zap;
  const bool curve_asked =
      !curve.keys.secret_key.empty() || !curve.keys.public_key.empty() || curve.admit != nullptr;
  if (curve_asked) {
    if (absl::Status keys = CheckKeys(curve.keys); !keys.ok()) return keys;
    if (curve.admit == nullptr) {
      return absl::InvalidArgumentError("a CURVE server needs an admission check");
    }
    absl::StatusOr<std::unique_ptr<ZapHandler>> started = ZapHandler::Start(
        reactor,
        [admit = std::move(curve.admit)](
            const ZapRequest& request) mutable -> absl::StatusOr<std::string> {
          if (request.mechanism != "CURVE") {
            return absl::PermissionDeniedError("this endpoint admits CURVE clients only");
          }
          if (absl::Status admitted = admit(request.curve_key); !admitted.ok()) return admitted;
          return request.curve_key;
        });
    if (!started.ok()) return started.status();
    zap = *std::move(started);
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, curve.keys.secret_key);
    socket.set(zmq::sockopt::zap_domain, kZapDomain);
  }
  try {
    socket.bind(WithWildcardPort(endpoint));
  } catch (const zmq::error_t& error) {
    return EndpointError(error, "bind", endpoint);
  }
  std::string bound = socket.get(zmq::sockopt::last_endpoint);
  auto transport = std::unique_ptr<ZmqServerTransport>(new ZmqServerTransport(
      reactor, std::move(zap), std::move(socket), std::move(bound), options));
  if (transport->zap_ != nullptr || options.max_connections > 0) {
    absl::StatusOr<std::unique_ptr<HandshakeMonitor>> monitor = HandshakeMonitor::Start(
        reactor, transport->socket_, transport->endpoint_, options.max_connections);
    if (!monitor.ok()) return monitor.status();
    transport->monitor_ = *std::move(monitor);
  }
  return transport;
}

ZmqServerTransport::ZmqServerTransport(Reactor& reactor, std::unique_ptr<ZapHandler> zap,
                                       zmq::socket_t socket, std::string endpoint,
                                       ZmqTransportOptions options)
    : reactor_(reactor),
      zap_(std::move(zap)),
      socket_(std::move(socket)),
      endpoint_(std::move(endpoint)),
      options_(options) {
  reader_ = reactor_.AddReader(
      socket_, absl::StrCat("router ", endpoint_), [this] { return OnReadable(); },
      [this](absl::Status error) { LOG(ERROR) << "router " << endpoint_ << " failed: " << error; });
}

ZmqServerTransport::~ZmqServerTransport() {
  monitor_.reset();  // before its socket
  reactor_.RemoveReader(reader_);
}

void ZmqServerTransport::SetOnHandshakeFailed(absl::AnyInvocable<void(absl::Status)> on_failed) {
  if (monitor_ != nullptr) monitor_->SetOnFailed(std::move(on_failed));
}

uint64_t ZmqServerTransport::handshakes_failed() const {
  return monitor_ != nullptr ? monitor_->failures() : 0;
}

uint64_t ZmqServerTransport::connections_refused() const {
  return monitor_ != nullptr ? monitor_->connections_refused() : 0;
}

absl::Status ZmqServerTransport::OnReadable() {
  zmq::message_t identity;
  zmq::message_t part;
  std::string joined;
  for (int i = 0; i < options_.max_frames_per_event; ++i) {
    if (!socket_.recv(identity, zmq::recv_flags::dontwait)) return absl::OkStatus();
    if (!identity.more()) continue;  // an empty message: nothing to deliver
    (void)socket_.recv(part, zmq::recv_flags::none);
    PeerId peer(static_cast<const char*>(identity.data()), identity.size());
    const absl::string_view key = zap_ != nullptr ? UserId(part) : absl::string_view();
    if (zap_ != nullptr && key.empty()) {
      // Not admitted by the handler (libzmq lets CURVE through without ZAP when the handler is
      // unreachable): never delivered.
      while (part.more()) (void)socket_.recv(part, zmq::recv_flags::none);
      LOG_EVERY_N(WARNING, 100) << "router " << endpoint_
                                << ": dropped a frame of a connection ZAP did not admit";
      continue;
    }
    if (!part.more()) {
      if (receiver_) receiver_(peer, absl::string_view(part.data<char>(), part.size()), key);
      continue;
    }
    // A multipart message is not a Braid frame: deliver the parts joined, for the decoder to
    // refuse and count.
    joined.assign(part.data<char>(), part.size());
    while (part.more()) {
      (void)socket_.recv(part, zmq::recv_flags::none);
      joined.append(part.data<char>(), part.size());
    }
    if (receiver_) receiver_(peer, joined, key);
  }
  return absl::OkStatus();
}

absl::Status ZmqServerTransport::Send(const PeerId& peer, absl::string_view frame) {
  try {
    if (!socket_.send(zmq::buffer(peer.data(), peer.size()),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return absl::ResourceExhaustedError(
          "peer is not keeping up: its queue is at the high-water mark");
    }
    // The routing frame has gone; the body cannot block now.
    (void)socket_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& error) {
    if (error.num() == EHOSTUNREACH) return absl::UnavailableError("peer is not connected");
    return absl::InternalError(absl::StrCat("send failed: ", error.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ZmqClientTransport>> ZmqClientTransport::Connect(
    Reactor& reactor, absl::string_view endpoint, ZmqTransportOptions options,
    CurveClientOptions curve) {
  if (!curve.keys.secret_key.empty() || !curve.keys.public_key.empty() ||
      !curve.server_key.empty()) {
    if (absl::Status keys = CheckKeys(curve.keys); !keys.ok()) return keys;
    if (!IsCurveKey(curve.server_key)) {
      return absl::InvalidArgumentError("the server's CURVE key is 40 characters of Z85");
    }
  }
  std::unique_ptr<ZmqClientTransport> transport(
      new ZmqClientTransport(reactor, std::string(endpoint), options, std::move(curve)));
  absl::Status opened = transport->Open();
  if (!opened.ok()) return opened;
  return transport;
}

ZmqClientTransport::ZmqClientTransport(Reactor& reactor, std::string endpoint,
                                       ZmqTransportOptions options, CurveClientOptions curve)
    : reactor_(reactor),
      endpoint_(std::move(endpoint)),
      options_(options),
      curve_(std::move(curve)) {}

ZmqClientTransport::~ZmqClientTransport() { Close(); }

absl::Status ZmqClientTransport::Open() {
  auto socket = std::make_unique<zmq::socket_t>(reactor_.zmq_context(), zmq::socket_type::dealer);
  Configure(*socket, options_);
  if (!curve_.keys.secret_key.empty()) {
    socket->set(zmq::sockopt::curve_serverkey, curve_.server_key);
    socket->set(zmq::sockopt::curve_publickey, curve_.keys.public_key);
    socket->set(zmq::sockopt::curve_secretkey, curve_.keys.secret_key);
  }
  try {
    socket->connect(endpoint_);
  } catch (const zmq::error_t& error) {
    return EndpointError(error, "connect to", endpoint_);
  }
  socket_ = std::move(socket);
  if (!curve_.keys.secret_key.empty()) {
    // Without it a refused client would only ever wait for an answer.
    absl::StatusOr<std::unique_ptr<HandshakeMonitor>> monitor =
        HandshakeMonitor::Start(reactor_, *socket_, endpoint_);
    if (!monitor.ok()) {
      socket_.reset();
      return monitor.status();
    }
    monitor_ = *std::move(monitor);
    monitor_->SetOnFailed([this](absl::Status why) {
      if (!on_refused_) return;
      if (absl::IsPermissionDenied(why)) {
        on_refused_(absl::PermissionDeniedError(
            absl::StrCat("the coordinator at ", endpoint_, " refused this process's key (",
                         why.message(), "): it is not in the coordinator's authorized keys")));
      } else {
        on_refused_(absl::UnauthenticatedError(
            absl::StrCat("the CURVE handshake with ", endpoint_,
                         " failed: the server there does not hold the secret of the key given with "
                         "--coordinator-key, or does not speak CURVE")));
      }
    });
  }
  reader_ = reactor_.AddReader(
      *socket_, absl::StrCat("dealer ", endpoint_), [this] { return OnReadable(); },
      [this](absl::Status error) { LOG(ERROR) << "dealer " << endpoint_ << " failed: " << error; });
  return absl::OkStatus();
}

void ZmqClientTransport::Close() {
  monitor_.reset();  // before its socket
  if (socket_ == nullptr) return;
  reactor_.RemoveReader(reader_);
  socket_->set(zmq::sockopt::linger, 0);  // what is queued belongs to the old connection
  socket_.reset();
}

absl::Status ZmqClientTransport::Reconnect() {
  Close();
  return Open();
}

absl::Status ZmqClientTransport::OnReadable() {
  zmq::message_t part;
  std::string joined;
  for (int i = 0; i < options_.max_frames_per_event && socket_ != nullptr; ++i) {
    if (!socket_->recv(part, zmq::recv_flags::dontwait)) return absl::OkStatus();
    if (!part.more()) {
      if (receiver_) receiver_(absl::string_view(part.data<char>(), part.size()));
      continue;
    }
    joined.assign(part.data<char>(), part.size());
    while (part.more()) {
      (void)socket_->recv(part, zmq::recv_flags::none);
      joined.append(part.data<char>(), part.size());
    }
    if (receiver_) receiver_(joined);
  }
  return absl::OkStatus();
}

absl::Status ZmqClientTransport::Send(absl::string_view frame) {
  if (socket_ == nullptr) return absl::UnavailableError("not connected");
  try {
    if (!socket_->send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait)) {
      return absl::ResourceExhaustedError(
          "the server is not keeping up: the queue is at the high-water mark");
    }
  } catch (const zmq::error_t& error) {
    return absl::InternalError(absl::StrCat("send failed: ", error.what()));
  }
  return absl::OkStatus();
}

}  // namespace braid
