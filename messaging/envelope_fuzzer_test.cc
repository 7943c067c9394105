// Replays the envelope fuzz target on valid envelopes of every kind and on deterministic
// mutations of them (flipped, cut, repeated and random bytes).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace braid {
namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  const google::protobuf::Descriptor* envelope = proto::Envelope::descriptor();
  const google::protobuf::OneofDescriptor* body = envelope->FindOneofByName("body");
  for (int i = 0; i < body->field_count(); ++i) {
    proto::Envelope message;
    message.set_protocol_version(kProtocolVersion);
    message.set_message_id(i + 1);
    message.GetReflection()->MutableMessage(&message, body->field(i));
    seeds.push_back(EncodeEnvelope(message));
  }
  proto::Envelope assign;
  assign.set_protocol_version(kProtocolVersion);
  auto* task = assign.mutable_assign_tasks()->add_tasks();
  task->mutable_attempt()->set_job_id("job-1");
  task->mutable_split()->set_path("/data/part-0");
  task->mutable_split()->set_length(64 << 20);
  seeds.push_back(EncodeEnvelope(assign));
  return seeds;
}

void Feed(const std::string& frame) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(frame.data()), frame.size());
}

TEST(EnvelopeFuzzer, SurvivesValidEnvelopesOfEveryKind) {
  for (const std::string& seed : Seeds()) Feed(seed);
}

TEST(EnvelopeFuzzer, SurvivesTwentyThousandMutations) {
  std::mt19937_64 random(20261121);
  std::vector<std::string> seeds = Seeds();
  for (int i = 0; i < 20'000; ++i) {
    std::string frame = seeds[random() % seeds.size()];
    switch (random() % 5) {
      case 0:  // flip bytes
        for (int n = 1 + random() % 4; n > 0 && !frame.empty(); --n) {
          frame[random() % frame.size()] ^= static_cast<char>(1 + random() % 255);
        }
        break;
      case 1:  // cut
        frame.resize(random() % (frame.size() + 1));
        break;
      case 2:  // repeat
        frame += frame;
        break;
      case 3:  // insert random bytes
        frame.insert(random() % (frame.size() + 1),
                     std::string(1 + random() % 16, static_cast<char>(random())));
        break;
      default:  // random bytes altogether
        frame.assign(random() % 64, '\0');
        for (char& c : frame) c = static_cast<char>(random());
    }
    Feed(frame);
  }
}

}  // namespace
}  // namespace braid
