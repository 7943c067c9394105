// The transport seam: how envelopes' bytes move between Braid processes.
//
// Two implementations: ZeroMQ (zmq_transport.h) for real processes, and an in-memory network
// driven by a ReactorTime (memory_transport.h) that can delay, drop, duplicate and reorder
// frames on command. The messaging layer (Hub, Link) and everything above it are written
// against these interfaces only, so the coordinator and workers run in tests, and whole clusters
// in simulation, without sockets and without real time.
//
// Frames are whole serialized envelopes. Delivery is at most once, in order per connection
// (unless a fake network is told otherwise). Receivers run on the owner's loop.
//
// Threading: the loop's thread.

#ifndef BRAID_MESSAGING_TRANSPORT_H_
#define BRAID_MESSAGING_TRANSPORT_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace braid {

// Identifies a connected peer on a server transport (ZeroMQ's routing id). A peer that
// reconnects gets a new one.
using PeerId = std::string;

// The coordinator's side: many peers connect to one endpoint.
class ServerTransport {
 public:
  // `key` is the public key (Z85) the peer's connection was authenticated with, the same for
  // every frame of a connection; empty on a transport that does not authenticate.
  using Receiver =
      absl::AnyInvocable<void(const PeerId& peer, absl::string_view frame, absl::string_view key)>;

  virtual ~ServerTransport() = default;

  // Where peers connect: the bound endpoint, with the chosen port if it was bound to port 0
  // ("tcp://127.0.0.1:40123", "ipc:///tmp/braid.sock", "mem://coordinator").
  virtual std::string endpoint() const = 0;

  // Sets what runs for each frame received (replacing any previous receiver).
  virtual void SetReceiver(Receiver receiver) = 0;

  // Sends one frame to `peer`. kUnavailable if the peer is not (or no longer) connected;
  // kResourceExhausted if the peer is not keeping up (its queue is at the high-water mark); the
  // frame is not sent in either case. (ZeroMQ learns of a disconnection asynchronously: in the
  // moment before it does, a frame to a vanished peer is accepted and lost. The messaging layer's
  // heartbeats catch such a peer's loss.)
  virtual absl::Status Send(const PeerId& peer, absl::string_view frame) = 0;
};

// A worker's or client's side: one connection to a server.
class ClientTransport {
 public:
  using Receiver = absl::AnyInvocable<void(absl::string_view frame)>;

  virtual ~ClientTransport() = default;

  // The server endpoint this transport connects to.
  virtual std::string endpoint() const = 0;

  virtual void SetReceiver(Receiver receiver) = 0;

  // Queues one frame for the server (connecting happens in the background; frames wait for it,
  // up to the high-water mark). kResourceExhausted at the high-water mark.
  virtual absl::Status Send(absl::string_view frame) = 0;

  // Drops the connection and everything queued on it, and connects afresh: the server sees a new
  // peer. For a client that has declared its server lost.
  virtual absl::Status Reconnect() = 0;

  // Sets what runs when the server refuses this client at the handshake (an authenticating
  // transport: its key is not admitted, or the server is not the one whose key was given), with
  // why. Frames sent meanwhile never arrive. Transports that do not authenticate never call it.
  virtual void SetOnRefused(absl::AnyInvocable<void(absl::Status why)> on_refused) {
    (void)on_refused;
  }
};

}  // namespace braid

#endif  // BRAID_MESSAGING_TRANSPORT_H_
