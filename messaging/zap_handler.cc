#include "messaging/zap_handler.h"

#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
// A request has 7 frames; anything much longer is refused without being kept.
constexpr size_t kMaxFrames = 16;
constexpr int kMaxRequestsPerEvent = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<ZapHandler>> ZapHandler::Start(Reactor& reactor, Decide decide) {
  zmq::socket_t socket(reactor.zmq_context(), zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);
  try {
    socket.bind(kZapEndpoint);
  } catch (const zmq::error_t& error) {
    if (error.num() == EADDRINUSE) {
      return absl::AlreadyExistsError("another ZAP handler serves this ZeroMQ context");
    }
    return absl::InternalError(absl::StrCat("cannot bind ", kZapEndpoint, ": ", error.what()));
  }
  return std::unique_ptr<ZapHandler>(new ZapHandler(reactor, std::move(socket), std::move(decide)));
}

ZapHandler::ZapHandler(Reactor& reactor, zmq::socket_t socket, Decide decide)
    : reactor_(reactor), socket_(std::move(socket)), decide_(std::move(decide)) {
  reader_ = reactor_.AddReader(
      socket_, "zap handler", [this] { return OnReadable(); },
      [](absl::Status error) { LOG(ERROR) << "the ZAP handler failed: " << error; });
}

ZapHandler::~ZapHandler() { reactor_.RemoveReader(reader_); }

absl::Status ZapHandler::OnReadable() {
  std::vector<std::string> frames;
  zmq::message_t part;
  for (int i = 0; i < kMaxRequestsPerEvent; ++i) {
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return absl::OkStatus();
    frames.clear();
    frames.emplace_back(part.data<char>(), part.size());
    while (part.more()) {
      (void)socket_.recv(part, zmq::recv_flags::none);
      if (frames.size() < kMaxFrames) frames.emplace_back(part.data<char>(), part.size());
    }
    absl::StatusOr<ZapRequest> request = ParseZapRequest(frames);
    absl::StatusOr<std::string> decision;
    std::string request_id = frames.size() > 1 ? frames[1] : "";
    if (!request.ok()) {
      ++malformed_;
      LOG_EVERY_N(WARNING, 100) << "malformed ZAP request: " << request.status();
      decision = absl::InternalError(request.status().message());
    } else {
      decision = decide_(*request);
      ++(decision.ok() ? admitted_ : refused_);
    }
    // REP: every request is answered before the next is read.
    std::vector<std::string> reply = ZapReply(request_id, decision);
    for (size_t f = 0; f < reply.size(); ++f) {
      (void)socket_.send(zmq::buffer(reply[f]),
                         f + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }
  return absl::OkStatus();
}

}  // namespace braid
