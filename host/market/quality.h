// Data quality checks on provider bars before they are used or stored.
//
// What happens to each finding:
//   rejected (removed from the bars; never stored):
//     not_finite, non_positive_price, high_below_low, open_close_outside_range,
//     negative_volume, timestamp_out_of_range, duplicate (the first copy is
//     kept), off_calendar (not a session of the instrument's calendar),
//     outlier_spike (a log return beyond twice the z threshold that the
//     next bar reverses just as hard, back to within 20% of the move: a bad
//     print)
//   flagged (kept, logged, counted, listed in the report):
//     outlier_jump (a move beyond the z threshold that persists: real crashes
//     and gap-ups look like this, so removing them would falsify history),
//     gap (bars the calendar expects but the provider did not deliver; the
//     gaps are returned so the caller can backfill them)
// Every finding is counted in process-wide counters (for /metrics).
//
// Thread-safety: CheckBars is reentrant; the global counters are atomic.
#ifndef SF_MARKET_QUALITY_H_
#define SF_MARKET_QUALITY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "market/provider_bars.h"

namespace sf::market {

class TradingCalendar;

enum class QualityRule : int {
  kNotFinite = 0,
  kNonPositivePrice,
  kHighBelowLow,
  kOpenCloseOutsideRange,
  kNegativeVolume,
  kTimestampOutOfRange,
  kDuplicate,
  kOffCalendar,
  kOutlierSpike,
  kOutlierJump,
  kGap,
  kCount
};
inline constexpr int kQualityRuleCount = static_cast<int>(QualityRule::kCount);

// Stable snake_case names ("high_below_low"), used in logs and metrics.
const char* QualityRuleName(QualityRule rule);
// True for rules whose bars are removed.
bool QualityRuleRejects(QualityRule rule);

struct QualityOptions {
  // The clock: bars ending after now + max_future_us are rejected.
  int64_t now_us = std::numeric_limits<int64_t>::max() / 2;
  int64_t max_future_us = 86'400'000'000;   // 1 day
  int64_t min_ts_us = 86'400'000'000;       // 1970-01-02T00:00Z
  // |log return| / sigma above this is an outlier; sigma is a robust
  // (median absolute deviation) estimate over the trailing window.
  double outlier_z = 12.0;
  int outlier_window = 60;
  int outlier_min_history = 20;
  bool check_gaps = true;
  // Gaps are checked between these bounds and the delivered bars (0 = the
  // first / last delivered bar).
  int64_t expected_from_us = 0;
  int64_t expected_to_us = 0;
  // Issues kept in the report (all are counted).
  size_t max_issues = 200;
};

struct QualityIssue {
  QualityRule rule{};
  int64_t ts_us = 0;  // bar end (or start when no end is known)
  std::string detail;
};

struct Gap {
  int64_t from_us = 0;  // end of the last bar before the gap (exclusive)
  int64_t to_us = 0;    // end of the last missing bar (inclusive)
  int64_t missing = 0;  // bars missing
};

struct QualityReport {
  std::array<int64_t, kQualityRuleCount> counts{};
  int64_t rejected = 0;  // bars removed
  int64_t flagged = 0;   // bars kept with a finding
  int64_t missing_bars = 0;
  std::vector<QualityIssue> issues;  // the first max_issues findings
  std::vector<Gap> gaps;
  int64_t count(QualityRule r) const { return counts[static_cast<size_t>(r)]; }
  void Merge(const QualityReport& other);
};

// Checks `bars` (any order; they come back sorted by end time), removes the
// rejected rows and reports every finding. Bars must have their end times
// assigned (AssignBarEnds); a bar with ts_end 0 is off-calendar.
QualityReport CheckBars(ProviderBars* bars, const TradingCalendar& calendar,
                        const QualityOptions& options);

// Process-wide counters of findings by rule, since start.
class QualityCounters {
 public:
  void Add(const QualityReport& report);
  int64_t Get(QualityRule rule) const {
    return counts_[static_cast<size_t>(rule)].load(std::memory_order_relaxed);
  }
  int64_t bars_checked() const { return checked_.load(std::memory_order_relaxed); }
  void AddChecked(int64_t n) { checked_.fetch_add(n, std::memory_order_relaxed); }

 private:
  std::array<std::atomic<int64_t>, kQualityRuleCount> counts_{};
  std::atomic<int64_t> checked_{0};
};
QualityCounters& GlobalQualityCounters();

}  // namespace sf::market

#endif  // SF_MARKET_QUALITY_H_
