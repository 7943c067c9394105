#include "job/field_selection.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "job/property_names.h"

namespace braid {
namespace {

constexpr PropertyNames kSeparator = {"mapreduce.fieldsel.data.field.separator",
                                      "mapred.data.field.separator"};
constexpr PropertyNames kMapSpec = {"mapreduce.fieldsel.map.output.key.value.fields.spec",
                                    "map.output.key.value.fields.spec"};
constexpr PropertyNames kReduceSpec = {"mapreduce.fieldsel.reduce.output.key.value.fields.spec",
                                       "reduce.output.key.value.fields.spec"};

// The value of `names` in `spec`, or `fallback`; *name is the one given.
absl::StatusOr<std::string> Get(const proto::JobSpec& spec, PropertyNames names,
                                const char* fallback, std::string* name) {
  absl::StatusOr<const std::string*> value = FindProperty(spec, names, name);
  if (!value.ok()) return value.status();
  return *value != nullptr ? **value : std::string(fallback);
}

// A field number as Java's Integer.parseInt reads one here: digits only.
bool ParseField(absl::string_view text, int* field) {
  if (text.empty() || text.size() > 6) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(text, field);
}

// The most fields one spec may select (ranges counted out), so that a spec cannot ask for more
// memory than a job could use.
constexpr size_t kMaxSelectedFields = 10000;

// One comma-separated list (Hadoop's extractFields): numbers and ranges into *fields; the open
// range's start, or -1. An open range where none counts (`open_allowed` false), a second one,
// or more than kMaxSelectedFields fields are refused: Hadoop would drop them in silence.
absl::StatusOr<int> ParseList(absl::string_view list, std::vector<int>* fields, bool open_allowed,
                              absl::string_view property, absl::string_view whole) {
  int open_from = -1;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    auto malformed = [&] {
      return absl::InvalidArgumentError(absl::StrCat(
          property, "='", whole, "': '", item,
          "' is not a field number, a range A-B or an open range A- (fields count from 0)"));
    };
    const size_t dash = item.find('-');
    if (dash == absl::string_view::npos) {
      int field = 0;
      if (!ParseField(item, &field)) return malformed();
      fields->push_back(field);
      continue;
    }
    absl::string_view start_text = item.substr(0, dash);
    absl::string_view end_text = item.substr(dash + 1);
    int start = 0;
    if (!start_text.empty() && !ParseField(start_text, &start)) return malformed();
    if (end_text.empty()) {
      if (!open_allowed || open_from >= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            property, "='", whole, "': '", item, "' ",
            open_allowed ? "is a second open range (Hadoop would keep only the last)"
                         : "is an open range among the key fields (Hadoop would ignore it)"));
      }
      open_from = start;
      continue;
    }
    int end = 0;
    if (!ParseField(end_text, &end)) return malformed();
    if (end >= start && fields->size() + static_cast<size_t>(end - start) >= kMaxSelectedFields) {
      return absl::InvalidArgumentError(absl::StrCat(property, "='", whole, "' selects more than ",
                                                     kMaxSelectedFields, " fields"));
    }
    for (int field = start; field <= end; ++field) fields->push_back(field);
  }
  if (fields->size() > kMaxSelectedFields) {
    return absl::InvalidArgumentError(
        absl::StrCat(property, "='", whole, "' selects more than ", kMaxSelectedFields, " fields"));
  }
  return open_from;
}

// "KEYS:VALUES" (Hadoop's parseOutputKeyValueSpec): an open range among the keys counts for
// nothing.
absl::StatusOr<FieldSelection::Fields> ParseSpec(absl::string_view spec,
                                                 absl::string_view property) {
  FieldSelection::Fields fields;
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  if (parts.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        property, "='", spec, "' has more than one ':' (Hadoop would ignore what follows it)"));
  }
  absl::StatusOr<int> keys =
      ParseList(parts[0], &fields.key, /*open_allowed=*/false, property, spec);
  if (!keys.ok()) return keys.status();
  if (parts.size() > 1) {
    absl::StatusOr<int> values =
        ParseList(parts[1], &fields.value, /*open_allowed=*/true, property, spec);
    if (!values.ok()) return values.status();
    fields.value_from = *values;
  }
  return fields;
}

// `text` cut at `separator` as Java's String.split cuts it: trailing empty fields dropped, and
// a text without the separator one field (even when empty).
std::vector<absl::string_view> Split(absl::string_view text, char separator) {
  std::vector<absl::string_view> fields = absl::StrSplit(text, separator);
  if (fields.size() == 1) return fields;
  while (!fields.empty() && fields.back().empty()) fields.pop_back();
  return fields;
}

// Hadoop's selectFields: absent when there is nothing to select from.
std::optional<std::string> Select(const std::vector<absl::string_view>& fields,
                                  const std::vector<int>& chosen, int from, char separator) {
  if (chosen.empty() && from < 0) return std::nullopt;
  std::string out;
  for (int index : chosen) {
    if (static_cast<size_t>(index) < fields.size())
      out.append(fields[index].data(), fields[index].size());
    out.push_back(separator);
  }
  for (size_t i = from < 0 ? fields.size() : static_cast<size_t>(from); i < fields.size(); ++i) {
    out.append(fields[i].data(), fields[i].size());
    out.push_back(separator);
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace

bool FieldSelection::Reads(absl::string_view property) {
  for (const PropertyNames& names : {kSeparator, kMapSpec, kReduceSpec}) {
    if (property == names.newer || property == names.older) return true;
  }
  return false;
}

absl::StatusOr<FieldSelection> FieldSelection::FromSpec(const proto::JobSpec& spec) {
  FieldSelection selection;
  std::string name;
  absl::StatusOr<std::string> separator = Get(spec, kSeparator, "\t", &name);
  if (!separator.ok()) return separator.status();
  if (separator->size() != 1 ||
      absl::string_view(".[]{}()\\*+?^$|").find((*separator)[0]) != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, "='", *separator,
        "' is not supported: Hadoop reads it as a regular expression (\".\" cuts at every "
        "character); Braid takes one character that means itself, such as a tab, ',' or ':'"));
  }
  selection.separator_ = (*separator)[0];
  for (auto [names, fields] :
       {std::pair{kMapSpec, &selection.map_}, std::pair{kReduceSpec, &selection.reduce_}}) {
    // Hadoop's default, "0-:", whose open key range counts for nothing: no fields at all.
    absl::StatusOr<std::string> text = Get(spec, names, ":", &name);
    if (!text.ok()) return text.status();
    absl::StatusOr<Fields> parsed = ParseSpec(*text, name);
    if (!parsed.ok()) return parsed.status();
    *fields = *std::move(parsed);
  }
  return selection;
}

FieldSelection::Selected FieldSelection::Map(absl::string_view line) const {
  const std::vector<absl::string_view> fields = Split(line, separator_);
  std::optional<std::string> key = Select(fields, map_.key, -1, separator_);
  std::optional<std::string> value = Select(fields, map_.value, map_.value_from, separator_);
  if (!key.has_value()) {
    key = std::move(value);
    value.reset();
  }
  // The mapper's pair starts as two empty texts.
  return Selected{key.value_or(""), value.value_or("")};
}

FieldSelection::Selected FieldSelection::Reduce(absl::string_view key,
                                                absl::string_view value) const {
  const std::string text = absl::StrCat(key, std::string(1, separator_), value);
  const std::vector<absl::string_view> fields = Split(text, separator_);
  return Selected{Select(fields, reduce_.key, -1, separator_),
                  Select(fields, reduce_.value, reduce_.value_from, separator_)};
}

}  // namespace braid
