#include "messaging/authorized_keys.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "messaging/curve_keys.h"

namespace braid {

absl::string_view KeyRoleName(KeyRole role) {
  switch (role) {
    case KeyRole::kWorker:
      return "worker";
    case KeyRole::kClient:
      return "client";
    case KeyRole::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<AuthorizedKeys> AuthorizedKeys::Parse(absl::string_view text,
                                                     absl::string_view source) {
  AuthorizedKeys keys;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", number, ": ", what));
    };
    if (words.size() < 2) return error("expected 'ROLE KEY [COMMENT]'");
    Entry entry;
    if (words[0] == "worker") {
      entry.role = KeyRole::kWorker;
    } else if (words[0] == "client") {
      entry.role = KeyRole::kClient;
    } else if (words[0] == "admin") {
      entry.role = KeyRole::kAdmin;
    } else {
      return error(
          absl::StrCat("unknown role '", words[0], "' (expected worker, client or admin)"));
    }
    if (!IsCurveKey(words[1])) {
      return error(absl::StrCat("'", words[1],
                                "' is not a CURVE public key (40 characters of Z85, as braid "
                                "keygen writes in NAME.pub)"));
    }
    if (words.size() > 2) {
      // The rest of the line after the key, as written (columns may be aligned with spaces).
      const size_t after_key = static_cast<size_t>(words[1].data() + words[1].size() - line.data());
      entry.comment = std::string(absl::StripAsciiWhitespace(line.substr(after_key)));
    }
    if (!keys.keys_.emplace(words[1], std::move(entry)).second) {
      return error(absl::StrCat("key ", words[1], " is listed twice"));
    }
  }
  return keys;
}

absl::StatusOr<AuthorizedKeys> AuthorizedKeys::Read(Env& env, const std::string& path) {
  absl::StatusOr<FileInfo> info = env.Stat(path);
  if (!info.ok()) return info.status();
  if ((info->permissions & 022) != 0) {
    // Whoever may write it may let themselves in (ssh's StrictModes).
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s may be written by others (mode %04o): it decides who may connect; chmod go-w it", path,
        info->permissions));
  }
  absl::StatusOr<std::string> text = env.ReadFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

const AuthorizedKeys::Entry* AuthorizedKeys::Find(absl::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> AuthorizedKeys::KeysOf(KeyRole role) const {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : keys_) {
    if (entry.role == role) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string AuthorizedKeys::Describe(absl::string_view key) const {
  const Entry* entry = Find(key);
  const std::string prefix = absl::StrCat(key.substr(0, 8), "...");
  if (entry == nullptr || entry->comment.empty()) return absl::StrCat("key ", prefix);
  return absl::StrCat("key ", prefix, " (", entry->comment, ")");
}

}  // namespace braid
