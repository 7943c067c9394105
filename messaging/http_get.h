// HttpGet: a blocking HTTP/1.1 request to a server on this machine, for tests and for the
// benchmarks that poll a coordinator's pages. Not for the loop's thread.

#ifndef BRAID_MESSAGING_HTTP_GET_H_
#define BRAID_MESSAGING_HTTP_GET_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace braid {

struct HttpReply {
  int status = 0;
  std::string headers;  // the header lines, as sent (lowercase them to compare names)
  std::string body;

  // The value of header `name` (case-insensitive); empty if it is absent.
  std::string Header(const std::string& name) const;
};

// Sends `method path` to 127.0.0.1:`port` with "Connection: close" and reads the reply to the
// end. kUnavailable if it cannot connect, kDeadlineExceeded after `timeout`, kDataLoss for a
// reply that is not HTTP.
absl::StatusOr<HttpReply> HttpGet(uint16_t port, const std::string& path,
                                  const std::string& method = "GET",
                                  absl::Duration timeout = absl::Seconds(10));

}  // namespace braid

#endif  // BRAID_MESSAGING_HTTP_GET_H_
