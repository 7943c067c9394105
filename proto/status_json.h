// StatusJson: a StatusResponse as JSON — what a coordinator's /api/status serves and
// `braid status --json` prints, one function so the two always agree.
//
// Protobuf's JSON mapping, with the .proto's field names (snake_case), every field present (zeros
// and empty lists too), enums by name, and 64-bit integers as strings (as the mapping wants).

#ifndef BRAID_PROTO_STATUS_JSON_H_
#define BRAID_PROTO_STATUS_JSON_H_

#include <string>

#include "proto/braid.pb.h"

namespace braid {

// `pretty`: indented, for people; otherwise one line.
std::string StatusJson(const proto::StatusResponse& status, bool pretty = false);

}  // namespace braid

#endif  // BRAID_PROTO_STATUS_JSON_H_
