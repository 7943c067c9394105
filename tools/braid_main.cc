// braid: the command-line entry point of Braid.

#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "proto/braid.pb.h"

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "help";
  if (command == "version") {
    braid::proto::Envelope envelope;
    envelope.set_protocol_version(1);
    std::printf("%s\n", absl::StrCat("braid protocol ", envelope.protocol_version()).c_str());
    return 0;
  }
  std::fprintf(stderr, "usage: braid version\n");
  return command == "help" ? 0 : 2;
}
