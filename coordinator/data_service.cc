#include "coordinator/data_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "job/file_identity.h"
#include "job/split_reader.h"
#include "proto/attempt_name.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

// A part file after a piece was written to it.
struct Written {
  std::shared_ptr<WritableFile> file;
  uint32_t crc = 0;  // of the whole file so far
};

}  // namespace

DataService::DataService(Hub& hub, Catalog& catalog, Env& env, BlockingCalls& calls,
                         DataServiceOptions options)
    : hub_(hub), catalog_(catalog), env_(env), calls_(calls), options_(options) {}

DataService::~DataService() { liveness_.End(); }

void DataService::Refuse(const PeerId& peer, uint64_t request_id, const absl::Status& why) {
  if (absl::IsPermissionDenied(why)) {
    ++refused_;
    LOG_EVERY_N(WARNING, 100) << "data service: refused peer " << peer << ": " << why.message()
                              << " (" << refused_ << " refused so far)";
  }
  hub_.Reject(peer, request_id, why);
}

bool DataService::TakeRead(const PeerId& peer, uint64_t request_id) {
  size_t& mine = reading_[peer];
  if (mine >= options_.reads_per_peer || reading_total_ >= options_.reads) {
    if (mine == 0) reading_.erase(peer);
    hub_.Reject(peer, request_id,
                absl::ResourceExhaustedError(
                    "the coordinator is reading as many chunks as it queues: ask again"));
    return false;
  }
  ++mine;
  ++reading_total_;
  return true;
}

void DataService::ReturnRead(const PeerId& peer) {
  --reading_total_;
  if (auto it = reading_.find(peer); it != reading_.end() && --it->second == 0) reading_.erase(it);
}

const proto::InputSplit* DataService::SplitFor(const PeerId& peer, uint64_t request_id,
                                               const std::string& job_id, uint32_t map_task) {
  const proto::InputSplit* split = catalog_.SplitOf(job_id, map_task);
  if (split == nullptr) {
    Refuse(peer, request_id,
           absl::NotFoundError(absl::StrCat("no running job ",
                                            absl::string_view(job_id).substr(0, 100),
                                            " has a map task ", map_task)));
    return nullptr;
  }
  if (split->path().empty() || !split->has_identity()) {
    Refuse(peer, request_id,
           absl::PermissionDeniedError(
               absl::StrCat("map task ", map_task, " of job ", job_id, " reads no input file")));
    return nullptr;
  }
  return split;
}

void DataService::OnLocateSplit(const PeerId& peer, const proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  const proto::LocateSplit& locate = message.locate_split();
  const proto::InputSplit* split = SplitFor(peer, request_id, locate.job_id(), locate.map_task());
  if (split == nullptr || !TakeRead(peer, request_id)) return;
  calls_
      .Compute<SplitExtent>([&env = env_, split = *split]() -> absl::StatusOr<SplitExtent> {
        // The file must still be the one planned: another would be other records.
        if (!IsSameFile(env, split.path(), split.identity())) {
          return absl::DataLossError(absl::StrCat("input '", split.path(),
                                                  "' changed on the coordinator since the job "
                                                  "was planned"));
        }
        return LocateSplit(env, split.path(), split.offset(), split.length());
      })
      .Both([this, alive = liveness_.token(), peer, request_id](Result<SplitExtent> extent) {
        if (!alive) return;
        ReturnRead(peer);
        if (!extent.ok()) return Refuse(peer, request_id, extent.status());
        proto::Envelope answer;
        proto::SplitLocated* located = answer.mutable_split_located();
        located->set_begin(extent->begin);
        located->set_end(extent->end);
        located->set_crc32c(extent->crc32c);
        hub_.Reply(peer, request_id, std::move(answer));
      });
}

void DataService::OnFetch(const PeerId& peer, const proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  const proto::FetchRequest& request = message.fetch_request();
  const proto::InputSplit* split = SplitFor(peer, request_id, request.job_id(), request.map_task());
  if (split == nullptr) return;
  if (request.path() != split->path() || request.partition() != 0) {
    const std::string shown(absl::string_view(request.path()).substr(0, 200));
    return Refuse(peer, request_id,
                  absl::PermissionDeniedError(
                      absl::StrCat("'", shown, "' is not the input of map task ",
                                   request.map_task(), " of job ", request.job_id())));
  }
  const uint64_t file_bytes = split->identity().size();
  if (request.length() == 0 || request.length() > kMaxFetchChunk || request.offset() > file_bytes) {
    return Refuse(
        peer, request_id,
        absl::InvalidArgumentError(absl::StrCat("a fetch asks for 1 to ", kMaxFetchChunk,
                                                " bytes within the file's ", file_bytes)));
  }
  if (!TakeRead(peer, request_id)) return;
  const uint64_t offset = request.offset();
  calls_
      .Compute<std::string>(
          [&env = env_, path = request.path(), offset, length = request.length()] {
            return ReadFileRange(env, path, offset, length);
          })
      .Both([this, alive = liveness_.token(), peer, request_id, offset,
             file_bytes](Result<std::string> data) {
        if (!alive) return;
        ReturnRead(peer);
        if (!data.ok()) return Refuse(peer, request_id, data.status());
        proto::Envelope answer;
        proto::FetchChunk* chunk = answer.mutable_fetch_chunk();
        chunk->set_offset(offset);
        chunk->set_file_bytes(file_bytes);
        chunk->set_crc32c(braid_compat::ComputeCrc32c(*data));
        bytes_served_ += data->size();
        chunk->set_data(*std::move(data));
        hub_.Reply(peer, request_id, std::move(answer));
      });
}

void DataService::OnPartChunk(const PeerId& peer, proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  proto::PartChunk& chunk = *message.mutable_part_chunk();
  absl::StatusOr<std::string> path = catalog_.PartFileOf(peer, chunk.attempt());
  if (!path.ok()) return Refuse(peer, request_id, path.status());
  const std::string name = AttemptName(chunk.attempt());
  auto found = uploads_.find(name);
  if (chunk.offset() == 0) {
    // The first piece starts the file afresh (a worker that lost an answer starts over).
    if (found != uploads_.end() && found->second.busy) {
      return Refuse(peer, request_id,
                    absl::FailedPreconditionError(
                        absl::StrCat("a piece of ", name, "'s part file is still being written")));
    }
    if (found == uploads_.end() && uploads_.size() >= options_.uploads) {
      return Refuse(
          peer, request_id,
          absl::ResourceExhaustedError(absl::StrCat(
              "the coordinator is receiving ", uploads_.size(), " part files already: try again")));
    }
    Upload& fresh = uploads_[name];
    fresh = Upload();
    fresh.job_id = chunk.attempt().job_id();
    fresh.path = *std::move(path);
    fresh.generation = next_generation_++;
    found = uploads_.find(name);
  } else if (found == uploads_.end() || found->second.busy ||
             found->second.written != chunk.offset()) {
    return Refuse(peer, request_id,
                  absl::FailedPreconditionError(absl::StrCat(
                      "a piece of ", name, "'s part file at byte ", chunk.offset(),
                      " does not follow the ", found == uploads_.end() ? 0 : found->second.written,
                      " bytes received: send the file again from its start")));
  }
  Upload& upload = found->second;
  upload.busy = true;
  const uint64_t size = chunk.data().size();
  const bool last = chunk.last();
  const uint64_t file_bytes = chunk.file_bytes();
  const uint32_t file_crc = chunk.file_crc32c();
  calls_
      .Compute<Written>([&env = env_, path = upload.path, file = upload.file, crc = upload.crc,
                         data = std::move(*chunk.mutable_data()), piece_crc = chunk.crc32c(),
                         written = upload.written, last, file_bytes,
                         file_crc]() mutable -> absl::StatusOr<Written> {
        if (braid_compat::ComputeCrc32c(data) != piece_crc) {
          return absl::DataLossError(
              absl::StrCat("a corrupt piece of '", path, "' at byte ", written, ": send it again"));
        }
        if (file == nullptr) {
          if (absl::Status made = env.CreateDirs(DirName(path)); !made.ok()) return made;
          absl::StatusOr<std::unique_ptr<WritableFile>> opened = env.NewWritableFile(path);
          if (!opened.ok()) return opened.status();
          file = *std::move(opened);
        }
        if (absl::Status appended = file->Append(data); !appended.ok()) return appended;
        Written result{file, braid_compat::ExtendCrc32c(crc, data)};
        if (last) {
          if (written + data.size() != file_bytes || result.crc != file_crc) {
            return absl::DataLossError(absl::StrCat(
                "the part file received for '", path, "' is not the one sent (",
                written + data.size(), " bytes, ", file_bytes, " sent): send it again"));
          }
          if (absl::Status closed = file->Close(); !closed.ok()) return closed;
          result.file.reset();
        }
        return result;
      })
      .Both([this, alive = liveness_.token(), peer, request_id, name,
             generation = upload.generation, size, last](Result<Written> written) {
        if (!alive) return;
        auto it = uploads_.find(name);
        if (it == uploads_.end() || it->second.generation != generation) return;  // dropped
        Upload& upload = it->second;
        upload.busy = false;
        if (!written.ok()) {
          uploads_.erase(it);
          return Refuse(peer, request_id, written.status());
        }
        upload.file = std::move(written->file);
        upload.crc = written->crc;
        upload.written += size;
        bytes_received_ += size;
        if (last) uploads_.erase(it);
        proto::Envelope ack;
        ack.mutable_ack();
        hub_.Reply(peer, request_id, std::move(ack));
      });
}

void DataService::ForgetJob(const std::string& job_id) {
  absl::erase_if(uploads_, [&](const auto& entry) { return entry.second.job_id == job_id; });
}

}  // namespace braid
