#include "messaging/curve_keys.h"

#include <zmq.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace braid {
namespace {

constexpr size_t kZ85KeyLength = 40;
constexpr absl::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// The key's lines, comments and blank lines left out: each as its words.
std::vector<std::vector<absl::string_view>> KeyLines(absl::string_view text) {
  std::vector<std::vector<absl::string_view>> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    lines.push_back(absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty()));
  }
  return lines;
}

absl::Status WriteFile(Env& env, const std::string& path, absl::string_view text, bool secret) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      secret ? env.NewPrivateFile(path) : env.NewWritableFile(path);
  if (!file.ok()) return file.status();
  absl::Status written = (*file)->Append(text);
  if (written.ok()) written = (*file)->Sync();
  absl::Status closed = (*file)->Close();
  return written.ok() ? closed : written;
}

}  // namespace

bool IsCurveKey(absl::string_view key) {
  if (key.size() != kZ85KeyLength) return false;
  for (char c : key) {
    if (!absl::StrContains(kZ85Alphabet, c)) return false;
  }
  // Some strings of the alphabet overflow a 4-byte group: libzmq would refuse them.
  const std::string terminated(key);
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, terminated.c_str()) != nullptr;
}

absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair() {
  if (!zmq_has("curve")) {
    return absl::UnimplementedError("this libzmq was built without CURVE");
  }
  char public_key[kZ85KeyLength + 1];
  char secret_key[kZ85KeyLength + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return absl::InternalError(absl::StrCat("cannot make a key pair: ", zmq_strerror(zmq_errno())));
  }
  return CurveKeyPair{public_key, secret_key};
}

absl::Status WriteCurveKeyPair(Env& env, const std::string& base, const CurveKeyPair& pair) {
  const std::string key_path = base + ".key";
  const std::string pub_path = base + ".pub";
  if (env.Exists(pub_path)) {
    return absl::AlreadyExistsError(absl::StrCat(pub_path, " exists: not overwriting it"));
  }
  // The secret file is created exclusively: it is the one that decides.
  absl::Status secret =
      WriteFile(env, key_path,
                absl::StrCat("# Braid CURVE key pair: keep this file private.\npublic ",
                             pair.public_key, "\nsecret ", pair.secret_key, "\n"),
                /*secret=*/true);
  if (absl::IsAlreadyExists(secret)) {
    return absl::AlreadyExistsError(absl::StrCat(key_path, " exists: not overwriting it"));
  }
  if (!secret.ok()) {
    env.RemoveFile(key_path).IgnoreError();
    return secret;
  }
  absl::Status shared = WriteFile(env, pub_path, absl::StrCat(pair.public_key, "\n"),
                                  /*secret=*/false);
  if (!shared.ok()) {
    env.RemoveFile(key_path).IgnoreError();
    env.RemoveFile(pub_path).IgnoreError();
  }
  return shared;
}

absl::StatusOr<CurveKeyPair> ReadCurveKeyPair(Env& env, const std::string& path) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok()) return info.status();
  if ((info->permissions & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("%s may be read by others (mode %04o): it holds a secret key; chmod 600 it",
                        path, info->permissions));
  }
  absl::StatusOr<std::string> text = env.ReadFile(path);
  if (!text.ok()) return text.status();
  CurveKeyPair pair;
  for (const std::vector<absl::string_view>& words : KeyLines(*text)) {
    if (words.size() != 2 || (words[0] != "public" && words[0] != "secret") ||
        !IsCurveKey(words[1])) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": not a key file (expected lines 'public KEY' and 'secret KEY', as braid keygen "
          "writes)"));
    }
    (words[0] == "public" ? pair.public_key : pair.secret_key) = std::string(words[1]);
  }
  if (pair.public_key.empty() || pair.secret_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": a key file needs both a 'public' and a 'secret' line"));
  }
  char derived[kZ85KeyLength + 1];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0 || pair.public_key != derived) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": its public key is not the secret key's"));
  }
  return pair;
}

absl::StatusOr<std::string> ReadCurvePublicKey(Env& env, const std::string& path) {
  absl::StatusOr<std::string> text = env.ReadFile(path);
  if (!text.ok()) return text.status();
  for (const std::vector<absl::string_view>& words : KeyLines(*text)) {
    if (words.size() == 1 && IsCurveKey(words[0])) return std::string(words[0]);
    if (words.size() == 2 && words[0] == "public" && IsCurveKey(words[1])) {
      return std::string(words[1]);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path,
                   ": holds no CURVE public key (40 characters of Z85, as braid keygen "
                   "writes in NAME.pub)"));
}

}  // namespace braid
