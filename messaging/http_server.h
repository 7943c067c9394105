// HttpServer: a small read-only HTTP/1.1 server on a Reactor — the pages and /metrics a
// coordinator or worker serves.
//
// The HTTP itself is libmicrohttpd's, run in its external-polling epoll mode: no thread of its
// own, one epoll descriptor that the reactor watches, and a timer for what libmicrohttpd wants
// done later (idle connections to close, a reply only partly written). So the handler runs on the
// loop's thread, between the loop's other handlers, and may read the process's state directly.
// It must not block: a reply is built in memory and written without waiting.
//
//   absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
//       reactor, "127.0.0.1:0", [&](const HttpRequest& request) { return Page(request); });
//   (*http)->port();   // the port it bound
//
// Only GET and HEAD reach the handler (HEAD's body is not sent); any other method is answered
// 405. Threading: the reactor's thread.

#ifndef BRAID_MESSAGING_HTTP_SERVER_H_
#define BRAID_MESSAGING_HTTP_SERVER_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "deferred/reactor_time.h"
#include "reactor/reactor.h"

struct MHD_Connection;
struct MHD_Daemon;

namespace braid {

struct HttpRequest {
  std::string method;  // "GET" or "HEAD"
  std::string path;    // the URL's path, without its query
  // The query's arguments, in order ("?job=j1" gives {"job", "j1"}).
  std::vector<std::pair<std::string, std::string>> query;

  // The value of query argument `name`; empty if it is absent.
  std::string Query(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers (Content-Type and Content-Length are set from the fields above).
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = absl::AnyInvocable<HttpResponse(const HttpRequest& request)>;

// Where an HttpServer listens: HOST:PORT, HOST an IPv4 address, an IPv6 address in brackets, or
// `localhost` (127.0.0.1); port 0 picks a free one.
struct HttpAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
  bool loopback = false;  // only this machine can reach it
  std::string host;       // as given, for messages

  // kInvalidArgument naming what is wrong with `text`.
  static absl::StatusOr<HttpAddress> Parse(absl::string_view text);
};

struct HttpServerOptions {
  // Connections served at once; more wait in the listen queue.
  unsigned max_connections = 64;
  // A connection idle this long is closed.
  absl::Duration idle_timeout = absl::Seconds(30);
};

class HttpServer {
 public:
  // Listens on `address` (see HttpAddress) and serves `handler` from `reactor`. kInvalidArgument
  // for a bad address, kUnavailable (with the system's reason, such as "Address already in use")
  // if it cannot be bound, kInternal if libmicrohttpd does not start.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Reactor& reactor,
                                                           absl::string_view address,
                                                           HttpHandler handler,
                                                           HttpServerOptions options = {});
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Closes the listening socket and every connection. REQUIRES: not called from the handler.
  ~HttpServer();

  uint16_t port() const { return port_; }
  // Where it listens, as a URL ("http://127.0.0.1:7071").
  std::string url() const;
  // Requests answered so far (any status).
  uint64_t requests() const { return requests_; }

 private:
  HttpServer(Reactor& reactor, HttpHandler handler, std::string host);

  // Answers one request (libmicrohttpd's access handler, for its first call on the request).
  void Answer(MHD_Connection* connection, const char* url, const char* method);
  // Lets libmicrohttpd do what is due, then schedules its next timeout.
  void Serve();

  Reactor& reactor_;
  HttpHandler handler_;
  std::string host_;
  uint16_t port_ = 0;
  MHD_Daemon* daemon_ = nullptr;
  Reactor::ReaderId reader_ = 0;
  DelayedCall timer_;
  uint64_t requests_ = 0;
};

}  // namespace braid

#endif  // BRAID_MESSAGING_HTTP_SERVER_H_
