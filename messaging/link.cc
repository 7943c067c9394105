#include "messaging/link.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "proto/status_coding.h"

namespace braid {

Link::Link(ReactorTime& time, std::unique_ptr<ClientTransport> transport, LinkOptions options,
           MakeHello make_hello)
    : time_(time),
      transport_(std::move(transport)),
      options_(options),
      make_hello_(std::move(make_hello)),
      backoff_(options.reconnect_initial),
      heartbeat_(time, [this] { Beat(); }) {
  transport_->SetReceiver([this](absl::string_view frame) { OnFrame(frame); });
  transport_->SetOnRefused([this](absl::Status why) {
    // Refused at the handshake: no hello will be answered; say why now rather than time out.
    if (state_ == State::kIdle || state_ == State::kClosed) return;
    LOG(ERROR) << why.message();
    Shut(std::move(why));
  });
}

Link::~Link() {
  liveness_.End();
  transport_->SetReceiver(nullptr);
  transport_->SetOnRefused(nullptr);
  heartbeat_.Stop().IgnoreError();  // may be stopped already
  retry_.Cancel().IgnoreError();    // a retry that ran or never was is fine
  state_ = State::kClosed;
  FailPending(absl::CancelledError("the link was closed"));
}

Deferred<proto::Welcome> Link::Connect() {
  CHECK(state_ == State::kIdle) << "Link::Connect called twice";
  connected_.emplace();
  Deferred<proto::Welcome> connected = *connected_;
  last_beat_ = time_.Now();
  heartbeat_.Start(options_.heartbeat_interval, /*now=*/false).Catch([](absl::Status error) {
    LOG(ERROR) << "link heartbeat stopped: " << error;
  });
  Introduce();
  return connected;
}

void Link::Introduce() {
  state_ = State::kIntroducing;
  last_heard_ = time_.Now();
  proto::Envelope hello = make_hello_();
  hello.set_reply_to(0);
  absl::Status sent = SendFrame(hello);
  hello_id_ = hello.message_id();
  if (!sent.ok())
    LOG(WARNING) << "could not send hello to " << transport_->endpoint() << ": " << sent;
}

void Link::OnFrame(absl::string_view frame) {
  absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(frame, options_.max_message_bytes);
  if (!decoded.ok()) {
    bad_input_.Record(transport_->endpoint(), BadInputOf(decoded.status()), decoded.status());
    return;
  }
  proto::Envelope& message = *decoded;
  last_heard_ = time_.Now();
  if (message.has_reject() && message.reject().closed() && state_ == State::kConnected) {
    // Cut off for good: reconnecting would only be refused again.
    absl::Status why = ErrorFromWire(message.reject().code(), message.reject().message());
    LOG(ERROR) << "the coordinator at " << transport_->endpoint() << " closed this link: " << why;
    Shut(std::move(why));
    return;
  }
  if (message.has_reject() && message.reject().introduce() && state_ == State::kConnected) {
    // The coordinator restarted (or forgot this peer): introduce this link afresh.
    Lose(absl::UnavailableError(
        absl::StrCat(transport_->endpoint(), " does not know this peer any more")));
    return;
  }
  if (message.reply_to() != 0) {
    if (message.reply_to() == hello_id_ && state_ == State::kIntroducing) {
      hello_id_ = 0;
      if (message.has_welcome()) {
        OnWelcome(message.welcome());
        return;
      }
      absl::Status refused =
          message.has_reject() ? ErrorFromWire(message.reject().code(), message.reject().message())
                               : absl::InternalError("the coordinator answered the hello oddly");
      LOG(ERROR) << "the coordinator at " << transport_->endpoint()
                 << " refused this link: " << refused;
      Shut(std::move(refused));
      return;
    }
    auto waiting = pending_.find(message.reply_to());
    if (waiting == pending_.end()) {
      // The request timed out, or the reply is a duplicate.
      bad_input_.Record(transport_->endpoint(), BadInput::kUnexpected,
                        absl::NotFoundError("a reply to no pending request"));
      return;
    }
    Deferred<proto::Envelope> reply = std::move(waiting->second);
    pending_.erase(waiting);
    if (message.has_reject()) {
      reply.Errback(ErrorFromWire(message.reject().code(), message.reject().message()))
          .IgnoreError();
    } else {
      reply.Callback(std::move(message)).IgnoreError();
    }
    return;
  }
  if (message.has_heartbeat()) return;
  if (state_ != State::kConnected) return;  // the rest belongs to a connection we do not have
  if (on_message_) on_message_(std::move(message));
}

void Link::OnWelcome(const proto::Welcome& welcome) {
  state_ = State::kConnected;
  backoff_ = options_.reconnect_initial;
  if (connected_.has_value()) {
    Deferred<proto::Welcome> connected = std::move(*connected_);
    connected_.reset();
    connected.Callback(welcome).IgnoreError();
  } else if (on_reconnected_) {
    on_reconnected_(welcome);
  }
}

void Link::Beat() {
  const absl::Time now = time_.Now();
  // As in Hub::Beat: a stall of this loop is not the coordinator's silence.
  const absl::Duration stall = now - last_beat_ - options_.heartbeat_interval;
  last_beat_ = now;
  if (stall > options_.heartbeat_interval / 2) last_heard_ += stall;
  if (state_ == State::kClosed || state_ == State::kReconnecting) return;
  if (now - last_heard_ >= options_.heartbeat_interval * options_.liveness) {
    Lose(absl::UnavailableError(absl::StrCat(
        state_ == State::kIntroducing ? "no answer to the hello from " : "no word from ",
        transport_->endpoint(), " for ", options_.liveness, " heartbeats (",
        absl::FormatDuration(options_.heartbeat_interval * options_.liveness), ")")));
    return;
  }
  if (state_ == State::kConnected && !sent_this_beat_) {
    proto::Envelope heartbeat;
    heartbeat.mutable_heartbeat();
    SendFrame(heartbeat).IgnoreError();
  }
  sent_this_beat_ = false;
}

void Link::Lose(absl::Status why) {
  const bool was_connected = state_ == State::kConnected;
  state_ = State::kReconnecting;
  hello_id_ = 0;
  LOG(WARNING) << "lost the coordinator: " << why << "; reconnecting in "
               << absl::FormatDuration(backoff_);
  FailPending(why);
  if (connected_.has_value()) {
    // Connect's caller learns that the first introduction failed; the Link keeps trying.
    Deferred<proto::Welcome> connected = std::move(*connected_);
    connected_.reset();
    connected.Errback(why).IgnoreError();
  }
  if (was_connected && on_lost_) on_lost_(why);
  absl::Status reconnected = transport_->Reconnect();
  if (!reconnected.ok()) LOG(ERROR) << "reconnecting failed: " << reconnected;
  retry_ = time_.CallLater(backoff_, [this] {
    ++reconnections_;
    Introduce();
  });
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
}

void Link::Shut(absl::Status why) {
  state_ = State::kClosed;
  closed_why_ = why;
  heartbeat_.Stop().IgnoreError();  // may be stopped already
  const Liveness::Token alive = liveness_.token();
  FailPending(why);  // their errbacks may destroy this Link
  if (!alive) return;
  if (connected_.has_value()) {
    // The first introduction: Connect's caller learns of the refusal.
    Deferred<proto::Welcome> connected = std::move(*connected_);
    connected_.reset();
    connected.Errback(why).IgnoreError();
  } else if (on_lost_) {
    // Connected before (or refused on reconnecting): the owner learns that it is over.
    on_lost_(why);
  }
}

void Link::FailPending(const absl::Status& why) {
  absl::flat_hash_map<uint64_t, Deferred<proto::Envelope>> pending;
  pending.swap(pending_);
  for (auto& [id, reply] : pending) reply.Errback(why).IgnoreError();
}

absl::Status Link::SendFrame(proto::Envelope& message) {
  message.set_protocol_version(kProtocolVersion);
  message.set_message_id(next_message_id_++);
  frame_.clear();
  message.AppendToString(&frame_);
  absl::Status sent = transport_->Send(frame_);
  if (sent.ok()) sent_this_beat_ = true;
  return sent;
}

Deferred<proto::Envelope> Link::Request(proto::Envelope message,
                                        std::optional<absl::Duration> timeout) {
  if (state_ != State::kConnected) return Fail<proto::Envelope>(NotConnected());
  if (const size_t bytes = message.ByteSizeLong(); bytes > options_.max_message_bytes) {
    // The coordinator would drop the connection at once: say so here instead. (One-way
    // messages, a worker's results, go as they are: the connection's loss reschedules them.)
    constexpr double kMiB = 1 << 20;
    return Fail<proto::Envelope>(absl::ResourceExhaustedError(
        absl::StrFormat("this %s is %.1f MiB, over the %.0f MiB limit of one message",
                        BodyName(message), static_cast<double>(bytes) / kMiB,
                        static_cast<double>(options_.max_message_bytes) / kMiB)));
  }
  message.set_reply_to(0);
  absl::Status sent = SendFrame(message);
  if (!sent.ok()) return Fail<proto::Envelope>(sent);
  uint64_t id = message.message_id();
  Deferred<proto::Envelope> reply([this, id](Deferred<proto::Envelope>&) { pending_.erase(id); });
  pending_.emplace(id, reply);
  reply.AddTimeout(time_, timeout.value_or(options_.request_timeout));
  return reply;
}

absl::Status Link::NotConnected() const {
  if (!closed_why_.ok()) return closed_why_;
  return absl::UnavailableError(
      absl::StrCat("not connected to the coordinator at ", transport_->endpoint()));
}

absl::Status Link::Send(proto::Envelope message) {
  if (state_ != State::kConnected) return NotConnected();
  message.set_reply_to(0);
  return SendFrame(message);
}

void Link::Close(absl::string_view reason) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kConnected) {
    proto::Envelope goodbye;
    goodbye.mutable_goodbye()->set_reason(std::string(reason));
    SendFrame(goodbye).IgnoreError();
  }
  state_ = State::kClosed;
  heartbeat_.Stop().IgnoreError();  // may be stopped already
  retry_.Cancel().IgnoreError();    // a retry that ran or never was is fine
  FailPending(absl::CancelledError(absl::StrCat("the link was closed: ", reason)));
}

}  // namespace braid
