#include "messaging/hub.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"

namespace braid {
namespace {

constexpr size_t kArenaBlockBytes = 64 << 10;

}  // namespace

Hub::Hub(ReactorTime& time, std::unique_ptr<ServerTransport> transport, HubOptions options)
    : time_(time),
      transport_(std::move(transport)),
      options_(options),
      last_beat_(time.Now()),
      arena_block_(new char[kArenaBlockBytes]),
      arena_(arena_block_.get(), kArenaBlockBytes),
      heartbeat_(time, [this] { Beat(); }) {
  transport_->SetReceiver([this](const PeerId& peer, absl::string_view frame,
                                 absl::string_view key) { OnFrame(peer, frame, key); });
  heartbeat_.Start(options_.heartbeat_interval, /*now=*/false).Catch([](absl::Status error) {
    LOG(ERROR) << "hub heartbeat stopped: " << error;
  });
}

Hub::~Hub() {
  transport_->SetReceiver(nullptr);
  liveness_.End();
  heartbeat_.Stop().IgnoreError();  // may be stopped already
}

void Hub::SetHandlers(OnMessage on_message, OnPeerLost on_lost) {
  on_message_ = std::move(on_message);
  on_lost_ = std::move(on_lost);
}

void Hub::OnFrame(const PeerId& peer, absl::string_view frame, absl::string_view key) {
  arena_.Reset();
  proto::Envelope& received = *google::protobuf::Arena::CreateMessage<proto::Envelope>(&arena_);
  absl::Status decoded = DecodeEnvelopeInto(frame, &received, options_.max_message_bytes);
  auto known = peers_.find(peer);
  if (!decoded.ok()) {
    bad_input_.Record(peer, BadInputOf(decoded), decoded);
    // The frame's message id cannot be trusted (or read): the Reject answers no request.
    Reject(peer, 0, decoded);
    return;
  }
  proto::Envelope& message = received;
  const bool hello = message.has_worker_hello() || message.has_client_hello();
  if (known != peers_.end() && known->second.key != key) {
    // Another connection under this peer's routing id (which a client can choose): it is not the
    // peer that was introduced, and gets nothing of its standing.
    absl::Status why = absl::PermissionDeniedError(
        "a frame under an introduced peer's id from a connection with another key");
    bad_input_.Record(peer, BadInput::kNotIntroduced, why);
    Reject(peer, message.message_id(), why);
    return;
  }
  if (known == peers_.end()) {
    if (!hello) {
      absl::Status why = absl::FailedPreconditionError(
          absl::StrCat("a ", BodyName(message), " from a peer that has not said hello"));
      bad_input_.Record(peer, BadInput::kNotIntroduced, why);
      proto::Envelope reject;
      reject.mutable_reject()->set_code(StatusCodeToWire(why.code()));
      reject.mutable_reject()->set_message(std::string(why.message()));
      reject.mutable_reject()->set_introduce(true);
      Reply(peer, message.message_id(), std::move(reject));
      return;
    }
    known = peers_.emplace(peer, Peer{.last_heard = time_.Now(), .key = std::string(key)}).first;
  }
  known->second.heard = true;
  if (message.has_heartbeat() && !hello) {
    ++heartbeats_received_;
    // Liveness is all a bare heartbeat carries for the Hub; the owner sees those with content
    // (what runs, or that the worker drains).
    if (message.heartbeat().running_size() == 0 && !message.heartbeat().draining()) return;
  }
  if (on_message_) on_message_(peer, message);
}

void Hub::Beat() {
  std::vector<PeerId> lost;
  proto::Envelope heartbeat;
  heartbeat.mutable_heartbeat();
  const absl::Time now = time_.Now();
  const absl::Time silent_since = now - options_.heartbeat_interval * options_.liveness;
  // A tick far behind its time means this loop stalled (a long turn, a paused process): the
  // peers' frames of that time wait unread, so the stall does not count as their silence.
  const absl::Duration stall = now - last_beat_ - options_.heartbeat_interval;
  const bool stalled = stall > options_.heartbeat_interval / 2;
  for (auto& [peer, state] : peers_) {
    if (state.heard) {
      // Heard at some point since the previous tick: count from that tick (the classic Paranoid
      // Pirate rule: lost after `liveness` ticks without a word).
      state.last_heard = last_beat_;
      state.heard = false;
    }
    if (stalled) state.last_heard += stall;
    if (state.last_heard <= silent_since) {
      lost.push_back(peer);
      continue;
    }
    if (!state.sent_this_beat) {
      absl::Status sent = SendFrame(peer, heartbeat);
      ++heartbeats_sent_;
      if (absl::IsUnavailable(sent)) lost.push_back(peer);
    }
    state.sent_this_beat = false;
  }
  last_beat_ = now;
  for (const PeerId& peer : lost) {
    Lose(peer, absl::UnavailableError(absl::StrCat(
                   "no word from the peer for ", options_.liveness, " heartbeats (",
                   absl::FormatDuration(options_.heartbeat_interval * options_.liveness), ")")));
  }
}

void Hub::Lose(const PeerId& peer, const absl::Status& why) {
  if (peers_.erase(peer) == 0) return;
  ++peers_lost_;
  if (on_lost_) on_lost_(peer, why);
}

absl::Status Hub::SendFrame(const PeerId& peer, proto::Envelope& message) {
  message.set_protocol_version(kProtocolVersion);
  message.set_message_id(next_message_id_++);
  frame_.clear();
  message.AppendToString(&frame_);
  absl::Status sent = transport_->Send(peer, frame_);
  auto known = peers_.find(peer);
  if (known == peers_.end()) return sent;
  if (sent.ok()) {
    known->second.sent_this_beat = true;
  } else if (absl::IsUnavailable(sent) && !known->second.unreachable) {
    // The transport knows the peer is gone: no need to wait out its heartbeats. The owner hears
    // of it in a turn of its own, never in the middle of the send.
    known->second.unreachable = true;
    time_.CallLater(absl::ZeroDuration(), [this, alive = liveness_.token(), peer, sent] {
      if (alive) Lose(peer, sent);
    });
  }
  return sent;
}

absl::Status Hub::Send(const PeerId& peer, proto::Envelope message) {
  message.set_reply_to(0);
  return SendFrame(peer, message);
}

void Hub::Answer(const PeerId& peer, uint64_t reply_to, proto::Envelope& message) {
  message.set_reply_to(reply_to);
  absl::Status sent = SendFrame(peer, message);
  if (sent.ok() || absl::IsUnavailable(sent)) return;  // gone: SendFrame declared it lost
  ++dropped_answers_;
  LOG_EVERY_N(WARNING, 100) << "dropped an answer to peer " << absl::CHexEscape(peer) << " ("
                            << sent << "); " << dropped_answers_ << " dropped so far";
}

void Hub::Reply(const PeerId& peer, uint64_t request_id, proto::Envelope message) {
  Answer(peer, request_id, message);
}

void Hub::Welcome(const PeerId& peer, uint64_t hello_id, proto::Welcome welcome) {
  welcome.set_heartbeat_interval_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.heartbeat_interval)));
  welcome.set_liveness(static_cast<uint32_t>(options_.liveness));
  proto::Envelope message;
  *message.mutable_welcome() = std::move(welcome);
  Answer(peer, hello_id, message);
}

void Hub::Reject(const PeerId& peer, uint64_t reply_to, const absl::Status& why) {
  proto::Envelope message;
  message.mutable_reject()->set_code(StatusCodeToWire(why.code()));
  message.mutable_reject()->set_message(std::string(why.message()));
  Answer(peer, reply_to, message);
}

void Hub::Forget(const PeerId& peer) { peers_.erase(peer); }

void Hub::Close(const PeerId& peer, const absl::Status& why) {
  proto::Envelope message;
  message.mutable_reject()->set_code(StatusCodeToWire(why.code()));
  message.mutable_reject()->set_message(std::string(why.message()));
  message.mutable_reject()->set_closed(true);
  Answer(peer, 0, message);
  Forget(peer);
}

absl::string_view Hub::key(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? absl::string_view() : absl::string_view(it->second.key);
}

}  // namespace braid
