#include "coordinator/journal.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

// Format 3's frame: marker | masked CRC-32C of (length | bytes) | length | bytes.
constexpr uint32_t kMarker = 0xC31F9AB5u;
constexpr size_t kFrameHeader = 12;
// Format 1 and 2's frame: length | masked CRC-32C of bytes | bytes.
constexpr size_t kLegacyFrameHeader = 8;
// A record larger than this is corruption, not a record.
constexpr uint32_t kMaxRecord = Journal::kMaxRecordBytes;

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
  PutFixed32(header, kMarker);
  PutFixed32(header, 0);  // the CRC, below
  PutFixed32(header, static_cast<uint32_t>(size));
  out.replace(at, kFrameHeader, header);
  const uint32_t crc =
      Mask(braid_compat::ComputeCrc32c(absl::string_view(out.data() + at + 8, 4 + size)));
  std::string crc_bytes;
  PutFixed32(crc_bytes, crc);
  out.replace(at + 4, 4, crc_bytes);
}

// What the bytes at an offset are.
struct FrameAt {
  enum State {
    kWhole,  // a frame whose checksum holds
    kShort,  // the start of a frame the file ends within
    kBad,    // anything else
  } state = kBad;
  absl::string_view bytes;  // the record's bytes (kWhole)
  size_t size = 0;          // the frame's (kWhole)
};

FrameAt CheckFrame(absl::string_view data, size_t at) {
  FrameAt frame;
  const absl::string_view rest = data.substr(at);
  std::string marker;
  PutFixed32(marker, kMarker);
  if (rest.size() < kFrameHeader) {
    const size_t compared = std::min<size_t>(rest.size(), 4);
    if (rest.substr(0, compared) == absl::string_view(marker).substr(0, compared)) {
      frame.state = FrameAt::kShort;
    }
    return frame;
  }
  if (GetFixed32(rest.data()) != kMarker) return frame;
  const uint32_t length = GetFixed32(rest.data() + 8);
  if (length > kMaxRecord) return frame;
  if (rest.size() - kFrameHeader < length) {
    frame.state = FrameAt::kShort;
    return frame;
  }
  if (Mask(braid_compat::ComputeCrc32c(rest.substr(8, 4 + length))) !=
      GetFixed32(rest.data() + 4)) {
    return frame;
  }
  frame.state = FrameAt::kWhole;
  frame.bytes = rest.substr(kFrameHeader, length);
  frame.size = kFrameHeader + length;
  return frame;
}

FrameAt CheckLegacyFrame(absl::string_view data, size_t at) {
  FrameAt frame;
  const absl::string_view rest = data.substr(at);
  if (rest.size() < kLegacyFrameHeader) {
    frame.state = FrameAt::kShort;
    return frame;
  }
  const uint32_t length = GetFixed32(rest.data());
  if (length > kMaxRecord) return frame;
  if (rest.size() - kLegacyFrameHeader < length) {
    frame.state = FrameAt::kShort;
    return frame;
  }
  const absl::string_view bytes = rest.substr(kLegacyFrameHeader, length);
  if (Mask(braid_compat::ComputeCrc32c(bytes)) != GetFixed32(rest.data() + 4)) return frame;
  frame.state = FrameAt::kWhole;
  frame.bytes = bytes;
  frame.size = kLegacyFrameHeader + length;
  return frame;
}

// The offset of the first whole frame after `at`, or npos.
size_t NextWholeFrame(absl::string_view data, size_t at) {
  std::string marker;
  PutFixed32(marker, kMarker);
  for (size_t candidate = data.find(marker, at + 1); candidate != absl::string_view::npos;
       candidate = data.find(marker, candidate + 1)) {
    if (CheckFrame(data, candidate).state == FrameAt::kWhole) return candidate;
  }
  return absl::string_view::npos;
}

bool AllZero(absl::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

const char* RecordKindName(const proto::JournalRecord& record) {
  switch (record.record_case()) {
    case proto::JournalRecord::kJobAccepted:
      return "job acceptance";
    case proto::JournalRecord::kTaskCommitted:
      return "task commit";
    case proto::JournalRecord::kJobEnded:
      return "job end";
    default:
      return "record of an unknown kind";
  }
}

// What the damaged bytes at `at` seem to be: their checksum fails, but they may still parse.
std::string GuessDamaged(absl::string_view data, size_t at, bool legacy) {
  const size_t header_size = legacy ? kLegacyFrameHeader : kFrameHeader;
  const absl::string_view rest = data.substr(at);
  if (rest.size() >= header_size && (legacy || GetFixed32(rest.data()) == kMarker)) {
    const uint32_t length = GetFixed32(rest.data() + (legacy ? 0 : 8));
    if (length <= rest.size() - header_size) {
      const absl::string_view bytes = rest.substr(header_size, length);
      if (at == 0) {
        return "the header, which fails its checksum";
      }
      proto::JournalRecord record;
      if (record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
          record.record_case() != proto::JournalRecord::RECORD_NOT_SET) {
        return absl::StrCat("what looks like a ", RecordKindName(record), " of job ",
                            record.job_id(), ", which fails its checksum");
      }
      return "a record that fails its checksum";
    }
  }
  return at == 0 ? "no readable header: it is not a Braid journal, or it is damaged"
                 : "bytes that are no record";
}

// Takes a whole frame's bytes: the header at offset 0, a record after it.
bool AcceptFrame(absl::string_view bytes, size_t at, Journal::Contents* contents) {
  if (at == 0) {
    if (!contents->header.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      contents->header.Clear();
      return false;
    }
    contents->has_header = true;
    return true;
  }
  proto::JournalRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  UpgradeRecord(record);
  contents->records.push_back(std::move(record));
  return true;
}

void AddDamage(absl::string_view data, size_t at, size_t length, bool legacy,
               Journal::Contents* contents) {
  Journal::Damage& damage = contents->damage.emplace_back();
  damage.offset = at;
  damage.length = length;
  damage.what = GuessDamaged(data, at, legacy);
  damage.records_before = contents->records.size();
}

// Format 2 and older: no marker to resynchronise on, so damage ends what can be read.
void ScanLegacy(absl::string_view data, Journal::Contents* contents) {
  size_t at = 0;
  while (at < data.size()) {
    const FrameAt frame = CheckLegacyFrame(data, at);
    if (frame.state == FrameAt::kWhole && AcceptFrame(frame.bytes, at, contents)) {
      at += frame.size;
      continue;
    }
    if (frame.state == FrameAt::kShort || AllZero(data.substr(at))) {
      contents->cut_bytes = data.size() - at;
    } else {
      AddDamage(data, at, data.size() - at, /*legacy=*/true, contents);
      contents->damage.back().what +=
          " (a journal of format 2 or older has no markers: nothing after it can be read)";
    }
    return;
  }
}

// Whether `data` starts with a format 1 or 2 header (a damaged marker makes no legacy journal:
// the records after it are read by their markers).
bool IsLegacyJournal(absl::string_view data) {
  const FrameAt frame = CheckLegacyFrame(data, 0);
  if (frame.state != FrameAt::kWhole) return false;
  proto::JournalHeader header;
  return header.ParseFromArray(frame.bytes.data(), static_cast<int>(frame.bytes.size())) &&
         header.format_version() >= 1 && header.format_version() <= 2;
}

Journal::Contents Scan(absl::string_view data) {
  Journal::Contents contents;
  if (data.empty()) {
    Journal::Damage& damage = contents.damage.emplace_back();
    damage.what = "an empty file (a coordinator never leaves an empty journal)";
  } else if (IsLegacyJournal(data)) {
    ScanLegacy(data, &contents);
  } else {
    size_t at = 0;
    while (at < data.size()) {
      const FrameAt frame = CheckFrame(data, at);
      if (frame.state == FrameAt::kWhole && AcceptFrame(frame.bytes, at, &contents)) {
        at += frame.size;
        continue;
      }
      const size_t next = NextWholeFrame(data, at);
      if (next == absl::string_view::npos) {
        // Nothing intact follows: a frame the file ends within, or zeros, is a torn write.
        if (frame.state == FrameAt::kShort || AllZero(data.substr(at))) {
          contents.cut_bytes = data.size() - at;
        } else {
          AddDamage(data, at, data.size() - at, /*legacy=*/false, &contents);
        }
        break;
      }
      AddDamage(data, at, next - at, /*legacy=*/false, &contents);
      at = next;
    }
  }
  uint64_t next_number = std::max<uint64_t>(1, contents.header.next_job_number());
  for (const proto::JournalRecord& record : contents.records) {
    if (record.has_job_accepted()) {
      next_number = std::max<uint64_t>(next_number, record.job_accepted().number() + 1);
    } else if (record.has_job_ended()) {
      next_number = std::max<uint64_t>(next_number, record.job_ended().number() + 1);
    }
  }
  contents.next_job_number = next_number;
  return contents;
}

absl::Status CheckFormat(const std::string& path, const Journal::Contents& contents) {
  if (contents.has_header && contents.header.format_version() > Journal::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the journal ", path, " is format ", contents.header.format_version(),
        ", newer than this coordinator's ", Journal::kFormatVersion, ": run a newer braid"));
  }
  return absl::OkStatus();
}

std::string RepairAdvice(const std::string& state_dir) {
  return absl::StrCat(
      ". The coordinator does not start on it: that would forget what the lost records promised. "
      "`braid journal repair ",
      state_dir, "` moves it aside and keeps every intact record; `braid journal ", state_dir,
      "` shows them");
}

// Writes `data` at `path` by way of a temporary file, synced and renamed over it (the caller
// syncs the directory). On failure `path` is as it was and the temporary file is gone.
// Writes `data` as the file `path`, synced. On failure the file is gone again.
absl::Status WriteSynced(Env& env, const std::string& path, const std::string& data) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = env.NewWritableFile(path);
  if (!file.ok()) return file.status();
  absl::Status written = (*file)->Append(data);
  if (written.ok()) written = (*file)->Sync();
  absl::Status closed = (*file)->Close();
  if (written.ok()) written = closed;
  if (!written.ok()) env.RemoveFile(path).IgnoreError();  // a full disk wants its space back
  return written;
}

absl::Status ReplaceFile(Env& env, const std::string& path, const std::string& data) {
  const std::string temporary = path + ".new";
  absl::Status written = WriteSynced(env, temporary, data);
  if (written.ok()) written = env.RenameFile(temporary, path);
  if (!written.ok()) env.RemoveFile(temporary).IgnoreError();
  return written;
}

// STATE_DIR/LOCK; kUnavailable (its message ending with `advice`) while a coordinator holds it.
absl::StatusOr<std::unique_ptr<FileLock>> LockStateDir(Env& env, const std::string& state_dir,
                                                       absl::string_view advice) {
  const std::string lock_path = state_dir + "/LOCK";
  absl::StatusOr<std::unique_ptr<FileLock>> lock = env.LockFile(lock_path);
  if (lock.ok() || !absl::IsUnavailable(lock.status())) return lock;
  return absl::UnavailableError(absl::StrCat("another coordinator is using the state directory ",
                                             state_dir, " (", lock_path, ")", advice));
}

std::string IdentityPath(const std::string& state_dir) { return state_dir + "/IDENTITY"; }

// The state directory's IDENTITY, or nullopt if it has none. kDataLoss if it is damaged.
absl::StatusOr<std::optional<proto::StateIdentity>> ReadIdentity(Env& env,
                                                                 const std::string& state_dir) {
  const std::string path = IdentityPath(state_dir);
  absl::StatusOr<std::string> data = env.ReadFile(path);
  if (absl::IsNotFound(data.status())) return std::nullopt;
  if (!data.ok()) return data.status();
  const FrameAt frame = CheckFrame(*data, 0);
  proto::StateIdentity identity;
  if (frame.state != FrameAt::kWhole || frame.size != data->size() ||
      !identity.ParseFromArray(frame.bytes.data(), static_cast<int>(frame.bytes.size())) ||
      identity.cluster_id().empty()) {
    return absl::DataLossError(
        absl::StrCat("the state directory's ", path,
                     " is damaged: the coordinator does not start without it, as it might give a "
                     "job id twice. `braid journal repair ",
                     state_dir, "` writes it again from the journal"));
  }
  return identity;
}

absl::Status WriteIdentity(Env& env, const std::string& state_dir,
                           const proto::StateIdentity& identity) {
  std::string data;
  Frame(identity, data);
  absl::Status replaced = ReplaceFile(env, IdentityPath(state_dir), data);
  if (!replaced.ok()) return replaced;
  return env.SyncDir(state_dir);
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
  Journal::Contents contents = Scan(*data);
  if (absl::Status format = CheckFormat(path, contents); !format.ok()) return format;
  return contents;
}

std::string DescribeDamage(const std::string& path, const Journal::Contents& contents,
                           const Journal::Damage& damage) {
  if (damage.length == 0) return absl::StrCat("the journal ", path, " is ", damage.what);
  std::string description =
      absl::StrCat("the journal ", path, " is damaged at byte ", damage.offset, ": ", damage.length,
                   " bytes there are ", damage.what, "; ");
  const size_t after = contents.records.size() - damage.records_before;
  if (after == 0) {
    absl::StrAppend(&description, "no intact record follows");
    return description;
  }
  std::map<std::string, size_t> kinds;
  for (size_t i = damage.records_before; i < contents.records.size(); ++i) {
    ++kinds[RecordKindName(contents.records[i])];
  }
  std::vector<std::string> counts;
  for (const auto& [kind, count] : kinds) {
    // "job acceptance", "task commit", "job end": "s" makes each plural.
    const bool plain =
        count == 1 || (!absl::StartsWith(kind, "job") && !absl::StartsWith(kind, "task"));
    counts.push_back(absl::StrCat(count, " ", kind, plain ? "" : "s"));
  }
  absl::StrAppend(&description, after,
                  after == 1 ? " intact record follows" : " intact records follow", " (",
                  absl::StrJoin(counts, ", "), ")");
  return description;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(Env& env, const std::string& state_dir,
                                                       Contents* contents) {
  absl::Status made = env.CreateDirs(state_dir);
  if (!made.ok()) return made;
  // One coordinator per state directory: the lock goes with the process, however it ends.
  absl::StatusOr<std::unique_ptr<FileLock>> lock = LockStateDir(env, state_dir, "");
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::optional<proto::StateIdentity>> identity = ReadIdentity(env, state_dir);
  if (!identity.ok()) return identity.status();
  const std::string path = state_dir + "/journal";
  *contents = Contents();
  absl::StatusOr<FileInfo> existing = env.Stat(path);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  if (!existing.ok() && identity->has_value()) {
    return absl::DataLossError(absl::StrCat("the state directory ", state_dir,
                                            " has been used by cluster ", (*identity)->cluster_id(),
                                            " (its IDENTITY says so), "
                                            "but its journal is missing",
                                            RepairAdvice(state_dir)));
  }
  if (existing.ok()) {
    if (existing->type == FileInfo::Type::kDirectory) {
      return absl::DataLossError(
          absl::StrCat("the journal ", path, " is a directory", RepairAdvice(state_dir)));
    }
    absl::StatusOr<std::string> data = env.ReadFile(path);
    if (!data.ok()) return data.status();
    *contents = Scan(*data);
    if (absl::Status format = CheckFormat(path, *contents); !format.ok()) return format;
    if (!contents->damage.empty()) {
      std::string message = DescribeDamage(path, *contents, contents->damage.front());
      if (contents->damage.size() > 1) {
        absl::StrAppend(&message, ", and it is damaged in ", contents->damage.size() - 1,
                        " more places");
      }
      return absl::DataLossError(absl::StrCat(message, RepairAdvice(state_dir)));
    }
    if (identity->has_value() && contents->header.cluster_id() != (*identity)->cluster_id()) {
      return absl::DataLossError(
          absl::StrCat("the journal ", path, " is cluster ", contents->header.cluster_id(),
                       "'s, but the state directory's IDENTITY says cluster ",
                       (*identity)->cluster_id(), RepairAdvice(state_dir)));
    }
    if (contents->cut_bytes > 0) {
      LOG(WARNING) << "journal " << path << ": cut " << contents->cut_bytes
                   << " bytes of a torn tail after " << contents->records.size() << " records";
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
  const uint32_t last_epoch =
      std::max(header.epoch(), identity->has_value() ? (*identity)->epoch() : 0u);
  header.set_epoch(last_epoch + 1);
  header.set_next_job_number(contents->next_job_number);
  proto::StateIdentity now;
  now.set_cluster_id(header.cluster_id());
  now.set_epoch(header.epoch());
  now.set_job_numbers_below(std::max(identity->has_value() ? (*identity)->job_numbers_below() : 0,
                                     contents->next_job_number + kJobNumberLease));
  // Before the journal, when there is one: a crash between the two leaves an IDENTITY ahead of
  // the journal, which is harmless (an epoch or job numbers skipped), never behind it. In a
  // fresh state directory the journal comes first (an IDENTITY alone would mean a lost journal).
  const bool fresh = !existing.ok();
  if (!fresh) {
    if (absl::Status written = WriteIdentity(env, state_dir, now); !written.ok()) return written;
  }
  std::unique_ptr<Journal> journal(
      new Journal(env, path, *std::move(lock), std::move(header), now));
  absl::Status rewritten = journal->Rewrite(contents->records);
  if (!rewritten.ok()) return rewritten;
  if (fresh) {
    if (absl::Status written = WriteIdentity(env, state_dir, now); !written.ok()) return written;
  }
  return journal;
}

absl::StatusOr<Journal::RepairReport> Journal::Repair(Env& env, const std::string& state_dir) {
  absl::StatusOr<FileInfo> dir = env.Stat(state_dir);
  if (!dir.ok()) return dir.status();
  if (dir->type != FileInfo::Type::kDirectory) {
    return absl::NotFoundError(absl::StrCat(state_dir, " is not a directory"));
  }
  absl::StatusOr<std::unique_ptr<FileLock>> lock =
      LockStateDir(env, state_dir, ": stop it before repairing its journal");
  if (!lock.ok()) return lock.status();
  RepairReport report;
  bool identity_damaged = false;
  std::optional<proto::StateIdentity> identity;
  if (absl::StatusOr<std::optional<proto::StateIdentity>> read = ReadIdentity(env, state_dir);
      read.ok()) {
    identity = *read;
  } else if (absl::IsDataLoss(read.status())) {
    identity_damaged = true;
    report.notes.push_back("the IDENTITY was damaged: it is written again from the journal");
  } else {
    return read.status();
  }

  const std::string path = state_dir + "/journal";
  Contents contents;
  bool journal_damaged = false;
  absl::StatusOr<FileInfo> existing = env.Stat(path);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  const bool missing = !existing.ok();
  if (missing) {
    if (!identity.has_value() && !identity_damaged) {
      return absl::NotFoundError(absl::StrCat(state_dir,
                                              " holds neither a journal nor an IDENTITY: nothing "
                                              "to repair (a coordinator starts afresh there)"));
    }
    absl::StatusOr<std::vector<std::string>> children = env.GetChildren(state_dir);
    if (!children.ok()) return children.status();
    for (const std::string& child : *children) {
      if (absl::StartsWith(child, "journal.damaged-") || child == "journal.repaired") {
        return absl::FailedPreconditionError(absl::StrCat(
            state_dir, " has no journal but holds ", child,
            ", a journal an earlier repair moved aside or was writing: move the one to keep back "
            "to ",
            path, " and repair again"));
      }
    }
    journal_damaged = true;
    report.notes.push_back("the journal was missing: the new one holds no record");
  } else if (existing->type == FileInfo::Type::kDirectory) {
    journal_damaged = true;
    report.notes.push_back("the journal was a directory: the new one holds no record");
  } else {
    absl::StatusOr<std::string> data = env.ReadFile(path);
    if (!data.ok()) return data.status();
    contents = Scan(*data);
    if (absl::Status format = CheckFormat(path, contents); !format.ok()) return format;
    journal_damaged = !contents.damage.empty();
    report.damage = contents.damage;
  }
  bool identity_differs = false;
  if (identity.has_value() && contents.has_header &&
      identity->cluster_id() != contents.header.cluster_id()) {
    identity_differs = true;
    report.notes.push_back(absl::StrCat("the IDENTITY named cluster ", identity->cluster_id(),
                                        ": the journal's ", contents.header.cluster_id(),
                                        " is kept"));
  }

  proto::JournalHeader header = contents.header;
  if (!contents.has_header) {
    if (identity.has_value()) {
      header.set_cluster_id(identity->cluster_id());
    } else {
      header.set_cluster_id(absl::FormatTime("%Y%m%d%H%M%S", env.Now(), absl::UTCTimeZone()));
      report.new_cluster_id = true;
      report.notes.push_back(
          "the header and the IDENTITY were both lost: the cluster has a new id, so later job "
          "ids differ from earlier ones");
    }
  }
  header.set_format_version(kFormatVersion);
  uint64_t next_number = contents.next_job_number;
  if (identity.has_value()) {
    header.set_epoch(std::max(header.epoch(), identity->epoch()));
    // The journal lost records: numbers it does not know of may have been given.
    if (journal_damaged) next_number = std::max(next_number, identity->job_numbers_below());
  } else if (journal_damaged) {
    report.notes.push_back(
        "there was no intact IDENTITY: job numbers go on above those the intact records name");
  }
  header.set_next_job_number(next_number);
  report.cluster_id = header.cluster_id();
  report.epoch = header.epoch();
  report.next_job_number = next_number;
  report.records_kept = contents.records.size();
  if (!journal_damaged && !identity_damaged && !identity_differs && identity.has_value()) {
    return report;  // nothing to mend
  }

  // What the lost records may have held.
  if (journal_damaged) {
    std::map<std::string, std::pair<bool, size_t>> jobs;  // accepted or ended; records
    for (const proto::JournalRecord& record : contents.records) {
      auto& [known, count] = jobs[record.job_id()];
      known = known || record.has_job_accepted() || record.has_job_ended();
      ++count;
    }
    for (const auto& [job, known_count] : jobs) {
      if (!known_count.first) {
        report.notes.push_back(
            absl::StrCat("job ", job, ": its acceptance was lost; its ", known_count.second,
                         " other records are kept, but it does not run again: submit it again"));
      }
    }
    if (!contents.damage.empty()) {
      report.notes.push_back(
          "a job accepted or ended only in the damaged bytes is not known any more: `braid "
          "status` lists what survived, and a job whose end was lost runs again from its "
          "committed tasks");
    }
  }

  if (journal_damaged) {
    // The new journal is whole on disk before the old one moves: a failure at any step leaves
    // a journal (the old or the new) at `path`, never none.
    std::string data;
    Frame(header, data);
    for (const proto::JournalRecord& record : contents.records) Frame(record, data);
    const std::string repaired = path + ".repaired";
    if (absl::Status written = WriteSynced(env, repaired, data); !written.ok()) return written;
    if (!missing) {
      const std::string stamp = absl::FormatTime("%Y%m%dT%H%M%S", env.Now(), absl::UTCTimeZone());
      std::string aside = absl::StrCat(path, ".damaged-", stamp);
      for (int n = 2; env.Exists(aside); ++n) {
        aside = absl::StrCat(path, ".damaged-", stamp, "-", n);
      }
      if (absl::Status moved = env.RenameFile(path, aside); !moved.ok()) {
        env.RemoveFile(repaired).IgnoreError();
        return moved;
      }
      report.moved_to = aside;
    }
    if (absl::Status moved = env.RenameFile(repaired, path); !moved.ok()) return moved;
    if (absl::Status synced = env.SyncDir(state_dir); !synced.ok()) return synced;
  }
  proto::StateIdentity mended;
  mended.set_cluster_id(header.cluster_id());
  mended.set_epoch(header.epoch());
  mended.set_job_numbers_below(next_number);
  if (absl::Status written = WriteIdentity(env, state_dir, mended); !written.ok()) return written;
  report.repaired = true;
  return report;
}

absl::Status Journal::ReserveJobNumber(uint64_t number) {
  if (number < identity_.job_numbers_below()) return absl::OkStatus();
  proto::StateIdentity extended = identity_;
  extended.set_job_numbers_below(number + kJobNumberLease);
  if (absl::Status written = WriteIdentity(env_, DirName(path_), extended); !written.ok()) {
    return written;
  }
  identity_ = std::move(extended);
  return absl::OkStatus();
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
  for (const proto::JournalRecord& record : records) {
    // A frame the reader would refuse must not be written, not even whole.
    if (record.ByteSizeLong() > kMaxRecord) {
      return absl::InvalidArgumentError(
          absl::StrCat("a record of job ", record.job_id(), " is more than the ", kMaxRecord,
                       " bytes a journal reads back: the journal is not rewritten"));
    }
    Frame(record, data);
  }
  if (absl::Status written = ReplaceFile(env_, path_, data); !written.ok()) return written;
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
