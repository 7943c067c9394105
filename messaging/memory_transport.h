// MemoryNetwork: an in-memory network of transports on a ReactorTime, for tests and for
// simulating a whole cluster deterministically.
//
// A server listens on "mem://NAME"; clients connect to it. Frames are delivered as timer calls on
// the network's ReactorTime after the configured latency, so on a FakeClock nothing moves until
// the test advances time. On command the network delays, drops, duplicates and reorders frames,
// and cuts a peer off (and heals it); every random choice comes from the seed, so a run repeats
// exactly.
//
//   FakeClock clock;
//   MemoryNetwork network(clock);
//   auto server = network.Listen("coordinator");
//   auto client = network.Connect("coordinator");
//   network.SetLatency(absl::Milliseconds(1), absl::Milliseconds(5));   // jitter reorders
//   network.DropNext(1);
//
// The server's view matches ZeroMQ's ROUTER: a send to a client that is gone (destroyed, or
// reconnected under a new id) fails with kUnavailable. A client's frames to a server that is not
// listening are dropped (and counted). The network must outlive its transports.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_MESSAGING_MEMORY_TRANSPORT_H_
#define BRAID_MESSAGING_MEMORY_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/transport.h"

namespace braid {

class MemoryServerTransport;
class MemoryClientTransport;

class MemoryNetwork {
 public:
  explicit MemoryNetwork(ReactorTime& time, uint64_t seed = 1);
  MemoryNetwork(const MemoryNetwork&) = delete;
  MemoryNetwork& operator=(const MemoryNetwork&) = delete;
  ~MemoryNetwork();

  // A server at "mem://NAME". kAlreadyExists if something listens there.
  absl::StatusOr<std::unique_ptr<ServerTransport>> Listen(absl::string_view name);
  // A client of "mem://NAME" (or of NAME). The server sees its frames as authenticated with
  // public key `key` (as a CURVE connection's are; empty: unauthenticated).
  std::unique_ptr<ClientTransport> Connect(absl::string_view endpoint, std::string key = "");

  // --- Faults, for frames sent from now on.

  // Each frame takes a latency drawn uniformly from [min, max]; with max > min, frames of one
  // connection can overtake each other.
  void SetLatency(absl::Duration min, absl::Duration max);
  // The next `n` frames (either way) vanish.
  void DropNext(int n) { drop_next_ += n; }
  // Every frame vanishes with probability `p`.
  void SetDropProbability(double p) { drop_probability_ = p; }
  // The next `n` frames arrive twice.
  void DuplicateNext(int n) { duplicate_next_ += n; }
  // Frames to and from `peer` vanish until Heal(peer): the peer stays connected but unheard.
  void Isolate(const PeerId& peer) { isolated_.insert(peer); }
  void Heal(const PeerId& peer) { isolated_.erase(peer); }

  uint64_t frames_sent() const { return frames_sent_; }
  uint64_t frames_dropped() const { return frames_dropped_; }

 private:
  friend class MemoryServerTransport;
  friend class MemoryClientTransport;

  // Sends `frame` from client `from` to the server at `name`.
  void SendToServer(const std::string& name, const PeerId& from, std::string frame);
  // Sends `frame` from the server at `name` to client `to`. kUnavailable if `to` is not connected.
  absl::Status SendToClient(const std::string& name, const PeerId& to, std::string frame);
  // Schedules `deliver` under the fault settings, on behalf of `peer`.
  void Schedule(const PeerId& peer, absl::AnyInvocable<void()> deliver);
  PeerId NewPeerId() { return "mem-peer-" + std::to_string(++peers_made_); }

  ReactorTime& time_;
  std::mt19937_64 random_;
  absl::flat_hash_map<std::string, MemoryServerTransport*> servers_;
  absl::flat_hash_map<PeerId, MemoryClientTransport*> clients_;
  absl::flat_hash_set<PeerId> isolated_;
  absl::Duration min_latency_ = absl::ZeroDuration();
  absl::Duration max_latency_ = absl::ZeroDuration();
  int drop_next_ = 0;
  int duplicate_next_ = 0;
  double drop_probability_ = 0;
  uint64_t peers_made_ = 0;
  uint64_t frames_sent_ = 0;
  uint64_t frames_dropped_ = 0;
  // Lets deliveries scheduled on the ReactorTime notice that the network is gone.
  Liveness liveness_;
};

class MemoryServerTransport final : public ServerTransport {
 public:
  ~MemoryServerTransport() override;
  std::string endpoint() const override { return "mem://" + name_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(const PeerId& peer, absl::string_view frame) override;

 private:
  friend class MemoryNetwork;
  MemoryServerTransport(MemoryNetwork& network, std::string name)
      : network_(network), name_(std::move(name)) {}

  MemoryNetwork& network_;
  std::string name_;
  Receiver receiver_;
};

class MemoryClientTransport final : public ClientTransport {
 public:
  ~MemoryClientTransport() override;
  std::string endpoint() const override { return "mem://" + name_; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(absl::string_view frame) override;
  absl::Status Reconnect() override;

  // The id the server sees this client by (it changes with Reconnect).
  const PeerId& peer_id() const { return peer_id_; }

 private:
  friend class MemoryNetwork;
  MemoryClientTransport(MemoryNetwork& network, std::string name, std::string key);

  MemoryNetwork& network_;
  std::string name_;
  std::string key_;
  PeerId peer_id_;
  Receiver receiver_;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_MEMORY_TRANSPORT_H_
