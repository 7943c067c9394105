// PosixEnv: Env on the POSIX calls of this machine.

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/file_error.h"

namespace braid {
namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) close(fd_);
  }

  absl::Status Append(absl::string_view data) override {
    if (fd_ < 0) return Closed();
    return WriteAll(fd_, data, path_);
  }
  absl::Status Truncate(uint64_t size) override {
    if (fd_ < 0) return Closed();
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) return FileError("truncate", path_);
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    if (fd_ < 0) return Closed();
    if (fdatasync(fd_) != 0) return FileError("sync", path_);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (fd_ < 0) return Closed();
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return FileError("close", path_);
    return absl::OkStatus();
  }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(absl::StrCat("'", path_, "' is closed"));
  }

  std::string path_;
  int fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { close(fd_); }

  absl::StatusOr<size_t> Read(char* scratch, size_t n) override {
    while (true) {
      const ssize_t got = read(fd_, scratch, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR) return FileError("read", path_);
    }
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { close(fd_); }  // the lock goes with the descriptor

 private:
  int fd_;
};

absl::StatusOr<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path, int flags,
                                                           mode_t mode = 0644) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) return FileError("create", path);
  return std::make_unique<PosixWritableFile>(path, fd);
}

class PosixEnv final : public Env {
 public:
  absl::Time Now() override { return absl::Now(); }
  absl::Duration Monotonic() override {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return absl::DurationFromTimespec(now);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return OpenForWrite(path, O_TRUNC);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return OpenForWrite(path, O_APPEND);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) override {
    // O_EXCL: never through a symlink, never over an existing file; the umask can only narrow
    // 0600.
    return OpenForWrite(path, O_EXCL, 0600);
  }

  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path,
                                                                    uint64_t offset) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return FileError("read", path);
    if (offset > 0 && lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
      absl::Status error = FileError("seek in", path);
      close(fd);
      return error;
    }
    posix_fadvise(fd, static_cast<off_t>(offset), 0, POSIX_FADV_SEQUENTIAL);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return FileError("read", path);
    std::string data;
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        absl::Status error = FileError("read", path);
        close(fd);
        return error;
      }
      if (n == 0) break;
      data.append(buffer, static_cast<size_t>(n));
    }
    close(fd);
    return data;
  }

  absl::Status CheckReadable(const std::string& path) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return FileError("read", path);
    close(fd);
    return absl::OkStatus();
  }

  absl::StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return FileError("stat", path);
    FileInfo info;
    info.type = S_ISREG(st.st_mode)   ? FileInfo::Type::kRegular
                : S_ISDIR(st.st_mode) ? FileInfo::Type::kDirectory
                                      : FileInfo::Type::kOther;
    info.size = static_cast<uint64_t>(st.st_size);
    info.modified = absl::TimeFromTimespec(st.st_mtim);
    info.permissions = static_cast<uint32_t>(st.st_mode & 07777);
    return info;
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* stream = opendir(dir.c_str());
    if (stream == nullptr) return FileError("list", dir);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = readdir(stream)) {
      const absl::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int error = errno;
    closedir(stream);
    if (error != 0) return FileError("list", dir, error);
    return names;
  }

  absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override {
    glob_t matches;
    const int result = glob(pattern.c_str(), 0, nullptr, &matches);
    std::vector<std::string> paths;
    if (result == 0) paths.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
    globfree(&matches);
    if (result == GLOB_NOMATCH) return paths;
    if (result == GLOB_NOSPACE) return FileError("expand the glob", pattern, ENOMEM);
    if (result != 0) return FileError("expand the glob", pattern, EACCES);
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  absl::Status CreateDirs(const std::string& path) override {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return FileError("create the directory", path, error.value());
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) {
      const int error = errno;  // before the message is built
      return FileError(absl::StrCat("rename '", from, "' to"), to, error);
    }
    return absl::OkStatus();
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return FileError("remove", path);
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& path) override {
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) return FileError("remove", path, error.value());
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return FileError("open the directory", dir);
    absl::Status synced = absl::OkStatus();
    if (fsync(fd) != 0) synced = FileError("sync the directory", dir);
    close(fd);
    return synced;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return FileError("open", path);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      close(fd);
      if (error == EWOULDBLOCK) {
        return absl::UnavailableError(absl::StrCat("'", path, "' is locked by another process"));
      }
      return FileError("lock", path, error);
    }
    return std::make_unique<PosixFileLock>(fd);
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace braid
