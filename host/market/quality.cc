// Data quality checks (quality.h).
#include "market/quality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "market/calendar.h"
#include "market/time_zone.h"

namespace sf::market {

const char* QualityRuleName(QualityRule rule) {
  switch (rule) {
    case QualityRule::kNotFinite: return "not_finite";
    case QualityRule::kNonPositivePrice: return "non_positive_price";
    case QualityRule::kHighBelowLow: return "high_below_low";
    case QualityRule::kOpenCloseOutsideRange: return "open_close_outside_range";
    case QualityRule::kNegativeVolume: return "negative_volume";
    case QualityRule::kTimestampOutOfRange: return "timestamp_out_of_range";
    case QualityRule::kDuplicate: return "duplicate";
    case QualityRule::kOffCalendar: return "off_calendar";
    case QualityRule::kOutlierSpike: return "outlier_spike";
    case QualityRule::kOutlierJump: return "outlier_jump";
    case QualityRule::kGap: return "gap";
    case QualityRule::kCount: break;
  }
  return "unknown";
}

bool QualityRuleRejects(QualityRule rule) {
  return rule != QualityRule::kOutlierJump && rule != QualityRule::kGap;
}

void QualityReport::Merge(const QualityReport& o) {
  for (int i = 0; i < kQualityRuleCount; ++i) counts[i] += o.counts[i];
  rejected += o.rejected;
  flagged += o.flagged;
  missing_bars += o.missing_bars;
  for (const auto& is : o.issues) {
    if (issues.size() >= 200) break;
    issues.push_back(is);
  }
  gaps.insert(gaps.end(), o.gaps.begin(), o.gaps.end());
}

namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

class Recorder {
 public:
  Recorder(QualityReport* r, const QualityOptions& o, const std::string& symbol)
      : r_(r), o_(o), symbol_(symbol) {}
  void Add(QualityRule rule, int64_t ts, const std::string& detail) {
    r_->counts[static_cast<size_t>(rule)]++;
    if (QualityRuleRejects(rule)) {
      r_->rejected++;
    } else if (rule != QualityRule::kGap) {
      r_->flagged++;
    }
    if (r_->issues.size() < o_.max_issues) {
      r_->issues.push_back({rule, ts, symbol_ + " " + FormatTimestampUs(ts) + ": " + detail});
    }
  }

 private:
  QualityReport* r_;
  const QualityOptions& o_;
  const std::string& symbol_;
};

double Median(std::vector<double>* v) {
  auto mid = v->begin() + static_cast<std::ptrdiff_t>(v->size() / 2);
  std::nth_element(v->begin(), mid, v->end());
  return *mid;
}

}  // namespace

QualityReport CheckBars(ProviderBars* bars, const TradingCalendar& cal,
                        const QualityOptions& o) {
  QualityReport report;
  Recorder rec(&report, o, bars->symbol);
  const size_t n = bars->size();
  constexpr int64_t kUsPerDay = 86'400'000'000;
  const bool daily = bars->timeframe == Timeframe::k1d;

  // 1. Row rules.
  std::vector<bool> keep(n, true);
  for (size_t i = 0; i < n; ++i) {
    const double op = bars->open[i], hi = bars->high[i], lo = bars->low[i],
                 cl = bars->close[i], vo = bars->volume[i], f = bars->Factor(i);
    const int64_t ts = bars->ts_end[i] != 0 ? bars->ts_end[i] : bars->ts_start[i];
    auto reject = [&](QualityRule r, const std::string& d) {
      rec.Add(r, ts, d);
      keep[i] = false;
    };
    if (!std::isfinite(op) || !std::isfinite(hi) || !std::isfinite(lo) || !std::isfinite(cl) ||
        !std::isfinite(vo)) {
      reject(QualityRule::kNotFinite, "a price or the volume is NaN or infinite");
    } else if (op <= 0 || hi <= 0 || lo <= 0 || cl <= 0) {
      reject(QualityRule::kNonPositivePrice,
             "prices must be > 0 (open " + Num(op) + ", high " + Num(hi) + ", low " + Num(lo) +
                 ", close " + Num(cl) + ")");
    } else if (!std::isfinite(f)) {
      reject(QualityRule::kNotFinite, "the adjustment factor is NaN or infinite");
    } else if (f <= 0) {
      reject(QualityRule::kNonPositivePrice,
             "the adjustment factor must be > 0 (it is " + Num(f) + ")");
    } else if (hi < lo) {
      reject(QualityRule::kHighBelowLow, "high " + Num(hi) + " < low " + Num(lo));
    } else if (op < lo || op > hi || cl < lo || cl > hi) {
      reject(QualityRule::kOpenCloseOutsideRange,
             "open " + Num(op) + " or close " + Num(cl) + " outside [low " + Num(lo) +
                 ", high " + Num(hi) + "]");
    } else if (vo < 0) {
      reject(QualityRule::kNegativeVolume, "volume " + Num(vo) + " < 0");
    } else if (ts < o.min_ts_us || ts > o.now_us + o.max_future_us) {
      reject(QualityRule::kTimestampOutOfRange,
             "timestamp outside [1970-01-02, now + " +
                 std::to_string(o.max_future_us / 3'600'000'000) + "h]");
    } else if (bars->ts_end[i] == 0 || bars->ts_end[i] <= bars->ts_start[i]) {
      reject(QualityRule::kOffCalendar, "not a session of calendar '" + cal.name() + "'");
    } else if (daily ? !(cal.SessionOn(bars->ts_start[i] >= 0 ? bars->ts_start[i] / kUsPerDay : -1) ||
                         cal.SessionAt(bars->ts_start[i]))
                     : !cal.SessionAt(bars->ts_start[i])) {
      reject(QualityRule::kOffCalendar, "outside the sessions of calendar '" + cal.name() + "'");
    }
  }
  bars->Filter(keep);
  bars->SortByStart();

  // 2. Duplicates: the first copy wins.
  const size_t m = bars->size();
  keep.assign(m, true);
  for (size_t i = 1; i < m; ++i) {
    if (bars->ts_end[i] == bars->ts_end[i - 1] || bars->ts_start[i] == bars->ts_start[i - 1]) {
      keep[i] = false;
      rec.Add(QualityRule::kDuplicate, bars->ts_end[i], "a second bar for the same time");
    }
  }
  bars->Filter(keep);

  // 3. Outliers on the adjusted close.
  const size_t k = bars->size();
  keep.assign(k, true);
  std::vector<double> history;  // recent accepted log returns
  std::vector<double> window, dev;
  size_t prev = 0;
  for (size_t i = 1; i < k; ++i) {
    const double r = std::log(bars->close[i] * bars->Factor(i) /
                              (bars->close[prev] * bars->Factor(prev)));
    if (static_cast<int>(history.size()) >= o.outlier_min_history) {
      window.assign(history.end() - std::min<std::ptrdiff_t>(o.outlier_window, history.size()),
                    history.end());
      const double med = Median(&window);
      dev.resize(window.size());
      for (size_t j = 0; j < window.size(); ++j) dev[j] = std::fabs(window[j] - med);
      // MAD resists the outliers themselves; the standard deviation floor
      // keeps a stale stretch (MAD 0) from making every move an outlier.
      double mean = 0, var = 0;
      for (double x : window) mean += x;
      mean /= static_cast<double>(window.size());
      for (double x : window) var += (x - mean) * (x - mean);
      const double sd = std::sqrt(var / static_cast<double>(window.size()));
      const double sigma = std::max({1.4826 * Median(&dev), 0.5 * sd, 1e-4});
      const double z = (r - med) / sigma;
      if (std::fabs(z) > o.outlier_z) {
        bool spike = false;
        if (i + 1 < k) {
          const double r2 = std::log(bars->close[i + 1] * bars->Factor(i + 1) /
                                     (bars->close[i] * bars->Factor(i)));
          const double z2 = (r2 - med) / sigma;
          // A bad print comes back to where it was; a crash that rebounds
          // only part of the way (March 2020) is a real move.
          // Crisis days can move 12-15 sigma against a calm history and
          // rebound the next day (AEE 2020-03-16/17), so only a there-and-
          // back move of twice the threshold counts as a print error.
          spike = std::fabs(z) > 2 * o.outlier_z && std::fabs(z2) > 2 * o.outlier_z &&
                  (z2 > 0) != (z > 0) && std::fabs(r + r2) < 0.2 * std::fabs(r);
        }
        if (spike) {
          keep[i] = false;
          rec.Add(QualityRule::kOutlierSpike, bars->ts_end[i],
                  "close " + Num(bars->close[i]) + " jumps " + Num(z) +
                      " sigma and reverts on the next bar");
          continue;
        }
        rec.Add(QualityRule::kOutlierJump, bars->ts_end[i],
                "log return " + Num(r) + " is " + Num(z) + " sigma (kept: it persists)");
      }
    }
    history.push_back(r);
    if (history.size() > static_cast<size_t>(4 * o.outlier_window)) {
      history.erase(history.begin(), history.end() - o.outlier_window);
    }
    prev = i;
  }
  bars->Filter(keep);

  // 4. Gaps against the calendar.
  if (o.check_gaps && (bars->size() > 0 || (o.expected_from_us && o.expected_to_us))) {
    int64_t from = o.expected_from_us ? o.expected_from_us
                                      : bars->ts_end.front() - 1;
    int64_t to = o.expected_to_us ? o.expected_to_us : bars->ts_end.back();
    std::vector<int64_t> expected = cal.ExpectedBarEnds(bars->timeframe, from, to);
    size_t p = 0;
    int64_t last_present = from;
    Gap gap;
    for (int64_t e : expected) {
      while (p < bars->size() && bars->ts_end[p] < e) last_present = bars->ts_end[p++];
      if (p < bars->size() && bars->ts_end[p] == e) {
        if (gap.missing > 0) {
          report.gaps.push_back(gap);
          rec.Add(QualityRule::kGap, gap.to_us,
                  std::to_string(gap.missing) + " bar(s) missing after " +
                      FormatTimestampUs(gap.from_us));
          report.missing_bars += gap.missing;
          gap = Gap{};
        }
        last_present = e;
        ++p;
        continue;
      }
      if (gap.missing == 0) gap.from_us = last_present;
      gap.to_us = e;
      gap.missing++;
    }
    if (gap.missing > 0) {
      report.gaps.push_back(gap);
      rec.Add(QualityRule::kGap, gap.to_us,
              std::to_string(gap.missing) + " bar(s) missing after " +
                  FormatTimestampUs(gap.from_us));
      report.missing_bars += gap.missing;
    }
  }
  GlobalQualityCounters().Add(report);
  GlobalQualityCounters().AddChecked(static_cast<int64_t>(n));
  return report;
}

void QualityCounters::Add(const QualityReport& r) {
  for (int i = 0; i < kQualityRuleCount; ++i) {
    if (r.counts[i]) counts_[i].fetch_add(r.counts[i], std::memory_order_relaxed);
  }
}

QualityCounters& GlobalQualityCounters() {
  static QualityCounters counters;
  return counters;
}

}  // namespace sf::market
