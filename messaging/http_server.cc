#include "messaging/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {
namespace {

// libmicrohttpd's own messages (a connection it could not accept, say) go to the log.
void LogFromLibrary(void*, const char* format, va_list arguments) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, arguments);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  LOG(WARNING) << "http: " << text;
}

MHD_Result CollectQuery(void* query, MHD_ValueKind, const char* key, const char* value) {
  static_cast<std::vector<std::pair<std::string, std::string>>*>(query)->emplace_back(
      key, value == nullptr ? "" : value);
  return MHD_YES;
}

void Reply(MHD_Connection* connection, const HttpResponse& response) {
  MHD_Response* reply = MHD_create_response_from_buffer(
      response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  if (reply == nullptr) return;  // out of memory: libmicrohttpd closes the connection
  MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(reply, name.c_str(), value.c_str());
  }
  MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
  MHD_destroy_response(reply);
}

}  // namespace

std::string HttpRequest::Query(absl::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return "";
}

absl::StatusOr<HttpAddress> HttpAddress::Parse(absl::string_view text) {
  HttpAddress parsed;
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address '", text, "' is not HOST:PORT (127.0.0.1:7071, say)"));
  }
  std::string host(text.substr(0, colon));
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address '", text, "': the port must be a number from 0 to 65535"));
  }
  parsed.host = host;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&parsed.address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("HTTP address '", text, "': '", host, "' is not an IPv6 address"));
    }
    parsed.length = sizeof(sockaddr_in6);
    parsed.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    return parsed;
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&parsed.address);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTP address '", text, "': '", parsed.host,
                     "' is not an IPv4 address, an IPv6 address in brackets or localhost"));
  }
  parsed.length = sizeof(sockaddr_in);
  parsed.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  return parsed;
}

namespace {

// A socket listening on `parsed` (`address` as given, for errors), non-blocking.
absl::StatusOr<int> ListenOn(const HttpAddress& parsed, absl::string_view address) {
  const int family = parsed.address.ss_family;
  const int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open a socket for HTTP on ", address, ": ", std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&parsed.address), parsed.length) != 0 ||
      listen(fd, 64) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot serve HTTP on ", address, ": ", std::strerror(error)));
  }
  return fd;
}

}  // namespace

HttpServer::HttpServer(Reactor& reactor, HttpHandler handler, std::string host)
    : reactor_(reactor), handler_(std::move(handler)), host_(std::move(host)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Reactor& reactor,
                                                              absl::string_view address,
                                                              HttpHandler handler,
                                                              HttpServerOptions options) {
  absl::StatusOr<HttpAddress> parsed = HttpAddress::Parse(address);
  if (!parsed.ok()) return parsed.status();
  // The socket is bound here rather than by libmicrohttpd, so that a failure says why.
  const int family = parsed->address.ss_family;
  absl::StatusOr<int> listening = ListenOn(*parsed, address);
  if (!listening.ok()) return listening.status();
  const int fd = *listening;
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  const uint16_t port =
      ntohs(family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                               : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);

  std::unique_ptr<HttpServer> server(new HttpServer(reactor, std::move(handler), parsed->host));
  server->port_ = port;
  MHD_AccessHandlerCallback on_request = [](void* self, MHD_Connection* connection, const char* url,
                                            const char* method, const char* /*version*/,
                                            const char* /*upload_data*/, size_t* upload_data_size,
                                            void** request_state) -> MHD_Result {
    // The first call of a request comes before any body: it is answered then, and a body that
    // follows (these pages take none) is skipped.
    if (*request_state != nullptr) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    *request_state = self;
    static_cast<HttpServer*>(self)->Answer(connection, url, method);
    return MHD_YES;
  };
  const unsigned flags =
      MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0);
  server->daemon_ = MHD_start_daemon(
      flags, port, /*apc=*/nullptr, nullptr, on_request, server.get(), MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_LIMIT, options.max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(absl::ToInt64Seconds(options.idle_timeout)), MHD_OPTION_EXTERNAL_LOGGER,
      &LogFromLibrary, nullptr, MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    close(fd);
    return absl::InternalError(absl::StrCat("cannot start the HTTP server on ", address));
  }
  // libmicrohttpd owns the socket from here.
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_EPOLL_FD);
  if (info == nullptr) {
    return absl::InternalError("libmicrohttpd gives no epoll descriptor");
  }
  HttpServer* self = server.get();
  server->reader_ = reactor.AddReader(info->epoll_fd, absl::StrCat("http ", address), [self] {
    self->Serve();
    return absl::OkStatus();
  });
  return server;
}

HttpServer::~HttpServer() {
  if (reader_ != 0) reactor_.RemoveReader(reader_);
  timer_.Cancel().IgnoreError();
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string HttpServer::url() const {
  return absl::StrCat("http://", host_ == "localhost" ? "127.0.0.1" : host_, ":", port_);
}

void HttpServer::Answer(MHD_Connection* connection, const char* url, const char* method) {
  ++requests_;
  HttpRequest request;
  request.method = method;
  request.path = url;
  HttpResponse response;
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.body = absl::StrCat("method ", request.method, " is not served here: GET or HEAD\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectQuery, &request.query);
    response = handler_(request);
  }
  response.headers.emplace_back("Cache-Control", "no-store");
  Reply(connection, response);
}

void HttpServer::Serve() {
  timer_.Cancel().IgnoreError();
  MHD_run(daemon_);
  MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
  if (MHD_get_timeout(daemon_, &timeout_ms) != MHD_YES) return;  // nothing due but input
  timer_ =
      reactor_.CallLater(absl::Milliseconds(static_cast<int64_t>(timeout_ms)), [this] { Serve(); });
}

}  // namespace braid
