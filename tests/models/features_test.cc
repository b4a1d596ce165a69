// Feature sets and labels (host/app/feature_sets.h) on real S&P 500 bars,
// with price_v1 computed through the REAL indicator plugin .so.
//
// The leakage tests: a feature at bar t must equal the same feature computed
// from data truncated right after t, and must not move when every later bar
// (or news item) is changed. Labels must be exactly what the spec says, and
// no training row may carry a label known after --to.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "app/feature_sets.h"
#include "feature_support.h"
#include "lua/csv_bars.h"
#include "lua/indicator_source.h"
#include "plugins/loader.h"
#include "plugins/registry.h"

namespace sf::app {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const lua::IndicatorSource& Indicators() { return models::test::IndicatorPlugin(); }

market::BarSeries Load(const std::string& symbol) {
  auto b = lua::LoadDailyCsv(std::string(SF_SP500_DIR) + "/" + symbol + ".csv", symbol);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? *b : market::BarSeries{};
}

market::BarSeries Truncate(const market::BarSeries& s, size_t n) {
  market::BarSeries t;
  t.symbol = s.symbol;
  for (size_t i = 0; i < n; ++i) t.Append(s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
  return t;
}

// Every bar after `n` replaced by wild but valid values.
market::BarSeries PerturbAfter(const market::BarSeries& s, size_t n) {
  market::BarSeries p = s;
  for (size_t i = n; i < p.size(); ++i) {
    const double f = (i % 2) ? 3.0 : 0.2;
    p.open[i] *= f;
    p.close[i] *= f * 1.1;
    p.high[i] = std::max(p.open[i], p.close[i]) * 1.05;
    p.low[i] = std::min(p.open[i], p.close[i]) * 0.9;
    p.volume[i] *= 7;
  }
  return p;
}

bool Same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

TEST(FeatureSets, ParseAndNames) {
  auto sets = ParseFeatureSets("price_v1@1+regime_v1");
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  ASSERT_EQ(sets->size(), 2u);
  EXPECT_EQ((*sets)[1].ToString(), "regime_v1@1");
  EXPECT_EQ(FeatureNames((*sets)[0]).size(), 15u);
  EXPECT_EQ(FeatureNames((*sets)[1]).size(), 5u);
  EXPECT_EQ(FeatureNames({"news_v1", 1}).size(), 8u);
  auto bad = ParseFeatureSets("price_v2@1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("known: price_v1@1"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseFeatureSets("price_v1@2").ok());
  EXPECT_FALSE(ParseFeatureSets("price_v1@x").ok());
  EXPECT_FALSE(ParseFeatureSets("price_v1,price_v1").ok());
}

TEST(FeatureSets, PriceV1IsTheIndicatorPluginsOutput) {
  const market::BarSeries s = Load("AAPL");
  ASSERT_GT(s.size(), 1000u);
  auto cols = ComputePriceV1(Indicators(), s);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  ASSERT_EQ(cols->size(), 15u);
  // Spot checks against the seed's arithmetic at one bar.
  const size_t t = 3000;
  const auto& c = *cols;
  EXPECT_NEAR(c[0][t], s.close[t] / s.close[t - 1] - 1, 1e-12);
  EXPECT_NEAR(c[2][t], s.close[t] / s.close[t - 5] - 1, 1e-12);
  EXPECT_NEAR(c[9][t], s.close[t] * s.volume[t], 1e-6 * s.close[t] * s.volume[t]);
  EXPECT_NEAR(c[11][t], s.open[t] / s.close[t - 1] - 1, 1e-12);
  EXPECT_NEAR(c[12][t], (s.high[t] - s.low[t]) / s.open[t], 1e-12);
  double sma = 0;
  for (size_t k = t - 19; k <= t; ++k) sma += s.close[k];
  sma /= 20;
  EXPECT_NEAR(c[6][t], (s.close[t] - sma) / sma, 1e-9);
  EXPECT_GE(c[5][t], 0.0);
  EXPECT_LE(c[5][t], 100.0);
  // Warm-up is NaN, then every column is defined.
  EXPECT_TRUE(std::isnan(c[0][0]));
  for (size_t k = 0; k < 15; ++k) EXPECT_TRUE(std::isfinite(c[k][100])) << FeatureNames({"price_v1", 1})[k];
}

TEST(FeatureSets, PriceV1AtTUsesNoDataAfterT) {
  const market::BarSeries s = Load("MSFT");
  auto full = ComputePriceV1(Indicators(), s);
  ASSERT_TRUE(full.ok());
  for (size_t t : {size_t(30), size_t(250), size_t(2000), s.size() - 2}) {
    auto cut = ComputePriceV1(Indicators(), Truncate(s, t + 1));
    auto pert = ComputePriceV1(Indicators(), PerturbAfter(s, t + 1));
    ASSERT_TRUE(cut.ok() && pert.ok());
    for (size_t k = 0; k < 15; ++k) {
      for (size_t i = 0; i <= t; ++i) {
        ASSERT_TRUE(Same((*full)[k][i], (*cut)[k][i])) << "feature " << k << " bar " << i << " cut at " << t;
        ASSERT_TRUE(Same((*full)[k][i], (*pert)[k][i])) << "feature " << k << " bar " << i << " perturbed after " << t;
      }
    }
    // The perturbation is real: some later value did move.
    bool moved = false;
    for (size_t k = 0; k < 15 && !moved; ++k)
      for (size_t i = t + 1; i < s.size() && !moved; ++i) moved = !Same((*full)[k][i], (*pert)[k][i]);
    EXPECT_TRUE(moved || t + 1 >= s.size());
  }
}

TEST(FeatureSets, RegimeAtTUsesNoDataAfterT) {
  std::vector<market::BarSeries> u;
  std::vector<std::string> sectors;
  const std::vector<std::pair<std::string, std::string>> names = {
      {"AAPL", "Information Technology"}, {"MSFT", "Information Technology"}, {"XOM", "Energy"},
      {"CVX", "Energy"}, {"JPM", "Financials"}, {"KO", "Consumer Staples"}};
  for (const auto& [sym, sector] : names) {
    u.push_back(Load(sym));
    sectors.push_back(sector);
  }
  const RegimeTable full = ComputeRegime(u, sectors);
  ASSERT_GT(full.ts.size(), 3000u);
  // Defined after warm-up, in range.
  const size_t late = full.ts.size() - 10;
  EXPECT_TRUE(std::isfinite(full.vol_index[late]));
  EXPECT_GE(full.vol_index_pct[late], 0.0);
  EXPECT_LT(full.vol_index_pct[late], 1.0);
  EXPECT_GE(full.breadth[late], 0.0);
  EXPECT_LE(full.breadth[late], 1.0);
  // Breadth by hand at one bar.
  {
    const int64_t t = full.ts[late];
    int up = 0, n = 0;
    for (const auto& s : u) {
      auto it = std::lower_bound(s.ts.begin(), s.ts.end(), t);
      if (it == s.ts.end() || *it != t || it == s.ts.begin()) continue;
      const size_t i = static_cast<size_t>(it - s.ts.begin());
      ++n;
      up += s.close[i] > s.close[i - 1];
    }
    EXPECT_DOUBLE_EQ(full.breadth[late], static_cast<double>(up) / n);
  }
  for (size_t cut_at : {size_t(400), size_t(3000), full.ts.size() - 2}) {
    const int64_t t = full.ts[cut_at];
    std::vector<market::BarSeries> cut, pert;
    for (const auto& s : u) {
      const size_t n = static_cast<size_t>(std::upper_bound(s.ts.begin(), s.ts.end(), t) - s.ts.begin());
      cut.push_back(Truncate(s, n));
      pert.push_back(PerturbAfter(s, n));
    }
    const RegimeTable c = ComputeRegime(cut, sectors), p = ComputeRegime(pert, sectors);
    for (size_t j = 0; j <= cut_at; ++j) {
      ASSERT_TRUE(Same(full.vol_index[j], c.vol_index[j]) && Same(full.vol_index[j], p.vol_index[j])) << j;
      ASSERT_TRUE(Same(full.vol_index_pct[j], c.vol_index_pct[j]) && Same(full.vol_index_pct[j], p.vol_index_pct[j]));
      ASSERT_TRUE(Same(full.index_trend[j], c.index_trend[j]) && Same(full.index_trend[j], p.index_trend[j]));
      ASSERT_TRUE(Same(full.breadth[j], c.breadth[j]) && Same(full.breadth[j], p.breadth[j]));
    }
    // Per-symbol columns too (sector strength included).
    for (size_t k = 0; k < u.size(); ++k) {
      auto a = RegimeColumns(full, u[k], sectors[k]);
      auto b = RegimeColumns(p, pert[k], sectors[k]);
      const size_t n = cut[k].size();
      for (size_t col = 0; col < a.size(); ++col)
        for (size_t i = 0; i < n; ++i) ASSERT_TRUE(Same(a[col][i], b[col][i])) << u[k].symbol << " col " << col;
    }
  }
}

TEST(FeatureSets, NewsAtTUsesOnlyNewsPublishedByT) {
  const market::BarSeries s = Truncate(Load("AAPL"), 300);
  const int64_t hour = 3'600'000'000;
  // Bar b and b + 1 on consecutive days (not across a weekend).
  size_t b = 100;
  while (s.ts[b + 1] - s.ts[b] != 24 * hour) ++b;
  std::vector<NewsFact> news;
  NewsFact a;
  a.published_us = s.ts[b] - 5 * hour;  // during the session of bar b
  a.sentiment = -0.6;
  a.severity = 1.0;
  a.horizon_days = 90;
  a.credibility = 0.9;
  a.has_numbers = true;
  news.push_back(a);
  NewsFact later = a;
  later.published_us = s.ts[b] + hour;  // after bar b closed
  later.sentiment = 0.8;
  news.push_back(later);
  auto cols = NewsColumns(news, s);
  ASSERT_EQ(cols.size(), 8u);
  EXPECT_TRUE(std::isnan(cols[0][b - 1]));  // nothing published yet
  EXPECT_EQ(cols[4][b - 1], 0.0);
  EXPECT_DOUBLE_EQ(cols[0][b], -0.6);  // only the first item is known at bar b
  EXPECT_EQ(cols[4][b], 1.0);
  EXPECT_DOUBLE_EQ(cols[5][b], 5.0);
  EXPECT_EQ(cols[6][b], 1.0);          // published at 16:00 - 5 h ET: market hours
  EXPECT_EQ(cols[7][b], 1.0);
  EXPECT_DOUBLE_EQ(cols[0][b + 1], 0.8);   // the newer item, next bar
  EXPECT_EQ(cols[4][b + 1], 2.0);
  // Dropping the later item changes nothing up to bar b.
  auto only_a = NewsColumns({a}, s);
  for (size_t k = 0; k < 8; ++k)
    for (size_t i = 0; i <= b; ++i) ASSERT_TRUE(Same(cols[k][i], only_a[k][i]));
}

market::BarSeries Synthetic(const std::vector<std::array<double, 3>>& hlc) {
  market::BarSeries s;
  for (size_t i = 0; i < hlc.size(); ++i)
    s.Append(static_cast<int64_t>(i + 1) * 86'400'000'000, hlc[i][2], hlc[i][0], hlc[i][1], hlc[i][2], 1000);
  return s;
}

TEST(Labels, TripleBarrierByHand) {
  auto spec = ParseLabel("triple_barrier(+3%,-3%,3)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->text, "triple_barrier(+3%,-3%,3)");
  // high, low, close
  const auto s = Synthetic({{100, 100, 100},   // 0: up at 103, down at 97
                            {101, 99, 101},    // 1: up at 104.03, down at 97.97
                            {103.5, 99, 103},  // 2: bar 0 hits +3% here -> 1
                            {104.5, 96, 100},  // 3: both barriers of bar 1 -> 0 (conservative)
                            {101, 99.5, 100},  // 4
                            {101, 99.5, 100},  // 5
                            {101, 99.5, 100},  // 6
                            {101, 99.5, 100}});
  std::vector<double> y;
  std::vector<int64_t> end;
  ComputeLabels(*spec, s, &y, &end);
  EXPECT_EQ(y[0], 1.0);
  EXPECT_EQ(end[0], s.ts[2]);  // known when the barrier is touched
  EXPECT_EQ(y[1], 0.0);
  EXPECT_EQ(end[1], s.ts[3]);
  EXPECT_EQ(y[4], 0.0);        // neither barrier within 3 bars
  EXPECT_EQ(end[4], s.ts[7]);
  EXPECT_TRUE(std::isnan(y[5]));  // horizon runs past the data
  EXPECT_TRUE(std::isnan(y[7]));
}

TEST(Labels, ForwardReturnAndSign) {
  const auto s = Synthetic({{1, 1, 100}, {1, 1, 110}, {1, 1, 99}, {1, 1, 121}});
  auto fr = ParseLabel("fwd_return(2)");
  auto sg = ParseLabel("sign(fwd_return,2)");
  ASSERT_TRUE(fr.ok() && sg.ok());
  EXPECT_FALSE(fr->binary());
  EXPECT_TRUE(sg->binary());
  std::vector<double> y;
  std::vector<int64_t> end;
  ComputeLabels(*fr, s, &y, &end);
  EXPECT_NEAR(y[0], -0.01, 1e-12);
  EXPECT_NEAR(y[1], 0.1, 1e-12);
  EXPECT_EQ(end[1], s.ts[3]);
  EXPECT_TRUE(std::isnan(y[2]));
  ComputeLabels(*sg, s, &y, &end);
  EXPECT_EQ(y[0], 0.0);
  EXPECT_EQ(y[1], 1.0);
}

TEST(Labels, BadSpecsNameTheRule) {
  for (const char* bad : {"fwd_return", "fwd_return(0)", "triple_barrier(3%,-3%)", "triple_barrier(x,-3%,5)",
                          "momentum(5)", "sign(5,6)"}) {
    auto l = ParseLabel(bad);
    ASSERT_FALSE(l.ok()) << bad;
    EXPECT_NE(l.status().message().find(bad), std::string::npos) << l.status().message();
  }
}

TEST(TrainingRows, NoRowLeaksPastToAndRowsAreTimeOrdered) {
  const market::BarSeries a = Load("AAPL"), m = Load("MSFT");
  std::vector<SymbolInput> in(2);
  in[0].series = &a;
  in[0].sector = "Information Technology";
  in[1].series = &m;
  in[1].sector = "Information Technology";
  BuildOptions o;
  o.sets = *ParseFeatureSets("price_v1@1+regime_v1@1");
  o.label = *ParseLabel("triple_barrier(+3%,-3%,10)");
  ASSERT_TRUE(lua::ParseDateToCloseMicros("2010-01-04").has_value());
  o.from_us = *lua::ParseDateToCloseMicros("2010-01-04") - 86'400'000'000;
  o.to_us = *lua::ParseDateToCloseMicros("2012-12-31");
  auto rows = BuildTrainingRows(Indicators(), in, o);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_GT(rows->rows(), 900u);
  EXPECT_EQ(rows->names.size(), 20u);
  EXPECT_EQ(rows->features.size(), rows->rows() * 20);
  for (size_t i = 0; i < rows->rows(); ++i) {
    ASSERT_GE(rows->row_time[i], o.from_us);
    ASSERT_LE(rows->label_end[i], o.to_us) << "row " << i << " has a label known after --to";
    ASSERT_GT(rows->label_end[i], rows->row_time[i]);
    if (i > 0) {
      ASSERT_LE(rows->row_time[i - 1], rows->row_time[i]);
    }
    ASSERT_TRUE(rows->labels[i] == 0.0 || rows->labels[i] == 1.0);
  }
  // A row's features are the per-symbol columns at its bar.
  const size_t r = rows->rows() / 2;
  const market::BarSeries& s = rows->symbol[r] == 0 ? a : m;
  const size_t t = static_cast<size_t>(std::lower_bound(s.ts.begin(), s.ts.end(), rows->row_time[r]) - s.ts.begin());
  auto price = ComputePriceV1(Indicators(), s);
  ASSERT_TRUE(price.ok());
  for (size_t k = 0; k < 15; ++k) EXPECT_EQ(rows->features[r * 20 + k], (*price)[k][t]);
}

}  // namespace
}  // namespace sf::app
