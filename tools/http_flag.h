// --http, which braid coordinator and braid worker take: where the process serves its HTTP side
// (messaging/http_server.h), or `off`.

#ifndef BRAID_TOOLS_HTTP_FLAG_H_
#define BRAID_TOOLS_HTTP_FLAG_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "messaging/http_server.h"
#include "reactor/reactor.h"

ABSL_DECLARE_FLAG(std::string, http);

namespace braid {

// The coordinator's address when --http is not given.
inline constexpr char kDefaultCoordinatorHttp[] = "127.0.0.1:7071";

// InvalidArgument if --http is neither empty, `off`, nor HOST:PORT on a loopback address: for a
// command to check before it touches anything.
absl::Status CheckHttpFlag();

// Starts `handler` where --http says, or at `default_address` (empty: none) when it is not given.
// Null with --http off. The pages have no authentication: an address other than a loopback one
// is refused, naming the flag. When the default address is taken (another coordinator on this
// machine, say), `command` warns on stderr and serves no HTTP; an address given explicitly that
// cannot be bound is an error. Prints where it serves on stdout.
absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpFromFlag(Reactor& reactor,
                                                              absl::string_view command,
                                                              absl::string_view default_address,
                                                              HttpHandler handler);

}  // namespace braid

#endif  // BRAID_TOOLS_HTTP_FLAG_H_
