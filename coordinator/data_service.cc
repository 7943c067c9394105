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
                                               const proto::TaskAttempt& attempt, uint32_t part) {
  absl::StatusOr<const proto::InputSplit*> split = catalog_.SplitFor(peer, attempt);
  if (!split.ok()) {
    Refuse(peer, request_id, split.status());
    return nullptr;
  }
  if ((*split)->parts_size() > 0 ? part >= static_cast<uint32_t>((*split)->parts_size())
                                 : part != 0) {
    Refuse(
        peer, request_id,
        absl::InvalidArgumentError(absl::StrCat("map task ", attempt.task(), " of job ",
                                                attempt.job_id(), " reads no input part ", part)));
    return nullptr;
  }
  if ((*split)->parts_size() > 0) split = &(*split)->parts(static_cast<int>(part));
  if ((*split)->path().empty() || !(*split)->has_identity()) {
    Refuse(peer, request_id,
           absl::PermissionDeniedError(absl::StrCat("map task ", attempt.task(), " of job ",
                                                    attempt.job_id(), " reads no input file")));
    return nullptr;
  }
  return *split;
}

namespace {

std::string SplitKey(const proto::TaskAttempt& attempt, uint32_t part) {
  return absl::StrCat(attempt.job_id(), "/", attempt.task(), "/", part);
}

}  // namespace

void DataService::Answer(const PeerId& peer, uint64_t request_id, const Located& located) {
  proto::Envelope reply;
  proto::SplitLocated* answer = reply.mutable_split_located();
  answer->set_begin(located.begin);
  answer->set_end(located.end);
  answer->set_crc32c(located.crc32c);
  hub_.Reply(peer, request_id, std::move(reply));
}

void DataService::OnLocateSplit(const PeerId& peer, const proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  const proto::LocateSplit& locate = message.locate_split();
  if (locate.attempt().job_id() != locate.job_id() ||
      locate.attempt().task() != locate.map_task()) {
    return Refuse(peer, request_id,
                  absl::PermissionDeniedError("a LocateSplit for another task than its attempt's"));
  }
  const proto::InputSplit* split = SplitFor(peer, request_id, locate.attempt(), locate.part());
  if (split == nullptr) return;
  const std::string key = SplitKey(locate.attempt(), locate.part());
  if (auto known = located_.find(key); known != located_.end()) {
    // Located before (for another attempt, or this one asking again after a timeout): once.
    if (known->second.done) return Answer(peer, request_id, known->second);
    known->second.waiting.emplace_back(peer, request_id);
    return;
  }
  if (!TakeRead(peer, request_id)) return;
  Located& locating = located_[key];
  locating.job_id = locate.job_id();
  locating.waiting.emplace_back(peer, request_id);
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
      .Both([this, alive = liveness_.token(), peer, key](Result<SplitExtent> extent) {
        if (!alive) return;
        ReturnRead(peer);
        auto it = located_.find(key);
        if (it == located_.end()) return;  // its job ended
        std::vector<std::pair<PeerId, uint64_t>> waiting = std::move(it->second.waiting);
        it->second.waiting.clear();
        if (!extent.ok()) {
          located_.erase(it);  // the next attempt looks again
          for (const auto& [to, id] : waiting) Refuse(to, id, extent.status());
          return;
        }
        it->second.begin = extent->begin;
        it->second.end = extent->end;
        it->second.crc32c = extent->crc32c;
        it->second.done = true;
        for (const auto& [to, id] : waiting) Answer(to, id, it->second);
      });
}

void DataService::OnFetch(const PeerId& peer, const proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  const proto::FetchRequest& request = message.fetch_request();
  if (request.attempt().job_id() != request.job_id() ||
      request.attempt().task() != request.map_task()) {
    return Refuse(peer, request_id,
                  absl::PermissionDeniedError("a fetch for another task than its attempt's"));
  }
  const proto::InputSplit* split =
      SplitFor(peer, request_id, request.attempt(), request.split_part());
  if (split == nullptr) return;
  auto located = located_.find(SplitKey(request.attempt(), request.split_part()));
  if (request.path() != split->path() || request.partition() != 0 || located == located_.end() ||
      !located->second.done) {
    const std::string shown(absl::string_view(request.path()).substr(0, 200));
    return Refuse(peer, request_id,
                  absl::PermissionDeniedError(
                      absl::StrCat("'", shown, "' is not the located input of map task ",
                                   request.map_task(), " of job ", request.job_id())));
  }
  // Only the bytes the split's reader needs.
  const uint64_t begin = located->second.begin;
  const uint64_t end = located->second.end;
  if (request.length() == 0 || request.length() > kMaxFetchChunk || request.offset() < begin ||
      request.offset() >= end || request.length() > end - request.offset()) {
    return Refuse(peer, request_id,
                  absl::InvalidArgumentError(absl::StrCat("a fetch asks for 1 to ", kMaxFetchChunk,
                                                          " bytes within the split's [", begin,
                                                          ", ", end, ")")));
  }
  if (!TakeRead(peer, request_id)) return;
  const uint64_t offset = request.offset();
  const uint64_t file_bytes = split->identity().size();
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

void DataService::DropEndedUploads() {
  absl::erase_if(uploads_, [&](const auto& entry) {
    const Upload& upload = entry.second;
    return !upload.busy() && !catalog_.PartFileOf(upload.peer, upload.attempt).ok();
  });
}

void DataService::OnPartChunk(const PeerId& peer, proto::Envelope& message) {
  const uint64_t request_id = message.message_id();
  proto::PartChunk& chunk = *message.mutable_part_chunk();
  absl::StatusOr<std::string> path = catalog_.PartFileOf(peer, chunk.attempt());
  if (!path.ok()) return Refuse(peer, request_id, path.status());
  if (chunk.data().size() > kMaxFetchChunk) {
    return Refuse(peer, request_id,
                  absl::InvalidArgumentError(absl::StrCat("a piece of a part file is at most ",
                                                          kMaxFetchChunk, " bytes")));
  }
  const std::string name = AttemptName(chunk.attempt());
  auto found = uploads_.find(name);
  if (chunk.offset() == 0) {
    // The first piece starts the file afresh (a worker that lost an answer starts over).
    if (found != uploads_.end() && found->second.busy()) {
      return Refuse(peer, request_id,
                    absl::UnavailableError(absl::StrCat(
                        "pieces of ", name, "'s part file are still being written: try again")));
    }
    if (found == uploads_.end() && uploads_.size() >= options_.uploads / 2) DropEndedUploads();
    if (found == uploads_.end() && uploads_.size() >= options_.uploads) {
      return Refuse(
          peer, request_id,
          absl::ResourceExhaustedError(absl::StrCat(
              "the coordinator is receiving ", uploads_.size(), " part files already: try again")));
    }
    Upload& fresh = uploads_[name];
    fresh = Upload();
    fresh.peer = peer;
    fresh.attempt = chunk.attempt();
    fresh.path = *std::move(path);
    fresh.generation = next_generation_++;
    found = uploads_.find(name);
  } else if (found == uploads_.end() || found->second.received != chunk.offset()) {
    return Refuse(peer, request_id,
                  absl::AbortedError(absl::StrCat(
                      "a piece of ", name, "'s part file at byte ", chunk.offset(),
                      " does not follow the ", found == uploads_.end() ? 0 : found->second.received,
                      " bytes received: send the file again from its start")));
  }
  Upload& upload = found->second;
  if (upload.pieces.size() >= kPiecesAhead) {
    return Refuse(peer, request_id,
                  absl::ResourceExhaustedError(absl::StrCat(
                      "more than ", kPiecesAhead, " pieces of ", name,
                      "'s part file wait for the disk: send the file again from its start")));
  }
  upload.received += chunk.data().size();
  upload.pieces.push_back(
      Piece{request_id, std::make_shared<const std::string>(std::move(*chunk.mutable_data())),
            chunk.crc32c(), chunk.last(), chunk.file_bytes(), chunk.file_crc32c()});
  if (upload.pieces.size() == 1) WriteNextPiece(name);
}

void DataService::WriteNextPiece(const std::string& name) {
  Upload& upload = uploads_.at(name);
  Piece& piece = upload.pieces.front();
  calls_
      .Compute<Written>([&env = env_, path = upload.path, file = upload.file, crc = upload.crc,
                         data = piece.data, piece_crc = piece.crc32c, written = upload.written,
                         last = piece.last, file_bytes = piece.file_bytes,
                         file_crc = piece.file_crc32c]() mutable -> absl::StatusOr<Written> {
        if (braid_compat::ComputeCrc32c(*data) != piece_crc) {
          return absl::DataLossError(
              absl::StrCat("a corrupt piece of '", path, "' at byte ", written, ": send it again"));
        }
        if (file == nullptr) {
          // Only the attempt's own directory: a job committed or removed meanwhile has no
          // _temporary, and must not get one back.
          const std::string attempt_dir = DirName(path);
          if (!env.Exists(DirName(attempt_dir))) {
            return absl::FailedPreconditionError(
                absl::StrCat("the job's output is no longer being written: '", path, "'"));
          }
          if (absl::Status made = env.CreateDirs(attempt_dir); !made.ok()) return made;
          absl::StatusOr<std::unique_ptr<WritableFile>> opened = env.NewWritableFile(path);
          if (!opened.ok()) return opened.status();
          file = *std::move(opened);
        }
        if (absl::Status appended = file->Append(*data); !appended.ok()) return appended;
        Written result{file, braid_compat::ExtendCrc32c(crc, *data)};
        if (last) {
          if (written + data->size() != file_bytes || result.crc != file_crc) {
            return absl::DataLossError(absl::StrCat(
                "the part file received for '", path, "' is not the one sent (",
                written + data->size(), " bytes, ", file_bytes, " sent): send it again"));
          }
          // Durable before the worker is told it is there, as a part file written in place is.
          if (absl::Status synced = file->Sync(); !synced.ok()) return synced;
          if (absl::Status closed = file->Close(); !closed.ok()) return closed;
          result.file.reset();
        }
        return result;
      })
      .Both([this, alive = liveness_.token(), name,
             generation = upload.generation](Result<Written> written) {
        if (!alive) return;
        auto it = uploads_.find(name);
        if (it == uploads_.end() || it->second.generation != generation) return;  // dropped
        Upload& upload = it->second;
        Piece piece = std::move(upload.pieces.front());
        upload.pieces.pop_front();
        if (!written.ok()) {
          // This piece and those after it are refused: the worker sends the file again.
          Refuse(upload.peer, piece.request_id, written.status());
          for (const Piece& later : upload.pieces) {
            Refuse(upload.peer, later.request_id, absl::AbortedError("an earlier piece failed"));
          }
          uploads_.erase(it);
          return;
        }
        upload.file = std::move(written->file);
        upload.crc = written->crc;
        upload.written += piece.data->size();
        bytes_received_ += piece.data->size();
        proto::Envelope ack;
        ack.mutable_ack();
        hub_.Reply(upload.peer, piece.request_id, std::move(ack));
        if (piece.last) {
          uploads_.erase(it);
          return;
        }
        if (!upload.pieces.empty()) WriteNextPiece(name);
      });
}

void DataService::ForgetJob(const std::string& job_id) {
  absl::erase_if(uploads_,
                 [&](const auto& entry) { return entry.second.attempt.job_id() == job_id; });
  absl::erase_if(located_, [&](const auto& entry) { return entry.second.job_id == job_id; });
}

}  // namespace braid
