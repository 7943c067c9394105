#include "third_party/absl_compat/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace {

using braid_compat::ComputeCrc32c;
using braid_compat::ExtendCrc32c;

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(ComputeCrc32c("123456789"), 0xe3069283u);  // the catalogued check value
  EXPECT_EQ(ComputeCrc32c(""), 0u);
}

TEST(Crc32c, MatchesKnownVectors) {
  EXPECT_EQ(ComputeCrc32c(std::string(32, '\0')), 0x8a9136aau);  // RFC 3720 B.4
  EXPECT_EQ(ComputeCrc32c(std::string(32, '\xff')), 0x62a8ab43u);
}

TEST(Crc32c, ExtendingChunkByChunkEqualsTheWhole) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  uint32_t crc = 0;
  for (size_t at = 0; at < data.size(); at += 37) {
    crc = ExtendCrc32c(crc, absl::string_view(data).substr(at, 37));
  }
  EXPECT_EQ(crc, ComputeCrc32c(data));
}

}  // namespace
