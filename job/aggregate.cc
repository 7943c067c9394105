#include "job/aggregate.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace braid {
namespace {

absl::Status Unreadable(absl::string_view type, absl::string_view value, const char* expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(type, " cannot aggregate '", value, "': expected ", expected));
}

// As Java's Long.parseLong: an optional sign and decimal digits, nothing else.
bool ParseLong(absl::string_view text, int64_t* value) {
  if (text.empty()) return false;
  absl::string_view digits = text;
  if (digits[0] == '+' || digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(text, value);
}

class LongValueSum final : public ValueAggregator {
 public:
  absl::Status Add(absl::string_view value) override {
    int64_t number;
    if (!ParseLong(value, &number)) return Unreadable("LongValueSum", value, "an integer");
    sum_ += number;  // wraps on overflow, as Java's long does
    return absl::OkStatus();
  }
  std::string Report() const override { return absl::StrCat(sum_); }
  std::vector<std::string> CombinerOutput() const override { return {Report()}; }

 private:
  int64_t sum_ = 0;
};

class LongValueExtreme final : public ValueAggregator {
 public:
  explicit LongValueExtreme(bool max)
      : max_(max),
        value_(max ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max()) {}
  absl::Status Add(absl::string_view value) override {
    int64_t number;
    if (!ParseLong(value, &number)) {
      return Unreadable(max_ ? "LongValueMax" : "LongValueMin", value, "an integer");
    }
    value_ = max_ ? std::max(value_, number) : std::min(value_, number);
    return absl::OkStatus();
  }
  std::string Report() const override { return absl::StrCat(value_); }
  std::vector<std::string> CombinerOutput() const override { return {Report()}; }

 private:
  const bool max_;
  int64_t value_;
};

class StringValueExtreme final : public ValueAggregator {
 public:
  explicit StringValueExtreme(bool max) : max_(max) {}
  absl::Status Add(absl::string_view value) override {
    if (!seen_ || (max_ ? value > value_ : value < value_))
      value_.assign(value.data(), value.size());
    seen_ = true;
    return absl::OkStatus();
  }
  std::string Report() const override { return value_; }
  std::vector<std::string> CombinerOutput() const override { return {value_}; }

 private:
  const bool max_;
  bool seen_ = false;
  std::string value_;
};

class DoubleValueSum final : public ValueAggregator {
 public:
  absl::Status Add(absl::string_view value) override {
    double number;
    if (!absl::SimpleAtod(value, &number)) return Unreadable("DoubleValueSum", value, "a number");
    sum_ += number;
    return absl::OkStatus();
  }
  std::string Report() const override { return JavaDoubleString(sum_); }
  std::vector<std::string> CombinerOutput() const override { return {Report()}; }

 private:
  double sum_ = 0;
};

class UniqValueCount final : public ValueAggregator {
 public:
  explicit UniqValueCount(uint64_t max) : max_(max) {}
  absl::Status Add(absl::string_view value) override {
    if (values_.size() < max_) values_.emplace(value);
    return absl::OkStatus();
  }
  std::string Report() const override { return absl::StrCat(values_.size()); }
  std::vector<std::string> CombinerOutput() const override {
    return std::vector<std::string>(values_.begin(), values_.end());
  }

 private:
  const uint64_t max_;
  std::set<std::string> values_;
};

class ValueHistogram final : public ValueAggregator {
 public:
  absl::Status Add(absl::string_view value) override {
    absl::string_view item = value;
    int64_t count = 1;
    const size_t tab = value.rfind('\t');
    if (tab != absl::string_view::npos) {
      item = value.substr(0, tab);
      if (!ParseLong(value.substr(tab + 1), &count)) {
        return Unreadable("ValueHistogram", value, "VALUE or VALUE<TAB>COUNT");
      }
    }
    counts_[std::string(item)] += count;
    return absl::OkStatus();
  }
  std::string Report() const override {
    std::vector<int64_t> counts;
    counts.reserve(counts_.size());
    for (const auto& [item, count] : counts_) counts.push_back(count);
    std::sort(counts.begin(), counts.end());
    std::string report = absl::StrCat(counts.size());
    if (counts.empty()) return report;
    int64_t total = 0;
    for (int64_t count : counts) total += count;
    const double mean = static_cast<double>(total) / static_cast<double>(counts.size());
    double squares = 0;
    for (int64_t count : counts) {
      const double difference = static_cast<double>(count) - mean;
      squares += difference * difference;
    }
    const double deviation = std::sqrt(squares / static_cast<double>(counts.size()));
    absl::StrAppend(&report, "\t", counts.front(), "\t", counts[counts.size() / 2], "\t",
                    counts.back(), "\t", JavaDoubleString(mean), "\t", JavaDoubleString(deviation));
    return report;
  }
  std::vector<std::string> CombinerOutput() const override {
    std::vector<std::string> out;
    out.reserve(counts_.size());
    for (const auto& [item, count] : counts_) out.push_back(absl::StrCat(item, "\t", count));
    return out;
  }

 private:
  std::map<std::string, int64_t> counts_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ValueAggregator>> MakeValueAggregator(absl::string_view type,
                                                                     uint64_t max_unique_values) {
  auto is = [type](absl::string_view name) { return absl::EqualsIgnoreCase(type, name); };
  if (is("LongValueSum")) return std::make_unique<LongValueSum>();
  if (is("LongValueMax")) return std::make_unique<LongValueExtreme>(/*max=*/true);
  if (is("LongValueMin")) return std::make_unique<LongValueExtreme>(/*max=*/false);
  if (is("StringValueMax")) return std::make_unique<StringValueExtreme>(/*max=*/true);
  if (is("StringValueMin")) return std::make_unique<StringValueExtreme>(/*max=*/false);
  if (is("DoubleValueSum")) return std::make_unique<DoubleValueSum>();
  if (is("UniqValueCount")) return std::make_unique<UniqValueCount>(max_unique_values);
  if (is("ValueHistogram")) return std::make_unique<ValueHistogram>();
  return absl::InvalidArgumentError(absl::StrCat(
      "'", type,
      "' is not an aggregator of Hadoop's Aggregate package (LongValueSum, LongValueMax, "
      "LongValueMin, StringValueMax, StringValueMin, DoubleValueSum, UniqValueCount, "
      "ValueHistogram)"));
}

absl::StatusOr<AggregateKey> SplitAggregateKey(absl::string_view key) {
  const size_t colon = key.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", key, "' names no aggregator: an aggregate job's keys are TYPE:ID"));
  }
  return AggregateKey{key.substr(0, colon), key.substr(colon + 1)};
}

std::string JavaDoubleString(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // The shortest digits that read back as `value`, as d.ddde±x.
  char buffer[64];
  const std::to_chars_result written =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  absl::string_view text(buffer, static_cast<size_t>(written.ptr - buffer));
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    text.remove_prefix(1);
  }
  const size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = 0;
  (void)absl::SimpleAtoi(text.substr(e + 1), &exponent);
  if (exponent >= -3 && exponent < 7) {
    // Plain decimal, at least one digit after the point.
    std::string integer, fraction;
    if (exponent >= 0) {
      const size_t whole = static_cast<size_t>(exponent) + 1;
      if (digits.size() < whole) digits.append(whole - digits.size(), '0');
      integer = digits.substr(0, whole);
      fraction = digits.substr(whole);
    } else {
      integer = "0";
      fraction = std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    if (fraction.empty()) fraction = "0";
    return absl::StrCat(sign, integer, ".", fraction);
  }
  return absl::StrCat(sign, digits.substr(0, 1), ".", digits.size() > 1 ? digits.substr(1) : "0",
                      "E", exponent);
}

}  // namespace braid
