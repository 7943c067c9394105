// Replays the input fuzz target on well-formed compressed files of each codec and on
// deterministic mutations of them (flipped, cut and random bytes).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/compressors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace braid {
namespace {

// Its first line parses as -k options, and its first two as field-selection specs too.
constexpr char kText[] = "0,1:2-\n1-3:0\nb\t10\t-3.5\na\t9\nz\t\t\x01\n";
constexpr char kOptions[] = "-k2,2nr -k1.2,1.3 -r\nb\t10\t-3.5\na\t9\n";

// The target's input: a codec byte (0 .gz, 1 .bz2, 2 .zst, 3 .deflate), then the file.
std::vector<std::string> Seeds() {
  return {std::string(1, '\0') + testing::Gzip(kText),
          std::string(1, '\1') + testing::Bzip2(kText),
          std::string(1, '\2') + testing::Zstd(kText),
          std::string(1, '\3') + testing::Deflate(kText),
          std::string(1, '\0') + kText,
          std::string(1, '\1') + kOptions};
}

void Feed(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

TEST(InputFuzzerTest, WellFormedFilesAreRead) {
  for (const std::string& seed : Seeds()) Feed(seed);
}

TEST(InputFuzzerTest, MutatedFilesAreReadOrRefusedWithoutACrash) {
  std::mt19937 random(17);
  for (const std::string& seed : Seeds()) {
    for (int round = 0; round < 300; ++round) {
      std::string input = seed;
      switch (round % 3) {
        case 0:
          input[1 + random() % (input.size() - 1)] ^= static_cast<char>(1 + random() % 255);
          break;
        case 1:
          input.resize(1 + random() % input.size());
          break;
        default:
          for (int i = 0; i < 8; ++i) input[random() % input.size()] = static_cast<char>(random());
      }
      Feed(input);
    }
  }
}

}  // namespace
}  // namespace braid
