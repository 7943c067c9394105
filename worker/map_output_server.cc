#include "worker/map_output_server.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
MapOutputServer::MapOutputServer(std::unique_ptr<ServerTransport> transport,
                                 std::string scratch_dir, Env& env, BlockingCalls& reads,
                                 MapOutputServerOptions options)
    : transport_(std::move(transport)),
      scratch_dir_(std::move(scratch_dir)),
      env_(env),
      reads_(reads),
      options_(options) {
  transport_->SetReceiver([this](const PeerId& peer, absl::string_view frame, absl::string_view) {
    OnFrame(peer, frame);
  });
}

MapOutputServer::~MapOutputServer() {
  liveness_.End();
  transport_->SetReceiver(nullptr);
}

void MapOutputServer::Add(const std::string& job_id, const proto::MapOutput& output) {
  outputs_[output.path()] = Output{job_id, output.map_task(), output.partition(), output.bytes()};
}

void MapOutputServer::ForgetJob(const std::string& job_id) {
  absl::erase_if(outputs_, [&](const auto& entry) { return entry.second.job_id == job_id; });
}

bool MapOutputServer::Holds(const std::string& job_id, uint32_t map_task) const {
  return std::any_of(outputs_.begin(), outputs_.end(), [&](const auto& entry) {
    return entry.second.job_id == job_id && entry.second.map_task == map_task;
  });
}

void MapOutputServer::OnFrame(const PeerId& peer, absl::string_view frame) {
  absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(frame);
  if (!decoded.ok()) {
    bad_input_.Record(peer, BadInputOf(decoded.status()), decoded.status());
    Refuse(peer, 0, decoded.status());
    return;
  }
  const uint64_t request_id = decoded->message_id();
  if (!decoded->has_fetch_request()) {
    absl::Status why = absl::UnimplementedError(
        absl::StrCat("a data endpoint takes fetch requests only, not ", BodyName(*decoded)));
    bad_input_.Record(peer, BadInput::kUnexpected, why);
    Refuse(peer, request_id, why);
    return;
  }
  const proto::FetchRequest& request = decoded->fetch_request();
  auto found = outputs_.find(request.path());
  const bool serves = found != outputs_.end() && found->second.job_id == request.job_id() &&
                      found->second.map_task == request.map_task() &&
                      found->second.partition == request.partition();
  if (!serves) {
    // An output this worker once wrote but no longer has (its job ended, the process restarted)
    // is NOT_FOUND: the map task must run again. Anything else — another output's path, a path
    // outside this job's scratch directory — is no business of the asker's.
    const std::string job_dir = absl::StrCat(scratch_dir_, "/", request.job_id(), "/");
    const bool foreign = found != outputs_.end() || request.job_id().empty() ||
                         request.job_id().find('/') != std::string::npos ||
                         !absl::StartsWith(request.path(), job_dir) ||
                         absl::StrContains(request.path(), "/../");
    if (foreign) {
      ++refused_;
      const std::string shown(absl::string_view(request.path()).substr(0, 200));
      LOG_EVERY_N(WARNING, 100) << "data endpoint: refused a fetch of '" << shown << "' for job "
                                << request.job_id() << " (" << refused_ << " refused so far)";
      Refuse(peer, request_id,
             absl::PermissionDeniedError(
                 absl::StrCat("'", shown, "' is not a map output this worker serves for job ",
                              absl::string_view(request.job_id()).substr(0, 100))));
      return;
    }
    Refuse(peer, request_id,
           absl::NotFoundError(absl::StrCat("this worker has no output of map task ",
                                            request.map_task(), " of job ", request.job_id(),
                                            " for partition ", request.partition())));
    return;
  }
  if (request.length() == 0 || request.length() > kMaxFetchChunk ||
      request.offset() > found->second.bytes) {
    Refuse(
        peer, request_id,
        absl::InvalidArgumentError(absl::StrCat("a fetch asks for 1 to ", kMaxFetchChunk,
                                                " bytes within the file's ", found->second.bytes)));
    return;
  }
  size_t& mine = reading_[peer];
  if (mine >= options_.reads_per_peer || reading_total_ >= options_.reads) {
    ++busy_;
    if (mine == 0) reading_.erase(peer);
    Refuse(peer, request_id,
           absl::ResourceExhaustedError("the holder is reading as many chunks as it queues: "
                                        "ask again"));
    return;
  }
  ++mine;
  ++reading_total_;
  const uint64_t file_bytes = found->second.bytes;
  const uint64_t offset = request.offset();
  reads_
      .Compute<std::string>(
          [&env = env_, path = request.path(), offset, length = request.length()] {
            return ReadFileRange(env, path, offset, length);
          })
      .Both([this, alive = liveness_.token(), peer, request_id, offset,
             file_bytes](Result<std::string> data) {
        if (!alive) return;
        --reading_total_;
        if (auto it = reading_.find(peer); it != reading_.end() && --it->second == 0) {
          reading_.erase(it);
        }
        if (!data.ok()) {
          // Gone from the disk under us: for the reducer, as if never here.
          Refuse(peer, request_id,
                 absl::NotFoundError(absl::StrCat("the map output cannot be read any more: ",
                                                  data.status().message())));
          return;
        }
        proto::Envelope answer;
        proto::FetchChunk* chunk = answer.mutable_fetch_chunk();
        chunk->set_offset(offset);
        chunk->set_file_bytes(file_bytes);
        chunk->set_crc32c(braid_compat::ComputeCrc32c(*data));
        ++chunks_served_;
        bytes_served_ += data->size();
        chunk->set_data(*std::move(data));
        Answer(peer, request_id, answer);
      });
}

void MapOutputServer::Answer(const PeerId& peer, uint64_t request_id, proto::Envelope& answer) {
  answer.set_protocol_version(kProtocolVersion);
  answer.set_message_id(next_message_id_++);
  answer.set_reply_to(request_id);
  // A reducer that is gone, or not keeping up, times the request out and asks again.
  transport_->Send(peer, EncodeEnvelope(answer)).IgnoreError();
}

void MapOutputServer::Refuse(const PeerId& peer, uint64_t request_id, const absl::Status& why) {
  proto::Envelope answer;
  answer.mutable_reject()->set_code(StatusCodeToWire(why.code()));
  answer.mutable_reject()->set_message(std::string(why.message()));
  Answer(peer, request_id, answer);
}

}  // namespace braid
