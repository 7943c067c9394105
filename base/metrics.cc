#include "base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace braid {
namespace {

// A sample value: integers as integers, the rest with every digit a double has.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char digits[32];
  const std::to_chars_result end = std::to_chars(digits, digits + sizeof digits, value);
  return std::string(digits, end.ptr);  // the shortest that reads back as `value`
}

void AppendLabelValue(std::string& text, absl::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        text += "\\\\";
        break;
      case '"':
        text += "\\\"";
        break;
      case '\n':
        text += "\\n";
        break;
      default:
        text += c;
    }
  }
}

void AppendSample(std::string& text, absl::string_view name, const MetricsPage::Labels& labels,
                  const std::pair<std::string, std::string>* extra, const std::string& value) {
  text.append(name.data(), name.size());
  if (!labels.empty() || extra != nullptr) {
    text += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& label) {
      if (!first) text += ',';
      first = false;
      absl::StrAppend(&text, label.first, "=\"");
      AppendLabelValue(text, label.second);
      text += '"';
    };
    for (const auto& label : labels) add(label);
    if (extra != nullptr) add(*extra);
    text += '}';
  }
  absl::StrAppend(&text, " ", value, "\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1, 0) {}

std::vector<double> Histogram::ExponentialBounds(double start, double factor, int count) {
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

void Histogram::Observe(double value) {
  const size_t bucket =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  ++counts_[bucket];
  ++count_;
  sum_ += value;
}

void MetricsPage::Family(absl::string_view name, absl::string_view type, absl::string_view help) {
  absl::StrAppend(&text_, "# HELP ", name, " ");
  for (char c : help) {
    if (c == '\\') {
      text_ += "\\\\";
    } else if (c == '\n') {
      text_ += "\\n";
    } else {
      text_ += c;
    }
  }
  absl::StrAppend(&text_, "\n# TYPE ", name, " ", type, "\n");
}

void MetricsPage::Sample(absl::string_view name, const Labels& labels, double value) {
  AppendSample(text_, name, labels, nullptr, FormatValue(value));
}

void MetricsPage::Histogram(absl::string_view name, const Labels& labels,
                            const braid::Histogram& histogram) {
  const std::string bucket = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  const std::vector<double>& bounds = histogram.upper_bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += histogram.bucket_counts()[i];
    const std::pair<std::string, std::string> le{
        "le", i < bounds.size() ? FormatValue(bounds[i]) : "+Inf"};
    AppendSample(text_, bucket, labels, &le, absl::StrCat(cumulative));
  }
  AppendSample(text_, absl::StrCat(name, "_sum"), labels, nullptr, FormatValue(histogram.sum()));
  AppendSample(text_, absl::StrCat(name, "_count"), labels, nullptr,
               absl::StrCat(histogram.count()));
}

void MetricsPage::Single(absl::string_view name, absl::string_view type, absl::string_view help,
                         double value) {
  Family(name, type, help);
  Sample(name, {}, value);
}

}  // namespace braid
