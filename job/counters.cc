#include "job/counters.h"

namespace braid {

void Counters::Add(absl::string_view group, absl::string_view name, int64_t amount) {
  if (amount == 0) return;
  auto it = values_.find(std::pair(group, name));
  if (it == values_.end()) it = values_.emplace(Key(group, name), 0).first;
  it->second += amount;
}

int64_t Counters::Get(absl::string_view group, absl::string_view name) const {
  auto it = values_.find(std::pair(group, name));
  return it == values_.end() ? 0 : it->second;
}

void Counters::Add(const google::protobuf::RepeatedPtrField<proto::Counter>& counters) {
  for (const proto::Counter& counter : counters)
    Add(counter.group(), counter.name(), counter.value());
}

void Counters::AddTo(google::protobuf::RepeatedPtrField<proto::Counter>* counters) const {
  for (const auto& [key, value] : values_) {
    proto::Counter* counter = counters->Add();
    counter->set_group(key.first);
    counter->set_name(key.second);
    counter->set_value(value);
  }
}

}  // namespace braid
