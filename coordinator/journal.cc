#include "coordinator/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file_error.h"
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

void Frame(const google::protobuf::MessageLite& message, std::string& out) {
  const std::string bytes = message.SerializeAsString();
  PutFixed32(out, static_cast<uint32_t>(bytes.size()));
  PutFixed32(out, Mask(braid_compat::ComputeCrc32c(bytes)));
  out += bytes;
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

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError("read", path);
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

}  // namespace

std::string EncodeJournalFrame(const google::protobuf::MessageLite& record) {
  std::string frame;
  Frame(record, frame);
  return frame;
}

absl::StatusOr<Journal::Contents> ReadJournal(const std::string& path) {
  absl::StatusOr<std::string> data = ReadAll(path);
  if (!data.ok()) return data.status();
  Journal::Contents contents;
  size_t good = 0;
  absl::Status parsed = Parse(path, *data, &contents, &good);
  if (!parsed.ok()) return parsed;
  return contents;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& state_dir,
                                                       Contents* contents) {
  std::error_code error;
  std::filesystem::create_directories(state_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create the state directory ", state_dir, ": ", error.message()));
  }
  // One coordinator per state directory: the lock goes with the process, however it ends.
  const std::string lock_path = state_dir + "/LOCK";
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return FileError("open", lock_path);
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::UnavailableError(absl::StrCat("another coordinator is using the state directory ",
                                               state_dir, " (", lock_path, ")"));
  }
  absl::StatusOr<std::unique_ptr<Journal>> journal = OpenLocked(state_dir, lock_fd, contents);
  if (!journal.ok()) close(lock_fd);
  return journal;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::OpenLocked(const std::string& state_dir,
                                                             int lock_fd, Contents* contents) {
  const std::string path = state_dir + "/journal";
  *contents = Contents();
  if (std::filesystem::exists(path)) {
    absl::StatusOr<std::string> data = ReadAll(path);
    if (!data.ok()) return data.status();
    size_t good = 0;
    absl::Status parsed = Parse(path, *data, contents, &good);
    if (!parsed.ok()) return parsed;
    if (contents->cut_bytes > 0) {
      LOG(WARNING) << "journal " << path << ": cut " << contents->cut_bytes
                   << " bytes of a torn or damaged tail after " << contents->records.size()
                   << " records";
      if (truncate(path.c_str(), static_cast<off_t>(good)) != 0) {
        return FileError("cut the torn tail of", path);
      }
    }
  }
  proto::JournalHeader header = contents->header;
  if (header.cluster_id().empty()) {
    header.set_format_version(kFormatVersion);
    header.set_cluster_id(absl::FormatTime("%Y%m%d%H%M%S", absl::Now(), absl::UTCTimeZone()));
  }
  // A new epoch: the header is rewritten with the records as they are.
  header.set_epoch(header.epoch() + 1);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("open", path);
  std::unique_ptr<Journal> journal(new Journal(path, fd, lock_fd, std::move(header)));
  absl::Status rewritten = journal->Rewrite(contents->records);
  if (!rewritten.ok()) {
    journal->lock_fd_ = -1;  // the caller closes it
    return rewritten;
  }
  return journal;
}

Journal::~Journal() {
  absl::Status flushed = Flush();
  if (!flushed.ok()) LOG(ERROR) << "journal: " << flushed;
  close(fd_);
  if (lock_fd_ >= 0) close(lock_fd_);
}

void Journal::Append(const proto::JournalRecord& record) {
  Frame(record, buffer_);
  dirty_ = true;
}

absl::Status Journal::Flush() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status written = WriteAll(fd_, buffer_, path_);
  if (written.ok()) {
    written_ += buffer_.size();
  } else if (ftruncate(fd_, static_cast<off_t>(written_)) != 0) {
    // A partial frame would end the journal there on the next start, hiding later records.
    LOG(ERROR) << "journal " << path_
               << ": cannot cut a partly written record: " << std::strerror(errno);
  }
  buffer_.clear();
  return written;
}

absl::Status Journal::Sync() {
  absl::Status flushed = Flush();
  if (!flushed.ok()) return flushed;
  if (fdatasync(fd_) != 0) return FileError("sync", path_);
  dirty_ = false;
  return absl::OkStatus();
}

absl::Status Journal::Rewrite(const std::vector<proto::JournalRecord>& records) {
  absl::Status flushed = Flush();
  if (!flushed.ok()) return flushed;
  std::string data;
  Frame(header_, data);
  for (const proto::JournalRecord& record : records) Frame(record, data);
  const std::string temporary = path_ + ".new";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("create", temporary);
  absl::Status written = WriteAll(fd, data, temporary);
  if (written.ok() && fdatasync(fd) != 0) written = FileError("sync", temporary);
  close(fd);
  if (!written.ok()) return written;
  if (rename(temporary.c_str(), path_.c_str()) != 0) return FileError("replace", path_);
  // The directory entry too, so that the new file is the journal after a machine crash.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  const int dir_fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  const int fd_new = open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_new < 0) return FileError("open", path_);
  close(fd_);
  fd_ = fd_new;
  written_ = data.size();
  dirty_ = false;
  return absl::OkStatus();
}

}  // namespace braid
