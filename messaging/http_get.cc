#include "messaging/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace braid {

std::string HttpReply::Header(const std::string& name) const {
  const std::string wanted = absl::AsciiStrToLower(name);
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::AsciiStrToLower(line.substr(0, colon)) == wanted) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

absl::StatusOr<HttpReply> HttpGet(uint16_t port, const std::string& path, const std::string& method,
                                  absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::strerror(errno));
  absl::Cleanup close_fd = [fd] { close(fd); };
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  const std::string request = absl::StrCat(method, " ", path,
                                           " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError(absl::StrCat("cannot send: ", std::strerror(errno)));
  }
  std::string raw;
  char buffer[65536];
  while (true) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return absl::DeadlineExceededError(absl::StrCat("no whole reply to ", path));
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(left_ms)) <= 0) continue;
    const ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    if (got < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    if (got == 0) break;
    raw.append(buffer, static_cast<size_t>(got));
  }
  const size_t end_of_headers = raw.find("\r\n\r\n");
  HttpReply reply;
  if (end_of_headers == std::string::npos || !absl::StartsWith(raw, "HTTP/1.") || raw.size() < 12 ||
      !absl::SimpleAtoi(absl::string_view(raw).substr(9, 3), &reply.status)) {
    return absl::DataLossError(absl::StrCat("not an HTTP reply: '", raw.substr(0, 80), "'"));
  }
  const size_t first_line = raw.find("\r\n");
  reply.headers = raw.substr(first_line + 2, end_of_headers - first_line - 2);
  reply.body = raw.substr(end_of_headers + 4);
  return reply;
}

}  // namespace braid
