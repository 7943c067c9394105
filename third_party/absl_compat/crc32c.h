// CRC-32C (Castagnoli): the checksum of map outputs and journal records (Abseil's later
// absl/crc/crc32c.h; Debian's Abseil lacks it). Uses the SSE4.2 instruction where the CPU has it.
//
//   uint32_t crc = ExtendCrc32c(0, first_chunk);
//   crc = ExtendCrc32c(crc, second_chunk);   // == ComputeCrc32c(first_chunk + second_chunk)

#ifndef BRAID_THIRD_PARTY_ABSL_COMPAT_CRC32C_H_
#define BRAID_THIRD_PARTY_ABSL_COMPAT_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace braid_compat {

// The CRC-32C of `data` continued from `crc` (the CRC of what came before; 0 to start).
uint32_t ExtendCrc32c(uint32_t crc, absl::string_view data);

inline uint32_t ComputeCrc32c(absl::string_view data) { return ExtendCrc32c(0, data); }

}  // namespace braid_compat

#endif  // BRAID_THIRD_PARTY_ABSL_COMPAT_CRC32C_H_
