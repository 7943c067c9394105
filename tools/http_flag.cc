#include "tools/http_flag.h"

#include <cstdio>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

ABSL_FLAG(std::string, http, "",
          "where to serve the status page, /api/status and /metrics (HOST:PORT on a loopback "
          "address, port 0 picks one; 'off' for none); default 127.0.0.1:7071 for braid "
          "coordinator, none for braid worker");

namespace braid {

namespace {

absl::Status CheckHttpAddress(absl::string_view address) {
  absl::StatusOr<HttpAddress> parsed = HttpAddress::Parse(address);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--http: ", parsed.status().message()));
  }
  if (!parsed->loopback) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http ", address,
        ": the HTTP side has no authentication yet, so it listens only on a loopback address "
        "(127.0.0.1, [::1] or localhost); reach it from elsewhere through an SSH tunnel"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckHttpFlag() {
  const std::string flag = absl::GetFlag(FLAGS_http);
  if (flag.empty() || flag == "off") return absl::OkStatus();
  return CheckHttpAddress(flag);
}

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttpFromFlag(Reactor& reactor,
                                                              absl::string_view command,
                                                              absl::string_view default_address,
                                                              HttpHandler handler) {
  const std::string flag = absl::GetFlag(FLAGS_http);
  if (flag == "off" || (flag.empty() && default_address.empty())) return nullptr;
  const bool given = !flag.empty();
  const std::string address = given ? flag : std::string(default_address);
  if (absl::Status checked = CheckHttpAddress(address); !checked.ok()) return checked;
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(reactor, address, std::move(handler));
  if (!server.ok()) {
    if (!given && absl::IsUnavailable(server.status())) {
      absl::FPrintF(stderr, "%s: serving no HTTP: %s (give --http HOST:PORT or --http off)\n",
                    command, server.status().message());
      return nullptr;
    }
    return absl::Status(server.status().code(),
                        absl::StrCat("--http: ", server.status().message()));
  }
  absl::PrintF("serving HTTP on %s\n", (*server)->url());
  return server;
}

}  // namespace braid
