#include "deferred/errors.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace braid {
namespace {

constexpr absl::string_view kFirstErrorIndexUrl = "type.braid.dev/FirstError.index";
constexpr absl::string_view kFailureGroupSizeUrl = "type.braid.dev/FailureGroup.size";

std::string FailureGroupMemberUrl(size_t i) {
  return absl::StrCat("type.braid.dev/FailureGroup.member.", i);
}

}  // namespace

absl::Status AlreadyCalledError() {
  return absl::FailedPreconditionError("Deferred already called");
}

absl::Status CancelledError() { return absl::CancelledError("Deferred was cancelled"); }

absl::Status TimeoutError(absl::Duration timeout) {
  return absl::DeadlineExceededError(
      absl::StrCat("Deferred timed out after ", absl::FormatDuration(timeout)));
}

absl::Status FirstError(const absl::Status& error, size_t index) {
  absl::Status first(error.code(),
                     absl::StrCat("FirstError at index ", index, ": ", error.message()));
  error.ForEachPayload([&first](absl::string_view url, const absl::Cord& payload) {
    first.SetPayload(url, payload);
  });
  first.SetPayload(kFirstErrorIndexUrl, absl::Cord(absl::StrCat(index)));
  return first;
}

std::optional<size_t> FirstErrorIndex(const absl::Status& status) {
  auto payload = status.GetPayload(kFirstErrorIndexUrl);
  size_t index;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &index)) return std::nullopt;
  return index;
}

absl::Status FirstErrorCause(const absl::Status& status) {
  std::optional<size_t> index = FirstErrorIndex(status);
  if (!index.has_value()) return status;
  absl::string_view message = status.message();
  absl::ConsumePrefix(&message, absl::StrCat("FirstError at index ", *index, ": "));
  absl::Status cause(status.code(), message);
  status.ForEachPayload([&cause](absl::string_view url, const absl::Cord& payload) {
    if (url != kFirstErrorIndexUrl) cause.SetPayload(url, payload);
  });
  return cause;
}

absl::Status FailureGroup(const std::vector<absl::Status>& failures) {
  std::vector<std::string> parts;
  parts.reserve(failures.size());
  for (size_t i = 0; i < failures.size(); ++i) {
    parts.push_back(absl::StrCat("[", i, "] ", failures[i].ToString()));
  }
  absl::Status group(
      failures.empty() ? absl::StatusCode::kUnknown : failures.front().code(),
      absl::StrCat("all ", failures.size(), " failed: ", absl::StrJoin(parts, "; ")));
  group.SetPayload(kFailureGroupSizeUrl, absl::Cord(absl::StrCat(failures.size())));
  for (size_t i = 0; i < failures.size(); ++i) {
    group.SetPayload(
        FailureGroupMemberUrl(i),
        absl::Cord(absl::StrCat(static_cast<int>(failures[i].code()), ":", failures[i].message())));
  }
  return group;
}

std::vector<absl::Status> FailureGroupMembers(const absl::Status& status) {
  std::vector<absl::Status> members;
  auto size_payload = status.GetPayload(kFailureGroupSizeUrl);
  size_t size;
  if (!size_payload || !absl::SimpleAtoi(std::string(*size_payload), &size)) return members;
  for (size_t i = 0; i < size; ++i) {
    auto payload = status.GetPayload(FailureGroupMemberUrl(i));
    if (!payload) return {};
    std::string text(*payload);
    size_t colon = text.find(':');
    int code;
    if (colon == std::string::npos || !absl::SimpleAtoi(text.substr(0, colon), &code)) return {};
    members.emplace_back(static_cast<absl::StatusCode>(code), text.substr(colon + 1));
  }
  return members;
}

}  // namespace braid
