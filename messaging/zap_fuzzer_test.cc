// Replays the ZAP fuzz target on well-formed requests of each mechanism and on deterministic
// mutations of them (flipped, cut and random bytes).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace braid {
namespace {

// Frames in the target's input format: a length byte before each.
std::string Input(const std::vector<std::string>& frames) {
  std::string input;
  for (const std::string& frame : frames) {
    input.push_back(static_cast<char>(frame.size()));
    input += frame;
  }
  return input;
}

std::vector<std::string> Seeds() {
  return {
      Input({"1.0", "1", "braid", "127.0.0.1", "", "CURVE", std::string(32, '\0')}),
      Input({"1.0", "2", "braid", "127.0.0.1", "", "CURVE", std::string(32, 'k')}),
      Input({"1.0", "3", "", "::1", "", "NULL"}),
      Input({"1.0", "4", "", "::1", "", "PLAIN", "user", "password"}),
      "client 0000000000000000000000000000000000000000 a key file line\n",
  };
}

void Feed(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

TEST(ZapFuzzerTest, WellFormedRequestsAreHandled) {
  for (const std::string& seed : Seeds()) Feed(seed);
}

TEST(ZapFuzzerTest, MutatedRequestsAreHandled) {
  std::mt19937 random(7);
  for (const std::string& seed : Seeds()) {
    for (size_t i = 0; i < seed.size(); ++i) {
      std::string flipped = seed;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (random() % 8)));
      Feed(flipped);
      Feed(seed.substr(0, i));
    }
    for (int round = 0; round < 200; ++round) {
      std::string noise = seed;
      for (int k = 0; k < 4; ++k) noise[random() % noise.size()] = static_cast<char>(random());
      Feed(noise);
    }
  }
  Feed("");
}

}  // namespace
}  // namespace braid
