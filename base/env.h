// Env: every operating-system call Braid's coordinator, journal and worker make — the wall clock
// and the filesystem — behind one interface, in LevelDB's manner, so that a test can run them on
// FakeEnv (base/fake_env.h): fail any call on command, fill the disk, lose what was not synced.
//
// Errors are FileError's (base/file_error.h): "cannot WHAT 'PATH': reason", coded by what the
// caller should do — kNotFound, kPermissionDenied, kResourceExhausted for a full disk, ...
//
// Threading: an Env may be called from any thread (PosixEnv is stateless; FakeEnv locks). A
// WritableFile or FileLock belongs to one thread at a time.

#ifndef BRAID_BASE_ENV_H_
#define BRAID_BASE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace braid {

// A file being written. Closing it (or destroying it) does not sync it.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data`. On failure part of it may have been written (Truncate cuts it).
  virtual absl::Status Append(absl::string_view data) = 0;
  // Cuts the file to its first `size` bytes.
  virtual absl::Status Truncate(uint64_t size) = 0;
  // Makes what was appended durable: after Sync returns OK, a crash of the machine loses none of
  // it (fdatasync).
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

// A file read from front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch`: how many it read, 0 at the end of the file.
  virtual absl::StatusOr<size_t> Read(char* scratch, size_t n) = 0;
};

// Held while it lives: another holder's LockFile of the same path fails.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct FileInfo {
  enum class Type { kRegular, kDirectory, kOther };
  Type type = Type::kRegular;
  uint64_t size = 0;
  absl::Time modified;
  // The permission bits of the mode (0644, 0600, ...).
  uint32_t permissions = 0644;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process's PosixEnv; never destroyed.
  static Env* Default();

  // The wall clock (what users read: job ids, journal times). It may jump; intervals are
  // measured on Monotonic() or on the reactor's clock.
  virtual absl::Time Now() = 0;
  // Time since a fixed, arbitrary origin; never goes back (CLOCK_MONOTONIC). For measuring how
  // long something took off the reactor's loop (a task on a pool thread).
  virtual absl::Duration Monotonic() = 0;

  // Creates `path`, or empties it if it exists.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens `path` to append to it, creating it if there is none.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  // Creates `path` readable and writable by its owner only (mode 0600), for secrets.
  // kAlreadyExists if anything is at `path`: it is left as it was.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) = 0;
  // Opens `path` to read it from byte `offset` on (the system reads ahead).
  virtual absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path,
                                                                            uint64_t offset) = 0;
  // The whole of `path`.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // OK if `path` can be opened for reading (it is opened and closed again).
  virtual absl::Status CheckReadable(const std::string& path) = 0;
  // kNotFound if nothing is at `path`.
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // The names (not paths) in directory `dir`, without "." and "..", in no order.
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // The paths matching shell pattern `pattern` (*, ?, [...]; '/' matched only by '/'), sorted;
  // empty if none does.
  virtual absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) = 0;

  // Makes directory `path` and its missing parents; OK if it exists.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // Renames `from` to `to`, replacing a file at `to`, atomically.
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Removes `path` and, for a directory, all it holds; OK if nothing is there. Slow for a large
  // tree: callers on a reactor's loop run it on the reactor's pool.
  virtual absl::Status RemoveAll(const std::string& path) = 0;
  // Makes the entries of directory `dir` (files created, renamed or removed in it) durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  // Locks `path` (creating it) for this process: kUnavailable if another holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Writes `data` as the whole of `path`, without syncing it.
  absl::Status WriteStringToFile(const std::string& path, absl::string_view data);
  // Whether anything is at `path`.
  bool Exists(const std::string& path) { return Stat(path).ok(); }
};

// An Env that passes every call on to `target` (LevelDB's EnvWrapper): a subclass changes one.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  absl::Time Now() override { return target_->Now(); }
  absl::Duration Monotonic() override { return target_->Monotonic(); }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return target_->NewWritableFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return target_->NewAppendableFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) override {
    return target_->NewPrivateFile(path);
  }
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path,
                                                                    uint64_t offset) override {
    return target_->NewSequentialFile(path, offset);
  }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  absl::Status CheckReadable(const std::string& path) override {
    return target_->CheckReadable(path);
  }
  absl::StatusOr<FileInfo> Stat(const std::string& path) override { return target_->Stat(path); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return target_->GetChildren(dir);
  }
  absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override {
    return target_->Glob(pattern);
  }
  absl::Status CreateDirs(const std::string& path) override { return target_->CreateDirs(path); }
  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  absl::Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  absl::Status RemoveAll(const std::string& path) override { return target_->RemoveAll(path); }
  absl::Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }

 private:
  Env* target_;
};

// The directory part of `path` ("." for a bare name).
std::string DirName(const std::string& path);

// Up to `length` bytes of `path` from `offset` (fewer at its end; none past it).
absl::StatusOr<std::string> ReadFileRange(Env& env, const std::string& path, uint64_t offset,
                                          size_t length);

}  // namespace braid

#endif  // BRAID_BASE_ENV_H_
