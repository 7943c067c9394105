#include "job/job.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace braid {

std::string JobConfig::Get(absl::string_view key, absl::string_view fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<int64_t> JobConfig::GetInt(absl::string_view key, int64_t fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  int64_t value;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("configuration '", key, "' must be an integer, not '", it->second, "'"));
  }
  return value;
}

uint64_t StableHash(absl::string_view bytes) {
  // 64-bit multiply-xorshift over 8-byte words; fixed constants, so the same everywhere.
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
  uint64_t h = 0x243f6a8885a308d3ull ^ (bytes.size() * kMul);
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * kMul;
  h ^= h >> 32;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 31;
  return h;
}

uint32_t HashPartition(absl::string_view key, uint32_t partitions) {
  return static_cast<uint32_t>(StableHash(key) % partitions);
}

}  // namespace braid
