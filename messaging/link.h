// Link: a worker's or client's side of the messaging layer — one connection to the coordinator.
//
// A Link introduces itself with a hello and keeps the connection alive in the manner of the
// ZeroMQ guide's Paranoid Pirate: it heartbeats every interval it has not otherwise sent
// anything, and when the coordinator has been silent for `liveness` intervals (checked at each
// heartbeat tick), or a hello has gone that long unanswered, it declares the coordinator lost
// (its pending requests fail with kUnavailable), drops the connection, and reconnects after a
// backoff that doubles up to a cap, introducing itself afresh (the coordinator sees a new peer).
//
// Requests are correlated with replies by message id: Request returns a Deferred that fires with
// the reply, fails with the status of a Reject reply, or fails with kDeadlineExceeded after the
// timeout (on the Link's ReactorTime). Messages that are not replies go to the owner's handler.
//
//   Link link(reactor, std::move(transport), {}, [] { return MakeWorkerHello(); });
//   link.SetOnMessage([&](proto::Envelope m) { ... });        // assignments, events
//   link.Connect().Then([&](proto::Welcome w) { ... });        // introduced
//   link.Request(status_request).Then([&](proto::Envelope reply) { ... });
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_MESSAGING_LINK_H_
#define BRAID_MESSAGING_LINK_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/bad_input.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"
#include "proto/envelope.h"
#include "reactor/looping_call.h"

namespace braid {

struct LinkOptions {
  absl::Duration heartbeat_interval = absl::Seconds(1);
  int liveness = 3;
  // For requests made without a timeout of their own.
  absl::Duration request_timeout = absl::Seconds(30);
  // Backoff between reconnection attempts: doubles from `reconnect_initial` up to
  // `reconnect_max` (Paranoid Pirate's 1 s and 32 s).
  absl::Duration reconnect_initial = absl::Seconds(1);
  absl::Duration reconnect_max = absl::Seconds(32);
  size_t max_message_bytes = kMaxMessageBytes;
};

class Link {
 public:
  enum class State { kIdle, kIntroducing, kConnected, kReconnecting, kClosed };

  using MakeHello = absl::AnyInvocable<proto::Envelope()>;
  using OnMessage = absl::AnyInvocable<void(proto::Envelope message)>;

  // `make_hello` builds the hello (a worker_hello or client_hello) for each introduction.
  Link(ReactorTime& time, std::unique_ptr<ClientTransport> transport, LinkOptions options,
       MakeHello make_hello);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  // Pending requests fail with kCancelled.
  ~Link();

  // Messages from the coordinator that are not replies (heartbeats excepted).
  void SetOnMessage(OnMessage on_message) { on_message_ = std::move(on_message); }
  // Told when the coordinator was declared lost (with why: kUnavailable, and the Link
  // reconnects) or closed the link for good (with its reason: the Link is then closed), and
  // when a reconnection was welcomed.
  void SetOnLost(absl::AnyInvocable<void(absl::Status)> on_lost) { on_lost_ = std::move(on_lost); }
  void SetOnReconnected(absl::AnyInvocable<void(const proto::Welcome&)> on_reconnected) {
    on_reconnected_ = std::move(on_reconnected);
  }

  // Introduces the Link. Fires with the Welcome; fails with a Reject's status (a version or
  // hello the coordinator refused), or with kUnavailable if there was no answer within
  // `liveness` heartbeat intervals — the Link then keeps trying in the background, with backoff.
  // REQUIRES: called once.
  Deferred<proto::Welcome> Connect();

  // Sends `message` and waits for its reply (see above). While not connected, fails at once with
  // kUnavailable (or, once the coordinator refused or closed this link, with its reason); a
  // message over the size limit, with kResourceExhausted.
  Deferred<proto::Envelope> Request(proto::Envelope message,
                                    std::optional<absl::Duration> timeout = std::nullopt);

  // Sends `message`, expecting no reply. kUnavailable while not connected; kResourceExhausted if
  // the transport's queue is full.
  absl::Status Send(proto::Envelope message);

  // Says Goodbye and stops: pending requests fail with kCancelled; no reconnection.
  void Close(absl::string_view reason);

  State state() const { return state_; }
  // Why the coordinator refused or closed this link; OK unless it did.
  const absl::Status& closed_reason() const { return closed_why_; }
  bool connected() const { return state_ == State::kConnected; }
  const BadInputLog& bad_input() const { return bad_input_; }
  // Times the Link reconnected after losing the coordinator.
  uint64_t reconnections() const { return reconnections_; }
  const ClientTransport& transport() const { return *transport_; }

 private:
  void OnFrame(absl::string_view frame);
  void Beat();
  void Introduce();
  void OnWelcome(const proto::Welcome& welcome);
  void Lose(absl::Status why);
  void FailPending(const absl::Status& why);
  // The coordinator refused or closed this link, for `why`: closes it for good, fails what waits
  // and tells Connect's caller or (once connected before) the owner's on_lost.
  void Shut(absl::Status why);
  absl::Status NotConnected() const;
  absl::Status SendFrame(proto::Envelope& message);

  ReactorTime& time_;
  std::unique_ptr<ClientTransport> transport_;
  LinkOptions options_;
  MakeHello make_hello_;
  OnMessage on_message_;
  absl::AnyInvocable<void(absl::Status)> on_lost_;
  absl::AnyInvocable<void(const proto::Welcome&)> on_reconnected_;

  State state_ = State::kIdle;
  // When the coordinator was last heard from (or, while introducing, when the hello went out).
  absl::Time last_heard_;
  absl::Time last_beat_;  // the previous heartbeat tick
  bool sent_this_beat_ = false;
  uint64_t next_message_id_ = 1;
  uint64_t hello_id_ = 0;  // the id of the hello awaiting its Welcome
  absl::Duration backoff_;
  uint64_t reconnections_ = 0;
  std::optional<Deferred<proto::Welcome>> connected_;  // what Connect returned, until it fires
  absl::flat_hash_map<uint64_t, Deferred<proto::Envelope>> pending_;
  BadInputLog bad_input_{"link"};
  std::string frame_;
  absl::Status closed_why_;
  DelayedCall retry_;
  LoopingCall heartbeat_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_LINK_H_
