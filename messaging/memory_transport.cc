#include "messaging/memory_transport.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace braid {

MemoryNetwork::MemoryNetwork(ReactorTime& time, uint64_t seed) : time_(time), random_(seed) {}

MemoryNetwork::~MemoryNetwork() { liveness_.End(); }

absl::StatusOr<std::unique_ptr<ServerTransport>> MemoryNetwork::Listen(absl::string_view name) {
  std::string key(absl::StripPrefix(name, "mem://"));
  if (servers_.contains(key)) {
    return absl::AlreadyExistsError(absl::StrCat("mem://", key, " is already listened on"));
  }
  std::unique_ptr<MemoryServerTransport> server(new MemoryServerTransport(*this, key));
  servers_[key] = server.get();
  return std::unique_ptr<ServerTransport>(std::move(server));
}

std::unique_ptr<ClientTransport> MemoryNetwork::Connect(absl::string_view endpoint,
                                                        std::string key) {
  return std::unique_ptr<ClientTransport>(new MemoryClientTransport(
      *this, std::string(absl::StripPrefix(endpoint, "mem://")), std::move(key)));
}

void MemoryNetwork::SetLatency(absl::Duration min, absl::Duration max) {
  min_latency_ = min;
  max_latency_ = max < min ? min : max;
}

void MemoryNetwork::Schedule(const PeerId& peer, absl::AnyInvocable<void()> deliver) {
  ++frames_sent_;
  bool drop = isolated_.contains(peer);
  if (drop_next_ > 0) {
    --drop_next_;
    drop = true;
  }
  if (drop_probability_ > 0 &&
      std::uniform_real_distribution<double>(0, 1)(random_) < drop_probability_) {
    drop = true;
  }
  if (drop) {
    ++frames_dropped_;
    return;
  }
  int copies = 1;
  if (duplicate_next_ > 0) {
    --duplicate_next_;
    copies = 2;
  }
  for (int i = 0; i < copies; ++i) {
    absl::Duration latency = min_latency_;
    if (max_latency_ > min_latency_) {
      int64_t span = absl::ToInt64Nanoseconds(max_latency_ - min_latency_);
      latency += absl::Nanoseconds(std::uniform_int_distribution<int64_t>(0, span)(random_));
    }
    if (i + 1 < copies) {
      // The duplicate needs its own copy of the delivery.
      auto shared = std::make_shared<absl::AnyInvocable<void()>>(std::move(deliver));
      deliver = [shared] { (*shared)(); };
      time_.CallLater(latency, [shared] { (*shared)(); });
    } else {
      time_.CallLater(latency, std::move(deliver));
    }
  }
}

void MemoryNetwork::SendToServer(const std::string& name, const PeerId& from, std::string frame) {
  Schedule(from, [this, alive = liveness_.token(), name, from, frame = std::move(frame)] {
    if (!alive || isolated_.contains(from)) return;
    auto server = servers_.find(name);
    if (server == servers_.end() || !clients_.contains(from)) {
      ++frames_dropped_;
      return;
    }
    if (server->second->receiver_) {
      server->second->receiver_(from, frame, clients_.at(from)->key_);
    }
  });
}

absl::Status MemoryNetwork::SendToClient(const std::string& name, const PeerId& to,
                                         std::string frame) {
  auto client = clients_.find(to);
  if (client == clients_.end() || client->second->name_ != name) {
    return absl::UnavailableError(absl::StrCat("peer ", to, " is not connected"));
  }
  Schedule(to, [this, alive = liveness_.token(), to, frame = std::move(frame)] {
    if (!alive || isolated_.contains(to)) return;
    auto client = clients_.find(to);
    if (client == clients_.end()) {
      ++frames_dropped_;
      return;
    }
    if (client->second->receiver_) client->second->receiver_(frame);
  });
  return absl::OkStatus();
}

MemoryServerTransport::~MemoryServerTransport() { network_.servers_.erase(name_); }

absl::Status MemoryServerTransport::Send(const PeerId& peer, absl::string_view frame) {
  return network_.SendToClient(name_, peer, std::string(frame));
}

MemoryClientTransport::MemoryClientTransport(MemoryNetwork& network, std::string name,
                                             std::string key)
    : network_(network),
      name_(std::move(name)),
      key_(std::move(key)),
      peer_id_(network.NewPeerId()) {
  network_.clients_[peer_id_] = this;
}

MemoryClientTransport::~MemoryClientTransport() { network_.clients_.erase(peer_id_); }

absl::Status MemoryClientTransport::Send(absl::string_view frame) {
  network_.SendToServer(name_, peer_id_, std::string(frame));
  return absl::OkStatus();
}

absl::Status MemoryClientTransport::Reconnect() {
  network_.clients_.erase(peer_id_);
  peer_id_ = network_.NewPeerId();
  network_.clients_[peer_id_] = this;
  return absl::OkStatus();
}

}  // namespace braid
