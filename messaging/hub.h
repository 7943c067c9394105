// Hub: the coordinator's side of the messaging layer — many peers on one ServerTransport.
//
// The Hub decodes every frame, refuses what it cannot take (malformed, another protocol version,
// an unknown kind, too large, or anything but a hello from a peer that has not said hello: each
// counted, logged once per peer, and answered with a Reject where a reply makes sense), and hands
// the rest to its owner. It keeps every introduced peer alive in the manner of the ZeroMQ guide's
// Paranoid Pirate: a heartbeat to each peer every interval it has not otherwise been sent to, and
// a peer not heard from for `liveness` intervals (to the tick) is declared lost, forgotten, and
// reported.
//
//   Hub hub(reactor, std::move(transport));
//   hub.SetHandlers(
//       [&](const PeerId& peer, proto::Envelope& message) { ... },  // hellos and the rest
//       [&](const PeerId& peer, absl::Status why) { ... });         // lost peers
//   hub.Welcome(peer, hello.message_id(), welcome);                  // accept a hello
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_MESSAGING_HUB_H_
#define BRAID_MESSAGING_HUB_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "google/protobuf/arena.h"
#include "messaging/bad_input.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"
#include "proto/envelope.h"
#include "reactor/looping_call.h"

namespace braid {

struct HubOptions {
  absl::Duration heartbeat_interval = absl::Seconds(1);
  int liveness = 3;
  size_t max_message_bytes = kMaxMessageBytes;
};

class Hub {
 public:
  // The message is the Hub's: valid during the call, then reused for the next frame. Move out
  // what you keep.
  using OnMessage = absl::AnyInvocable<void(const PeerId& peer, proto::Envelope& message)>;
  using OnPeerLost = absl::AnyInvocable<void(const PeerId& peer, absl::Status why)>;

  Hub(ReactorTime& time, std::unique_ptr<ServerTransport> transport, HubOptions options = {});
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;
  ~Hub();

  // `on_message` gets every accepted message: a hello (worker_hello or client_hello) from a new
  // peer, which the owner answers with Welcome or Reject, and anything from introduced peers
  // except heartbeats. `on_lost` gets each peer declared lost (not those Forgotten).
  void SetHandlers(OnMessage on_message, OnPeerLost on_lost);

  std::string endpoint() const { return transport_->endpoint(); }

  // Answers, Welcome, Reject and Reply do not report failure: the Hub handles it. A peer found
  // gone is declared lost (as Send says); an answer to a peer that is not keeping up is dropped,
  // counted (dropped_answers()) and logged, and the peer's own request timeout covers it.

  // Answers a hello with `welcome` (filling in the heartbeat rules).
  void Welcome(const PeerId& peer, uint64_t hello_id, proto::Welcome welcome);
  // Sends a Reject answering request `reply_to` (0 for none). To refuse a hello, follow with
  // Forget.
  void Reject(const PeerId& peer, uint64_t reply_to, const absl::Status& why);

  // Sends `message` (its version and id are filled in). kUnavailable if the peer is gone — it is
  // then declared lost, in a turn of its own (as if it had gone silent) — kResourceExhausted if
  // it is not keeping up.
  absl::Status Send(const PeerId& peer, proto::Envelope message);
  // Sends `message` as the reply to request `request_id`.
  void Reply(const PeerId& peer, uint64_t request_id, proto::Envelope message);
  // Answers that could not be sent because their peer was not keeping up.
  uint64_t dropped_answers() const { return dropped_answers_; }

  // Stops tracking `peer` (it said Goodbye, or is being cut off); its later frames need a hello.
  void Forget(const PeerId& peer);
  // Tells `peer` that it is cut off for good (a Reject marked closed, saying `why`) and forgets
  // it. Its Link closes; were it to say hello again, the owner decides as for any hello.
  void Close(const PeerId& peer, const absl::Status& why);

  bool introduced(const PeerId& peer) const { return peers_.contains(peer); }
  // The public key (Z85) introduced peer `peer` was authenticated with; empty if the transport
  // does not authenticate or the peer is not introduced.
  absl::string_view key(const PeerId& peer) const;
  size_t peers() const { return peers_.size(); }
  const BadInputLog& bad_input() const { return bad_input_; }
  uint64_t peers_lost() const { return peers_lost_; }
  // Heartbeats sent to peers, and received from them.
  uint64_t heartbeats_sent() const { return heartbeats_sent_; }
  uint64_t heartbeats_received() const { return heartbeats_received_; }

 private:
  struct Peer {
    // When the peer was last heard from, to the heartbeat tick: frames only set `heard`, and each
    // tick turns that into a time (a clock read per frame would cost more than the frame).
    absl::Time last_heard;
    bool heard = false;
    bool sent_this_beat = false;
    bool unreachable = false;  // a send found it gone; it is being declared lost
    std::string key;           // the transport's authenticated key of its connection
  };

  void OnFrame(const PeerId& peer, absl::string_view frame, absl::string_view key);
  // Every heartbeat interval: declares silent peers lost, heartbeats the idle ones.
  void Beat();
  absl::Status SendFrame(const PeerId& peer, proto::Envelope& message);
  // Sends an answer; a failure other than the peer being gone is counted and logged.
  void Answer(const PeerId& peer, uint64_t reply_to, proto::Envelope& message);
  // Forgets `peer` and tells the owner it is lost.
  void Lose(const PeerId& peer, const absl::Status& why);

  ReactorTime& time_;
  std::unique_ptr<ServerTransport> transport_;
  HubOptions options_;
  OnMessage on_message_;
  OnPeerLost on_lost_;
  absl::flat_hash_map<PeerId, Peer> peers_;
  BadInputLog bad_input_{"coordinator"};
  uint64_t next_message_id_ = 1;
  uint64_t dropped_answers_ = 0;
  uint64_t peers_lost_ = 0;
  uint64_t heartbeats_sent_ = 0;
  uint64_t heartbeats_received_ = 0;
  absl::Time last_beat_;  // the previous heartbeat tick
  std::string frame_;     // reused for encoding
  // Each frame is decoded onto this arena, which is reset for the next: no heap allocation per
  // frame once its first block is big enough.
  std::unique_ptr<char[]> arena_block_;
  google::protobuf::Arena arena_;
  LoopingCall heartbeat_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_HUB_H_
