#include "job/streaming_fields.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "job/property_names.h"
#include "job/streaming_spec.h"

namespace braid {
namespace {

constexpr PropertyNames kMapOutputSeparator = {"stream.map.output.field.separator", nullptr};
constexpr PropertyNames kMapOutputKeyFields = {"stream.num.map.output.key.fields", nullptr};
constexpr PropertyNames kReduceInputSeparator = {"stream.reduce.input.field.separator", nullptr};
constexpr PropertyNames kReduceOutputSeparator = {"stream.reduce.output.field.separator", nullptr};
constexpr PropertyNames kReduceOutputKeyFields = {"stream.num.reduce.output.key.fields", nullptr};
constexpr PropertyNames kKeyFieldSeparator = {"mapreduce.map.output.key.field.separator",
                                              "map.output.key.field.separator"};
constexpr PropertyNames kComparatorClass = {"mapreduce.job.output.key.comparator.class",
                                            "mapred.output.key.comparator.class"};
constexpr PropertyNames kComparatorOptions = {"mapreduce.partition.keycomparator.options",
                                              "mapred.text.key.comparator.options"};
constexpr PropertyNames kPartitionerClass = {"mapreduce.job.partitioner.class",
                                             "mapred.partitioner.class"};
constexpr PropertyNames kPartitionerOptions = {"mapreduce.partition.keypartitioner.options",
                                               "mapred.text.key.partitioner.options"};
constexpr PropertyNames kPartitionerFields = {"num.key.fields.for.partition", nullptr};
constexpr PropertyNames kOutputSeparator = {"mapreduce.output.textoutputformat.separator",
                                            "mapred.textoutputformat.separator"};

constexpr PropertyNames kAll[] = {
    kMapOutputSeparator,    kMapOutputKeyFields, kReduceInputSeparator, kReduceOutputSeparator,
    kReduceOutputKeyFields, kKeyFieldSeparator,  kComparatorClass,      kComparatorOptions,
    kPartitionerClass,      kPartitionerOptions, kPartitionerFields,    kOutputSeparator};

constexpr const char* kKeyFieldComparators[] = {
    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
    "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator"};
constexpr const char* kBytewiseComparators[] = {"org.apache.hadoop.io.Text$Comparator"};
constexpr const char* kKeyFieldPartitioners[] = {
    "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
    "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedPartitioner"};
constexpr const char* kHashPartitioners[] = {
    "org.apache.hadoop.mapred.lib.HashPartitioner",
    "org.apache.hadoop.mapreduce.lib.partition.HashPartitioner"};

template <size_t N>
bool OneOf(absl::string_view value, const char* const (&names)[N]) {
  for (const char* name : names) {
    if (value == name) return true;
  }
  return false;
}

// The value of `names` in `spec`, if set, and the name it was given under.
absl::StatusOr<std::optional<std::string>> Get(const proto::JobSpec& spec, PropertyNames names,
                                               std::string* given_as) {
  absl::StatusOr<const std::string*> value = FindProperty(spec, names, given_as);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return std::nullopt;
  return **value;
}

absl::Status GetSeparator(const proto::JobSpec& spec, PropertyNames names, std::string* separator) {
  std::string name;
  absl::StatusOr<std::optional<std::string>> value = Get(spec, names, &name);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::OkStatus();
  if ((*value)->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " cannot be empty"));
  }
  *separator = **value;
  return absl::OkStatus();
}

absl::Status GetFieldCount(const proto::JobSpec& spec, PropertyNames names, int* count) {
  std::string name;
  absl::StatusOr<std::optional<std::string>> value = Get(spec, names, &name);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::OkStatus();
  if (!absl::SimpleAtoi(**value, count) || *count < 1 || *count > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "=", **value, ": expected a number of fields, 1 or more"));
  }
  return absl::OkStatus();
}

// `line` cut after `fields` separators: all key when it has fewer.
StreamingFields::Pair Split(absl::string_view line, absl::string_view separator, int fields) {
  size_t at = 0;
  for (int i = 0; i < fields; ++i) {
    at = line.find(separator, i == 0 ? 0 : at + separator.size());
    if (at == absl::string_view::npos) return {line, absl::string_view()};
  }
  return {line.substr(0, at), line.substr(at + separator.size())};
}

void AppendKeyValue(absl::string_view key, absl::string_view separator, absl::string_view value,
                    std::string* out) {
  out->append(key.data(), key.size());
  out->append(separator.data(), separator.size());
  out->append(value.data(), value.size());
}

class KeyFieldPartitioner final : public Partitioner {
 public:
  KeyFieldPartitioner(const StreamingFields& fields, KeyFields partition)
      : fields_(fields), partition_(std::move(partition)) {}

  uint32_t Partition(absl::string_view shuffle_key, uint32_t partitions) const override {
    selected_.clear();
    partition_.AppendSelected(fields_.KeyOf(shuffle_key), &selected_);
    return HashPartition(selected_, partitions);
  }

 private:
  const StreamingFields& fields_;
  const KeyFields partition_;
  mutable std::string selected_;  // one task's partitioner is used by one thread
};

}  // namespace

bool StreamingFields::Reads(absl::string_view property) {
  for (const PropertyNames& names : kAll) {
    if (property == names.newer || (names.older != nullptr && property == names.older)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<StreamingFields> StreamingFields::FromSpec(const proto::JobSpec& spec) {
  StreamingFields fields;
  for (auto [names, separator] :
       {std::pair{kMapOutputSeparator, &fields.map_output_separator_},
        std::pair{kReduceInputSeparator, &fields.reduce_input_separator_},
        std::pair{kReduceOutputSeparator, &fields.reduce_output_separator_},
        std::pair{kOutputSeparator, &fields.output_separator_}}) {
    if (absl::Status read = GetSeparator(spec, names, separator); !read.ok()) return read;
  }
  if (absl::Status read = GetFieldCount(spec, kMapOutputKeyFields, &fields.map_output_key_fields_);
      !read.ok()) {
    return read;
  }
  if (absl::Status read =
          GetFieldCount(spec, kReduceOutputKeyFields, &fields.reduce_output_key_fields_);
      !read.ok()) {
    return read;
  }
  std::string key_field_separator = "\t";
  if (absl::Status read = GetSeparator(spec, kKeyFieldSeparator, &key_field_separator);
      !read.ok()) {
    return read;
  }

  std::string class_name, options_name;
  absl::StatusOr<std::optional<std::string>> comparator = Get(spec, kComparatorClass, &class_name);
  if (!comparator.ok()) return comparator.status();
  absl::StatusOr<std::optional<std::string>> comparator_options =
      Get(spec, kComparatorOptions, &options_name);
  if (!comparator_options.ok()) return comparator_options.status();
  const bool key_field_comparator =
      comparator->has_value() && OneOf(**comparator, kKeyFieldComparators);
  if (comparator->has_value() && !key_field_comparator &&
      !OneOf(**comparator, kBytewiseComparators)) {
    return absl::InvalidArgumentError(absl::StrCat(
        class_name, "=", **comparator,
        " is not supported: Braid sorts keys bytewise or with KeyFieldBasedComparator"));
  }
  if (comparator_options->has_value() && !key_field_comparator) {
    return absl::InvalidArgumentError(absl::StrCat(
        options_name, " is set but ", kComparatorClass.newer,
        " is not KeyFieldBasedComparator, so Hadoop would not read it: set the class (or drop "
        "the options)"));
  }
  if (spec.streaming().mapper() == kIdentityMapper) {
    if (key_field_comparator) {
      return absl::InvalidArgumentError(
          absl::StrCat(class_name, " does not apply to ", kIdentityMapper,
                       ", whose keys are byte offsets (numbers, not text), in Hadoop as in Braid"));
    }
    // Offsets sort as numbers, as Hadoop's LongWritable keys do.
    fields.comparator_ = *KeyFields::Parse("-n", "\t", "IdentityMapper");
  } else if (key_field_comparator) {
    absl::StatusOr<KeyFields> parsed =
        KeyFields::Parse(comparator_options->value_or(""), key_field_separator,
                         comparator_options->has_value() ? options_name : kComparatorOptions.newer);
    if (!parsed.ok()) return parsed.status();
    fields.comparator_ = *std::move(parsed);
  }

  absl::StatusOr<std::optional<std::string>> partitioner =
      Get(spec, kPartitionerClass, &class_name);
  if (!partitioner.ok()) return partitioner.status();
  absl::StatusOr<std::optional<std::string>> partitioner_options =
      Get(spec, kPartitionerOptions, &options_name);
  if (!partitioner_options.ok()) return partitioner_options.status();
  std::string fields_name;
  absl::StatusOr<std::optional<std::string>> partitioner_fields =
      Get(spec, kPartitionerFields, &fields_name);
  if (!partitioner_fields.ok()) return partitioner_fields.status();
  const bool key_field_partitioner =
      partitioner->has_value() && OneOf(**partitioner, kKeyFieldPartitioners);
  if (partitioner->has_value() && !key_field_partitioner &&
      !OneOf(**partitioner, kHashPartitioners)) {
    return absl::InvalidArgumentError(
        absl::StrCat(class_name, "=", **partitioner,
                     " is not supported: Braid partitions by a hash of the key or with "
                     "KeyFieldBasedPartitioner"));
  }
  for (const auto& [given, name] : {std::pair{partitioner_options->has_value(), options_name},
                                    std::pair{partitioner_fields->has_value(), fields_name}}) {
    if (given && !key_field_partitioner) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " is set but ", kPartitionerClass.newer,
          " is not KeyFieldBasedPartitioner, so Hadoop would not read it: set the class (or "
          "drop the options)"));
    }
  }
  if (key_field_partitioner) {
    int first_fields = 0;
    if (partitioner_fields->has_value()) {
      if (absl::Status read = GetFieldCount(spec, kPartitionerFields, &first_fields); !read.ok()) {
        return read;
      }
    }
    if (first_fields > 0) {
      // As in Hadoop, the older property wins over the options.
      fields.partitioner_ = KeyFields::FirstFields(first_fields, key_field_separator);
    } else {
      absl::StatusOr<KeyFields> parsed = KeyFields::Parse(
          partitioner_options->value_or(""), key_field_separator,
          partitioner_options->has_value() ? options_name : kPartitionerOptions.newer);
      if (!parsed.ok()) return parsed.status();
      fields.partitioner_ = *std::move(parsed);
    }
  }
  return fields;
}

StreamingFields::Pair StreamingFields::SplitMapOutput(absl::string_view line) const {
  return Split(line, map_output_separator_, map_output_key_fields_);
}

absl::string_view StreamingFields::ShuffleKey(absl::string_view key, std::string* scratch) const {
  if (!comparator_.has_value()) return key;
  scratch->clear();
  comparator_->AppendSortKey(key, scratch);
  scratch->append(key.data(), key.size());
  const uint32_t size = static_cast<uint32_t>(key.size());
  for (int shift = 24; shift >= 0; shift -= 8) scratch->push_back(static_cast<char>(size >> shift));
  return *scratch;
}

absl::string_view StreamingFields::KeyOf(absl::string_view shuffle_key) const {
  if (!comparator_.has_value()) return shuffle_key;
  if (shuffle_key.size() < 4) return absl::string_view();  // not one this job made
  const unsigned char* tail =
      reinterpret_cast<const unsigned char*>(shuffle_key.data() + shuffle_key.size() - 4);
  const size_t size =
      (size_t{tail[0]} << 24) | (size_t{tail[1]} << 16) | (size_t{tail[2]} << 8) | size_t{tail[3]};
  if (size > shuffle_key.size() - 4) return absl::string_view();
  return shuffle_key.substr(shuffle_key.size() - 4 - size, size);
}

std::unique_ptr<Partitioner> StreamingFields::MakePartitioner() const {
  if (!partitioner_.has_value()) return nullptr;
  return std::make_unique<KeyFieldPartitioner>(*this, *partitioner_);
}

StreamingFields::Pair StreamingFields::SplitReduceOutput(absl::string_view line) const {
  return Split(line, reduce_output_separator_, reduce_output_key_fields_);
}

void StreamingFields::AppendReduceOutput(absl::string_view line, std::string* out) const {
  const Pair pair = SplitReduceOutput(line);
  AppendKeyValue(pair.key, output_separator_, pair.value, out);
}

void StreamingFields::AppendMapOnlyOutput(absl::string_view line, std::string* out) const {
  const Pair pair = SplitMapOutput(line);
  AppendKeyValue(pair.key, output_separator_, pair.value, out);
}

void StreamingFields::AppendPairOutput(absl::string_view key, absl::string_view value,
                                       std::string* out) const {
  AppendOutput(KeyOf(key), value, out);
}

void StreamingFields::AppendOutput(absl::string_view key, absl::string_view value,
                                   std::string* out) const {
  AppendKeyValue(key, output_separator_, value, out);
}

}  // namespace braid
