#include "proto/status_json.h"

#include "google/protobuf/util/json_util.h"

namespace braid {

std::string StatusJson(const proto::StatusResponse& status, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a message of a compiled-in type cannot fail (there is no Any to resolve).
  (void)google::protobuf::util::MessageToJsonString(status, &json, options);
  if (pretty && (json.empty() || json.back() != '\n')) json += '\n';
  return json;
}

}  // namespace braid
