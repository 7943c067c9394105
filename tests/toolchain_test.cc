#include <zmq.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "proto/braid.pb.h"
#include "re2/re2.h"

TEST(Toolchain, Links) {
  absl::flat_hash_map<std::string, int> m{{"a", 1}};
  absl::StatusOr<int> v = 3;
  braid::proto::Envelope e;
  e.set_protocol_version(1);
  zmq::context_t ctx;
  EXPECT_TRUE(RE2::FullMatch("abc", "a.c"));
  EXPECT_EQ(absl::StrFormat("%d", *v + m["a"] + e.protocol_version()), "5");
}
