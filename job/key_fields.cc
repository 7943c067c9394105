#include "job/key_fields.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace braid {
namespace {

// The encoding of one spec's bytes (reversed specs: every byte complemented). Each encoding is
// prefix-free — none is the start of another — so that concatenating them and complementing
// them both keep their order.
constexpr char kAbsent = 0x01;
constexpr char kText = 0x02;
constexpr char kNegative = 0x02;
constexpr char kZero = 0x03;
constexpr char kPositive = 0x04;

// Text: the bytes with 0x00 written 0x00 0x01, then 0x00 0x00.
void AppendText(absl::string_view bytes, std::string* out) {
  out->push_back(kText);
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back('\x01');
  }
  out->append(2, '\0');
}

// A number: its sign's class; for a non-zero one, the count of its integer digits (4 bytes, most
// significant first), its digits without leading or trailing zeros, and a 0x00 — complemented
// after the class when negative, so that a larger magnitude sorts first.
void AppendNumber(absl::string_view bytes, std::string* out) {
  size_t i = 0;
  const bool negative = i < bytes.size() && bytes[i] == '-';
  if (negative) ++i;
  while (i < bytes.size() && bytes[i] == '0') ++i;
  const size_t integer_begin = i;
  while (i < bytes.size() && absl::ascii_isdigit(static_cast<unsigned char>(bytes[i]))) ++i;
  const absl::string_view integer = bytes.substr(integer_begin, i - integer_begin);
  absl::string_view fraction;
  if (i < bytes.size() && bytes[i] == '.') {
    const size_t fraction_begin = ++i;
    while (i < bytes.size() && absl::ascii_isdigit(static_cast<unsigned char>(bytes[i]))) ++i;
    fraction = bytes.substr(fraction_begin, i - fraction_begin);
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  }
  if (integer.empty() && fraction.empty()) {
    out->push_back(kZero);
    return;
  }
  out->push_back(negative ? kNegative : kPositive);
  const size_t magnitude_begin = out->size();
  const uint32_t digits = static_cast<uint32_t>(integer.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(digits >> shift));
  out->append(integer.data(), integer.size());
  out->append(fraction.data(), fraction.size());
  out->push_back('\0');
  if (negative) {
    for (size_t j = magnitude_begin; j < out->size(); ++j)
      (*out)[j] = static_cast<char>(~(*out)[j]);
  }
}

absl::Status Malformed(absl::string_view property, absl::string_view options,
                       absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(property, "='", options, "': ", why));
}

// "f[.c][nr]": the field, the character if given, and the options.
bool ParsePosition(absl::string_view text, int* field, int* character, bool* numeric,
                   bool* reverse) {
  size_t i = 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || !absl::SimpleAtoi(text.substr(0, i), field)) return false;
  if (i < text.size() && text[i] == '.') {
    const size_t begin = ++i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == begin || !absl::SimpleAtoi(text.substr(begin, i - begin), character)) return false;
  }
  for (; i < text.size(); ++i) {
    if (text[i] == 'n') {
      *numeric = true;
    } else if (text[i] == 'r') {
      *reverse = true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<KeyFields> KeyFields::Parse(absl::string_view options, std::string separator,
                                           absl::string_view property) {
  if (separator.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key field separator for ", property, " cannot be empty"));
  }
  std::vector<absl::string_view> words =
      absl::StrSplit(options, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  Spec global;
  std::vector<Spec> specs;
  for (size_t w = 0; w < words.size(); ++w) {
    const absl::string_view word = words[w];
    if (word == "-n" || word == "-r" || word == "-nr" || word == "-rn") {
      global.numeric = global.numeric || word != "-r";
      global.reverse = global.reverse || word != "-n";
      continue;
    }
    if (word.substr(0, 2) != "-k") {
      return Malformed(property, options,
                       absl::StrCat("'", word,
                                    "' is not supported (Braid takes -k POS1[,POS2], -n and -r, "
                                    "as Hadoop's KeyFieldBasedComparator does)"));
    }
    absl::string_view argument = word.substr(2);
    if (argument.empty()) {
      if (w + 1 == words.size()) return Malformed(property, options, "-k needs a position");
      argument = words[++w];
    }
    Spec spec;
    const size_t comma = argument.find(',');
    bool numeric = false;
    bool reverse = false;
    if (!ParsePosition(argument.substr(0, comma), &spec.begin_field, &spec.begin_char, &numeric,
                       &reverse) ||
        (comma != absl::string_view::npos &&
         !ParsePosition(argument.substr(comma + 1), &spec.end_field, &spec.end_char, &numeric,
                        &reverse))) {
      return Malformed(property, options,
                       absl::StrCat("'-k", argument,
                                    "' is not of the form -k POS1[,POS2] with POS = "
                                    "FIELD[.CHARACTER][n][r]"));
    }
    if (spec.begin_field < 1 || spec.begin_char < 1) {
      return Malformed(property, options,
                       absl::StrCat("'-k", argument, "': fields and characters count from 1"));
    }
    spec.numeric = numeric;
    spec.reverse = reverse;
    specs.push_back(spec);
  }
  // As in Hadoop: a spec with neither n nor r of its own takes the global ones.
  for (Spec& spec : specs) {
    if (!spec.numeric && !spec.reverse) {
      spec.numeric = global.numeric;
      spec.reverse = global.reverse;
    }
  }
  if (specs.empty()) specs.push_back(global);
  return KeyFields(std::move(specs), std::move(separator));
}

KeyFields KeyFields::FirstFields(int fields, std::string separator) {
  Spec spec;
  spec.end_field = fields;
  return KeyFields({spec}, std::move(separator));
}

std::vector<size_t> KeyFields::FieldStarts(absl::string_view key) const {
  std::vector<size_t> starts = {0};
  size_t from = 0;
  while (true) {
    const size_t at = key.find(separator_, from);
    if (at == absl::string_view::npos) break;
    from = at + separator_.size();
    starts.push_back(from);
  }
  starts.push_back(key.size() + separator_.size());
  return starts;
}

bool KeyFields::Select(absl::string_view key, const std::vector<size_t>& fields, const Spec& spec,
                       absl::string_view* selected) const {
  const size_t count = fields.size() - 1;
  const size_t size = key.size();
  if (count < static_cast<size_t>(spec.begin_field)) return false;
  const size_t begin = fields[spec.begin_field - 1] + spec.begin_char - 1;
  if (begin >= size) return false;
  size_t end = size;  // one past the last byte
  if (spec.end_field != 0 && count >= static_cast<size_t>(spec.end_field)) {
    const size_t field_begin = fields[spec.end_field - 1];
    const size_t field_end = fields[spec.end_field] - separator_.size();
    end = spec.end_char == 0 ? field_end : std::min(size, field_begin + spec.end_char);
  }
  *selected = end > begin ? key.substr(begin, end - begin) : absl::string_view();
  return true;
}

void KeyFields::AppendSortKey(absl::string_view key, std::string* out) const {
  const std::vector<size_t> fields = FieldStarts(key);
  for (const Spec& spec : specs_) {
    const size_t begin = out->size();
    absl::string_view selected;
    if (!Select(key, fields, spec, &selected)) {
      out->push_back(kAbsent);
    } else if (spec.numeric) {
      AppendNumber(selected, out);
    } else {
      AppendText(selected, out);
    }
    if (spec.reverse) {
      for (size_t i = begin; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
    }
  }
}

void KeyFields::AppendSelected(absl::string_view key, std::string* out) const {
  const std::vector<size_t> fields = FieldStarts(key);
  for (const Spec& spec : specs_) {
    absl::string_view selected;
    if (!Select(key, fields, spec, &selected)) continue;
    absl::StrAppend(out, selected.size(), ":", selected);
  }
}

}  // namespace braid
