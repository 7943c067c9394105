#include "coordinator/journal.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

constexpr size_t kFrameHeader = 8;
// A record larger than this is corruption, not a record.
constexpr uint32_t kMaxRecord = 256u << 20;

// LevelDB's masking: a CRC stored beside data is not itself the CRC of data containing CRCs.
uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

void PutFixed32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

uint32_t GetFixed32(const char* p) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return value;
}

// Appends `message`'s frame to `out`, serializing it in place.
void Frame(const google::protobuf::MessageLite& message, std::string& out) {
  const size_t size = message.ByteSizeLong();
  const size_t at = out.size();
  out.resize(at + kFrameHeader + size);
  char* bytes = out.data() + at + kFrameHeader;
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(bytes));
  std::string header;
  PutFixed32(header, static_cast<uint32_t>(size));
  PutFixed32(header, Mask(braid_compat::ComputeCrc32c(absl::string_view(bytes, size))));
  out.replace(at, kFrameHeader, header);
}

// Parses `data` into `contents`; `*good` is the length of the records that are whole.
absl::Status Parse(const std::string& path, const std::string& data, Journal::Contents* contents,
                   size_t* good) {
  size_t at = 0;
  bool header = true;
  while (at < data.size()) {
    if (data.size() - at < kFrameHeader) break;
    const uint32_t length = GetFixed32(data.data() + at);
    const uint32_t crc = GetFixed32(data.data() + at + 4);
    if (length > kMaxRecord || data.size() - at - kFrameHeader < length) break;
    const absl::string_view bytes(data.data() + at + kFrameHeader, length);
    if (Mask(braid_compat::ComputeCrc32c(bytes)) != crc) break;
    if (header) {
      if (!contents->header.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) break;
      header = false;
    } else {
      proto::JournalRecord record;
      if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) break;
      UpgradeRecord(record);
      contents->records.push_back(std::move(record));
    }
    at += kFrameHeader + length;
  }
  *good = at;
  contents->cut_bytes = data.size() - at;
  if (!data.empty() && header) {
    return absl::DataLossError(absl::StrCat("the journal ", path,
                                            " has no readable header: it is not a Braid journal, "
                                            "or it is damaged (move it away to start afresh)"));
  }
  if (!header && contents->header.format_version() > Journal::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the journal ", path, " is format ", contents->header.format_version(),
        ", newer than this coordinator's ", Journal::kFormatVersion, ": run a newer braid"));
  }
  return absl::OkStatus();
}

}  // namespace

void UpgradeRecord(proto::JournalRecord& record) {
  if (!record.has_task_committed() || record.task_committed().has_result()) return;
  proto::TaskCommitted& old = *record.mutable_task_committed();
  proto::TaskResult result;
  proto::TaskAttempt* attempt = result.mutable_attempt();
  attempt->set_job_id(record.job_id());
  attempt->set_kind(old.kind());
  attempt->set_task(old.task());
  attempt->set_attempt(old.attempt());
  result.set_worker(std::move(*old.mutable_worker()));
  result.mutable_outputs()->Swap(old.mutable_outputs());
  result.mutable_counters()->Swap(old.mutable_counters());
  result.mutable_bag_output()->Swap(old.mutable_bag_output());
  result.mutable_skipped_records()->Swap(old.mutable_skipped_records());
  old.Clear();
  *old.mutable_result() = std::move(result);
}

std::string EncodeJournalFrame(const google::protobuf::MessageLite& record) {
  std::string frame;
  Frame(record, frame);
  return frame;
}

absl::StatusOr<Journal::Contents> ReadJournal(Env& env, const std::string& path) {
  absl::StatusOr<std::string> data = env.ReadFile(path);
  if (!data.ok()) return data.status();
  Journal::Contents contents;
  size_t good = 0;
  absl::Status parsed = Parse(path, *data, &contents, &good);
  if (!parsed.ok()) return parsed;
  return contents;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(Env& env, const std::string& state_dir,
                                                       Contents* contents) {
  absl::Status made = env.CreateDirs(state_dir);
  if (!made.ok()) return made;
  // One coordinator per state directory: the lock goes with the process, however it ends.
  const std::string lock_path = state_dir + "/LOCK";
  absl::StatusOr<std::unique_ptr<FileLock>> lock = env.LockFile(lock_path);
  if (!lock.ok()) {
    if (!absl::IsUnavailable(lock.status())) return lock.status();
    return absl::UnavailableError(absl::StrCat("another coordinator is using the state directory ",
                                               state_dir, " (", lock_path, ")"));
  }
  const std::string path = state_dir + "/journal";
  *contents = Contents();
  absl::StatusOr<FileInfo> existing = env.Stat(path);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  if (existing.ok()) {
    absl::StatusOr<std::string> data = env.ReadFile(path);
    if (!data.ok()) return data.status();
    size_t good = 0;
    absl::Status parsed = Parse(path, *data, contents, &good);
    if (!parsed.ok()) return parsed;
    if (contents->cut_bytes > 0) {
      LOG(WARNING) << "journal " << path << ": cut " << contents->cut_bytes
                   << " bytes of a torn or damaged tail after " << contents->records.size()
                   << " records";
      // Rewrite below replaces the file with its good records only.
    }
  }
  proto::JournalHeader header = contents->header;
  // The records were upgraded as they were read: the journal is rewritten in this format.
  header.set_format_version(kFormatVersion);
  if (header.cluster_id().empty()) {
    header.set_cluster_id(absl::FormatTime("%Y%m%d%H%M%S", env.Now(), absl::UTCTimeZone()));
  }
  // A new epoch: the header is rewritten with the records as they are.
  header.set_epoch(header.epoch() + 1);
  std::unique_ptr<Journal> journal(new Journal(env, path, *std::move(lock), std::move(header)));
  absl::Status rewritten = journal->Rewrite(contents->records);
  if (!rewritten.ok()) return rewritten;
  return journal;
}

Journal::~Journal() {
  if (file_ == nullptr) return;
  absl::Status flushed = Flush();
  if (!flushed.ok()) LOG(ERROR) << "journal: " << flushed;
  file_->Close().IgnoreError();  // what could fail was the flush
}

absl::Status Journal::Unusable() const {
  return absl::FailedPreconditionError(absl::StrCat(
      "the journal ", path_, " was replaced, but it could not be opened again or made durable"));
}

absl::Status Journal::Append(const proto::JournalRecord& record) {
  const size_t size = record.ByteSizeLong();
  if (size > kMaxRecord) {
    return absl::InvalidArgumentError(absl::StrCat("a journal record of ", size,
                                                   " bytes is more than the ", kMaxRecord,
                                                   " a journal reads back"));
  }
  Frame(record, buffer_);
  dirty_ = true;
  return absl::OkStatus();
}

absl::Status Journal::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  if (file_ == nullptr) {
    buffer_.clear();
    return Unusable();
  }
  absl::Status written = file_->Append(buffer_);
  if (written.ok()) {
    written_ += buffer_.size();
  } else if (absl::Status cut = file_->Truncate(written_); !cut.ok()) {
    // A partial frame would end the journal there on the next start, hiding later records.
    LOG(ERROR) << "journal " << path_ << ": cannot cut a partly written record: " << cut;
  }
  buffer_.clear();
  return written;
}

absl::Status Journal::Sync() {
  absl::Status flushed = Flush();
  if (!flushed.ok()) return flushed;
  if (file_ == nullptr) return Unusable();
  absl::Status synced = file_->Sync();
  if (!synced.ok()) {
    // What was written since the last sync may or may not be on disk, and a restart of this
    // process alone would find it in the page cache: cut it, so that what the caller was told
    // did not happen does not come back (best effort: the disk is failing).
    if (absl::Status cut = file_->Truncate(synced_); !cut.ok()) {
      LOG(ERROR) << "journal " << path_ << ": cannot cut the records that did not sync: " << cut;
    } else {
      written_ = synced_;
    }
    return synced;
  }
  synced_ = written_;
  dirty_ = false;
  return absl::OkStatus();
}

absl::Status Journal::Rewrite(const std::vector<proto::JournalRecord>& records) {
  if (file_ != nullptr) {
    absl::Status flushed = Flush();
    if (!flushed.ok()) return flushed;
  }
  std::string data;
  Frame(header_, data);
  for (const proto::JournalRecord& record : records) Frame(record, data);
  const std::string temporary = path_ + ".new";
  {
    absl::StatusOr<std::unique_ptr<WritableFile>> file = env_.NewWritableFile(temporary);
    if (!file.ok()) return file.status();
    absl::Status written = (*file)->Append(data);
    if (written.ok()) written = (*file)->Sync();
    absl::Status closed = (*file)->Close();
    if (written.ok()) written = closed;
    if (written.ok()) written = env_.RenameFile(temporary, path_);
    if (!written.ok()) {
      env_.RemoveFile(temporary).IgnoreError();  // a full disk wants its space back
      return written;
    }
  }
  // From here the file open for appending is the replaced one: it goes whatever happens next,
  // and the journal is unusable unless the new one is open and its directory entry durable (so
  // that a machine crash cannot bring the old journal back under later records).
  if (file_ != nullptr) file_->Close().IgnoreError();  // nothing buffered is left to lose
  file_.reset();
  written_ = data.size();
  synced_ = data.size();
  dirty_ = false;
  absl::StatusOr<std::unique_ptr<WritableFile>> appending = env_.NewAppendableFile(path_);
  if (!appending.ok()) return appending.status();
  if (absl::Status dir_synced = env_.SyncDir(DirName(path_)); !dir_synced.ok()) return dir_synced;
  file_ = *std::move(appending);
  return absl::OkStatus();
}

}  // namespace braid
