// Versioned feature sets and training labels, computed the same way for
// training (`signalforge train`), backtests and live strategies.
//
//   price_v1@1   the seed's 15 price/microstructure features of one symbol,
//                each one output of an indicator component (the indicator
//                plugin), so a Lua strategy reading the same indicators
//                (scripts/lib/features.lua) gets the same numbers.
//   regime_v1@1  market regime from the universe itself: volatility of the
//                equal-weight index and its 252-bar percentile, index SMA50
//                vs SMA200, the symbol's sector relative strength, breadth.
//                These need every symbol of the universe at once, which the
//                SDK's indicator kind (one series in, series out) cannot
//                carry, so they are computed here and reach strategies as
//                per-bar values (BarClose extras -> ctx.features).
//   news_v1@1    headline sentiment, severity, horizon, credibility,
//                confirmation count, hours since, during market hours,
//                has-numbers, from analysed news published up to the bar.
//
// Every feature at bar t is a function of data with time <= t only (tests
// prove it by truncating and perturbing the future).
//
// Labels (one per row, with the time the label is known, for purging):
//   fwd_return(n)                 close[t+n] / close[t] - 1 (regression)
//   sign(n) | sign(fwd_return,n)  1 when that return is > 0, else 0
//   triple_barrier(+x%,-y%,n)     1 when high reaches close*(1+x) before low
//                                 reaches close*(1-y) within n bars; a bar
//                                 touching both counts as the loss
//                                 (conservative); neither -> 0.
//
// Thread-safety: free functions over caller data; IndicatorSource must not
// be mutated while they run.
#ifndef SF_APP_FEATURE_SETS_H_
#define SF_APP_FEATURE_SETS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "lua/indicator_source.h"
#include "market/bar_series.h"

namespace sf::app {

struct FeatureSetRef {
  std::string name;  // "price_v1"
  int version = 1;
  std::string ToString() const { return name + "@" + std::to_string(version); }
};

// `text` cut at `sep`, each piece trimmed of spaces, empty pieces dropped.
std::vector<std::string> SplitTrimmed(const std::string& text, char sep);

// "price_v1@1", "price_v1" (version 1), "price_v1@1+regime_v1@1" or with
// commas. Unknown names or versions are refused naming the known ones.
StatusOr<std::vector<FeatureSetRef>> ParseFeatureSets(const std::string& spec);

// Feature names of one set, in column order.
std::vector<std::string> FeatureNames(const FeatureSetRef& set);

// One price_v1 column: an output of an indicator with fixed parameters.
struct IndicatorFeature {
  const char* name;
  const char* indicator;
  std::map<std::string, double> params;
};
const std::vector<IndicatorFeature>& PriceV1Spec();

// Columns (one vector per feature, series.size() values each; NaN during
// warm-up) of price_v1 over `series`, through the indicator components.
StatusOr<std::vector<std::vector<double>>> ComputePriceV1(const lua::IndicatorSource& indicators,
                                                          const market::BarSeries& series);

// Universe-wide regime, per distinct bar time of the universe.
struct RegimeTable {
  std::vector<int64_t> ts;             // ascending union of bar times
  std::vector<double> vol_index;       // annualised stdev of 20 index returns
  std::vector<double> vol_index_pct;   // share of the last 252 values below
  std::vector<double> index_trend;     // SMA50 / SMA200 - 1 of the index level
  std::vector<double> breadth;         // share of symbols closing up
  std::vector<double> index_ret_20;    // 20-bar index return
  // sector -> its equal-weight index's 20-bar return, aligned with ts
  std::map<std::string, std::vector<double>> sector_ret_20;
};
// `sectors[i]` is the sector of universe[i] ("" = unknown: that symbol's
// sector strength is NaN).
RegimeTable ComputeRegime(const std::vector<market::BarSeries>& universe,
                          const std::vector<std::string>& sectors);
// regime_v1 columns aligned with `series` (5 columns).
std::vector<std::vector<double>> RegimeColumns(const RegimeTable& regime,
                                               const market::BarSeries& series,
                                               const std::string& sector);

// One analysed news item of a symbol (news_events + news_analysis).
struct NewsFact {
  int64_t published_us = 0;
  double sentiment = 0;     // -1..1
  double severity = 0;      // minor 1/3, moderate 2/3, severe 1
  double horizon_days = 0;  // days 5, quarters 90, permanent 365
  double credibility = 0.5;
  bool has_numbers = false;
};
// news_v1 columns aligned with `series` (8 columns); `news` sorted by time.
// A bar uses the news published in the 72 hours up to its time; none: NaN
// for the item features, 0 confirmations.
std::vector<std::vector<double>> NewsColumns(const std::vector<NewsFact>& news,
                                             const market::BarSeries& series);

struct LabelSpec {
  enum Kind { kForwardReturn, kSign, kTripleBarrier } kind = kForwardReturn;
  int horizon = 5;      // bars
  double up = 0.03;     // triple barrier, as fractions
  double down = 0.03;
  std::string text;     // canonical spelling, stored with the model
  bool binary() const { return kind != kForwardReturn; }
};
StatusOr<LabelSpec> ParseLabel(const std::string& spec);

// label[t] (NaN when the horizon runs past the data) and end[t] (the bar
// time the label is known; 0 with NaN).
void ComputeLabels(const LabelSpec& spec, const market::BarSeries& series,
                   std::vector<double>* label, std::vector<int64_t>* end);

// One symbol of a training universe.
struct SymbolInput {
  const market::BarSeries* series = nullptr;  // adjusted bars, ascending
  std::string sector;                          // "" when unknown
  std::vector<NewsFact> news;                  // by time; news_v1 only
};

// A training matrix: rows sorted by (time, symbol), row-major features.
struct TrainingRows {
  std::vector<std::string> names;
  std::vector<double> features;      // rows() * names.size(), NaN = missing
  std::vector<double> labels;
  std::vector<int64_t> row_time;     // bar END time of the row
  std::vector<int64_t> label_end;    // time its label is known
  std::vector<uint32_t> symbol;      // index into the universe
  int64_t data_from = 0, data_to = 0;
  size_t rows() const { return labels.size(); }
};

struct BuildOptions {
  std::vector<FeatureSetRef> sets;
  LabelSpec label;
  int64_t from_us = 0;                 // rows with from <= time <= to and
  int64_t to_us = INT64_MAX;           // label known by `to` (no label leaks past it)
  // Called after each symbol's features are computed: (symbol index, set,
  // its columns). For storing them; may be empty.
  std::function<void(size_t, const FeatureSetRef&, const std::vector<std::vector<double>>&)> on_columns;
  std::function<void(size_t done, size_t total)> on_progress;
};

// Features and labels of every symbol, as one matrix. A row is kept when its
// label is known within [from, to] and, with price_v1, every price feature
// is past its warm-up.
StatusOr<TrainingRows> BuildTrainingRows(const lua::IndicatorSource& indicators,
                                         const std::vector<SymbolInput>& universe,
                                         const BuildOptions& options);

}  // namespace sf::app

#endif  // SF_APP_FEATURE_SETS_H_
