#include "tools/progress.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace braid {
namespace {

std::string FakeClock(uint64_t ms) {
  uint64_t s = ms / 1000;
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

double Fraction(const proto::JobStatus& status) {
  double maps = status.maps_total() == 0 ? 1 : 1.0 * status.maps_done() / status.maps_total();
  if (status.reduces_total() == 0) return maps;
  double reduces = 1.0 * status.reduces_done() / status.reduces_total();
  return 0.75 * maps + 0.25 * reduces;
}

}  // namespace

ProgressDisplay::ProgressDisplay(std::FILE* out) : out_(out), terminal_(isatty(fileno(out))) {}

std::string ProgressDisplay::Describe(const proto::JobStatus& status) {
  std::string text = absl::StrFormat("maps %d/%d", status.maps_done(), status.maps_total());
  if (status.reduces_total() > 0) {
    absl::StrAppendFormat(&text, "  reduces %d/%d", status.reduces_done(), status.reduces_total());
  }
  const double seconds = status.elapsed_ms() / 1000.0;
  if (seconds > 0 && status.bytes_read() > 0) {
    absl::StrAppendFormat(&text, "  %.1f MB/s", status.bytes_read() / 1e6 / seconds);
  }
  absl::StrAppend(&text, "  ", FakeClock(status.elapsed_ms()));
  const double done = Fraction(status);
  if (done > 0.02 && done < 1) {
    absl::StrAppend(&text, "  ETA ",
                    FakeClock(static_cast<uint64_t>(status.elapsed_ms() * (1 - done) / done)));
  }
  if (!status.message().empty()) absl::StrAppend(&text, "  (", status.message(), ")");
  return text;
}

void ProgressDisplay::Update(const proto::JobStatus& status) {
  std::string text = Describe(status);
  if (terminal_) {
    const int width = 30;
    const int filled = static_cast<int>(Fraction(status) * width);
    std::string bar =
        absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '.'), "] ");
    absl::FPrintF(out_, "\r\033[K%s%s", bar, text);
    std::fflush(out_);
    drawn_ = true;
    return;
  }
  absl::Time now = absl::Now();
  if (text == last_text_ || now - last_line_ < absl::Seconds(1)) return;
  last_line_ = now;
  last_text_ = text;
  absl::FPrintF(out_, "%s: %s\n", status.job_id(), text);
}

void ProgressDisplay::Finish() {
  if (terminal_ && drawn_) absl::FPrintF(out_, "\r\033[K");
  std::fflush(out_);
}

std::string FormatCounters(const proto::JobStatus& status) {
  std::string text;
  std::string group;
  for (const proto::Counter& counter : status.counters()) {
    if (counter.group() != group) {
      group = counter.group();
      absl::StrAppend(&text, "  ", group, "\n");
    }
    absl::StrAppend(&text, "    ", counter.name(), "=", counter.value(), "\n");
  }
  return text;
}

}  // namespace braid
