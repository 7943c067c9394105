// Fuzz target for what a job reads from its users' files and flags: compressed input (the first
// byte picks .gz, .bz2, .zst or .deflate; the rest is the file), read to its end or to a
// DATA_LOSS, never a crash or a loop; and Hadoop's key-field options and field-selection specs
// (the input again, as text), which parse or are refused, and whose use on the input's lines
// never crashes; a key's sort encoding is a function of the key.
//
// Built with clang's libFuzzer by tools/fuzz; //job:input_fuzzer_test replays it under the normal
// toolchain.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "job/compressed_input.h"
#include "job/field_selection.h"
#include "job/key_fields.h"

namespace {

class MemoryFile final : public braid::SequentialFile {
 public:
  explicit MemoryFile(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(char* scratch, size_t n) override {
    // Small, uneven reads, to cross every boundary the decoders keep state over.
    const size_t take = std::min({n, data_.size() - at_, size_t{1} + (at_ * 7) % 97});
    std::memcpy(scratch, data_.data() + at_, take);
    at_ += take;
    return take;
  }

 private:
  std::string data_;
  size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data), size);
  static constexpr const char* kNames[] = {"in.gz", "in.bz2", "in.zst", "in.deflate"};
  std::unique_ptr<braid::SequentialFile> file = braid::NewDecompressingFile(
      std::make_unique<MemoryFile>(input.substr(1)), kNames[data[0] % 4]);
  char buffer[4096];
  uint64_t total = 0;
  while (true) {
    absl::StatusOr<size_t> got = file->Read(buffer, sizeof(buffer));
    if (!got.ok()) {
      CHECK(absl::IsDataLoss(got.status()) || absl::IsResourceExhausted(got.status()))
          << got.status();
      break;
    }
    if (*got == 0) break;
    total += *got;
    if (total > (uint64_t{64} << 20)) break;  // a bomb: enough has been decoded
  }

  // The text: its first line as options and specs, the rest as keys.
  std::vector<std::string> lines = absl::StrSplit(input.substr(1), '\n');
  for (const char* separator : {"\t", ".", "::"}) {
    absl::StatusOr<braid::KeyFields> fields =
        braid::KeyFields::Parse(lines[0], separator, "fuzz.options");
    if (!fields.ok()) continue;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::string encoded, again;
      fields->AppendSortKey(lines[i], &encoded);
      fields->AppendSortKey(lines[i], &again);
      CHECK_EQ(encoded, again) << "the encoding of a key is not a function of the key";
      std::string selected;
      fields->AppendSelected(lines[i], &selected);
    }
  }
  braid::proto::JobSpec spec;
  (*spec.mutable_config())["mapreduce.fieldsel.map.output.key.value.fields.spec"] = lines[0];
  (*spec.mutable_config())["mapreduce.fieldsel.reduce.output.key.value.fields.spec"] =
      lines.size() > 1 ? lines[1] : "0-:";
  absl::StatusOr<braid::FieldSelection> selection = braid::FieldSelection::FromSpec(spec);
  if (selection.ok()) {
    for (size_t i = 1; i < lines.size() && i < 64; ++i) {
      braid::FieldSelection::Selected mapped = selection->Map(lines[i]);
      CHECK(mapped.key.has_value() && mapped.value.has_value());
      selection->Reduce(*mapped.key, *mapped.value);
    }
  }
  return 0;
}
