// Metrics in Prometheus's terms: Histogram (observations in cumulative buckets, with their sum)
// and MetricsPage, which writes families of samples in the text exposition format (0.0.4) that
// a Prometheus server scrapes from /metrics.
//
//   MetricsPage page;
//   page.Family("braid_attempts_total", "counter", "Task attempts that ended, by outcome.");
//   page.Sample("braid_attempts_total", {{"kind", "map"}, {"outcome", "succeeded"}}, 12);
//   page.Family("braid_attempt_seconds", "histogram", "How long attempts ran.");
//   page.Histogram("braid_attempt_seconds", {{"kind", "map"}}, histogram);
//   Reply(page.text(), MetricsPage::kContentType);
//
// Counters are plain integers kept by their owners; a page is built at each scrape from them.

#ifndef BRAID_BASE_METRICS_H_
#define BRAID_BASE_METRICS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace braid {

class Histogram {
 public:
  // Buckets with these upper bounds (ascending), and one for everything above them (+Inf).
  explicit Histogram(std::vector<double> upper_bounds);
  // `count` bounds from `start`, each `factor` times the one before (Prometheus's
  // ExponentialBuckets).
  static std::vector<double> ExponentialBounds(double start, double factor, int count);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations at most upper_bounds()[i], not cumulative; the last entry counts those above
  // every bound.
  const std::vector<uint64_t>& bucket_counts() const { return counts_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upper_bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

class MetricsPage {
 public:
  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Begins family `name` of `type` ("counter", "gauge" or "histogram") with its help text. Its
  // samples follow, before the next family. REQUIRES: each name once per page.
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  // One sample; label values are escaped as the format wants.
  void Sample(absl::string_view name, const Labels& labels, double value);
  // A histogram's samples: NAME_bucket for each bound (cumulative, with `le`) and +Inf,
  // NAME_sum and NAME_count.
  void Histogram(absl::string_view name, const Labels& labels, const braid::Histogram& histogram);
  // A family with one unlabelled sample.
  void Single(absl::string_view name, absl::string_view type, absl::string_view help, double value);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace braid

#endif  // BRAID_BASE_METRICS_H_
