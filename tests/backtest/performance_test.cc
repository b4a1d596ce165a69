// Performance statistics against values computed by hand (see the comments:
// each figure is derived from the tiny data set in the test).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/performance.h"

namespace sf::engine {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;
constexpr int64_t kBase = 18'000 * kDay;  // 2019-04-14

ClosedTrade T(double ret, int entry_day, int exit_day) {
  return {"X", "buy", kBase + entry_day * kDay, kBase + exit_day * kDay + 3600'000'000LL, ret, 100};
}

TEST(Performance, TradeStatistics) {
  // Returns 10, -5, 4, -2 held 1, 2, 3, 4 days (plus one hour each).
  std::vector<ClosedTrade> trades = {T(10, 0, 1), T(-5, 0, 2), T(4, 0, 3), T(-2, 0, 4)};
  PerformanceStats s = ComputeStats(trades, {}, {});
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.wins, 2);
  EXPECT_EQ(s.losses, 2);
  EXPECT_DOUBLE_EQ(s.win_rate, 0.5);
  EXPECT_DOUBLE_EQ(s.avg_return_pct, 1.75);     // 7 / 4
  EXPECT_DOUBLE_EQ(s.median_return_pct, 1.0);   // (-2 + 4) / 2
  EXPECT_DOUBLE_EQ(s.profit_factor, 2.0);       // 14 / 7
  EXPECT_NEAR(s.avg_holding_days, 2.5 + 1.0 / 24, 1e-12);
  EXPECT_DOUBLE_EQ(s.best_return_pct, 10);
  EXPECT_DOUBLE_EQ(s.worst_return_pct, -5);
  // Odd count median; no losses -> infinite profit factor (null in JSON).
  PerformanceStats w = ComputeStats({T(1, 0, 1), T(3, 0, 1), T(2, 0, 1)}, {}, {});
  EXPECT_DOUBLE_EQ(w.median_return_pct, 2.0);
  EXPECT_TRUE(std::isinf(w.profit_factor));
  EXPECT_TRUE(w.ToJson()["profit_factor"].is_null());
}

TEST(Performance, EquityCurveStatistics) {
  // Daily closes 100, 110, 99, 108.9: returns +10 %, -10 %, +10 %.
  // An intraday point of 115 on day 1 counts for the drawdown, not the daily returns.
  std::vector<EquityPoint> eq = {{kBase, 100},
                                 {kBase + kDay + 3600'000'000LL, 115},
                                 {kBase + kDay + 7200'000'000LL, 110},
                                 {kBase + 2 * kDay, 99},
                                 {kBase + 3 * kDay, 108.9}};
  // Benchmark 100, 105, 94.5, 103.95: +5 %, -10 %, +10 %.
  std::vector<EquityPoint> bench = {{kBase, 100},
                                    {kBase + kDay, 105},
                                    {kBase + 2 * kDay, 94.5},
                                    {kBase + 3 * kDay, 103.95}};
  PerformanceStats s = ComputeStats({}, eq, bench);
  EXPECT_EQ(s.days, 4);
  EXPECT_NEAR(s.total_return_pct, 8.9, 1e-9);
  // mean 1/30, sample sd sqrt(0.04/3): (1/30) / 0.11547 × sqrt(252)
  EXPECT_NEAR(s.sharpe, 4.58257569495584, 1e-9);
  // downside deviation sqrt(0.01/3)
  EXPECT_NEAR(s.sortino, 9.16515138991168, 1e-9);
  EXPECT_NEAR(s.max_drawdown_pct, (115 - 99) / 115.0 * 100, 1e-9);
  // cov/var of (5,-10,10) vs (10,-10,10) = 1.0769; alpha (m_s - beta m_b) × 252
  EXPECT_NEAR(s.beta, 1.0769230769230769, 1e-9);
  EXPECT_NEAR(s.alpha_pct, 387.69230769230774, 1e-6);
}

TEST(Performance, WindowsAndPeriods) {
  std::vector<ClosedTrade> trades = {T(5, 0, 1), T(-1, 40, 50), T(2, 95, 98), T(3, 99, 100)};
  std::vector<EquityPoint> eq = EquityFromTrades(trades, 100);
  ASSERT_EQ(eq.size(), 5u);
  EXPECT_NEAR(eq.back().equity, 100 * 1.05 * 0.99 * 1.02 * 1.03, 1e-9);
  const int64_t now = kBase + 100 * kDay + 7200'000'000LL;
  auto p = ComputePeriods(trades, eq, {}, now);
  EXPECT_EQ(p["7d"].count, 2);    // exits on days 98 and 100
  EXPECT_EQ(p["30d"].count, 2);
  EXPECT_EQ(p["90d"].count, 3);   // day 50 is inside 90 days
  EXPECT_EQ(p["all"].count, 4);
  // The 7d curve return is anchored on the last point before the window.
  EXPECT_NEAR(p["7d"].total_return_pct, (1.02 * 1.03 - 1) * 100, 1e-9);
}

TEST(Performance, DailyGroupingAndDates) {
  EXPECT_EQ(UtcDate(0), "1970-01-01");
  EXPECT_EQ(UtcDate(kBase), "2019-04-14");
  EXPECT_EQ(UtcDate(951782400LL * 1000000), "2000-02-29");
  std::vector<ClosedTrade> trades = {T(5, 0, 1), T(-1, 0, 1), T(2, 0, 3)};
  std::vector<EquityPoint> eq = {{kBase, 100}, {kBase + kDay, 104}, {kBase + 3 * kDay, 106.08}};
  auto days = GroupDaily(trades, eq);
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].date, "2019-04-14");
  EXPECT_EQ(days[0].trades_closed, 0);
  EXPECT_EQ(days[1].trades_closed, 2);
  EXPECT_EQ(days[1].wins, 1);
  EXPECT_DOUBLE_EQ(days[1].trade_return_sum_pct, 4);
  EXPECT_NEAR(days[1].return_pct, 4, 1e-9);
  EXPECT_NEAR(days[2].return_pct, 2, 1e-9);
}

TEST(Performance, EqualWeightIndex) {
  market::BarSeries a, b;
  a.symbol = "A";
  b.symbol = "B";
  for (int i = 0; i < 3; ++i) {
    a.Append(kBase + i * kDay, 1, 1, 1, 100 * (1 + 0.1 * i), 1);  // 100, 110, 120
    b.Append(kBase + i * kDay, 1, 1, 1, 50, 1);                   // flat
  }
  auto idx = EqualWeightIndex({&a, &b});
  ASSERT_EQ(idx.size(), 3u);
  EXPECT_DOUBLE_EQ(idx[0].equity, 100);
  EXPECT_NEAR(idx[1].equity, 105, 1e-9);                          // (10 % + 0) / 2
  EXPECT_NEAR(idx[2].equity, 105 * (1 + (120.0 / 110 - 1) / 2), 1e-9);
}

// The union of bar times given by a caller that has it (the backtester's
// timeline) gives the same index as the merge inside, with members that
// start late and skip days.
TEST(Performance, EqualWeightIndexWithGivenTimes) {
  market::BarSeries a, b, c;
  for (int i = 0; i < 40; ++i) {
    a.Append(kBase + i * kDay, 1, 1, 1, 100 + i * (i % 3 == 0 ? -1.5 : 1.0), 1);
    if (i >= 7) b.Append(kBase + i * kDay, 1, 1, 1, 50 + (i % 5), 1);
    if (i % 4 != 1) c.Append(kBase + i * kDay + kDay / 2, 1, 1, 1, 20 + 0.1 * i, 1);
  }
  std::vector<int64_t> times;
  for (const auto* s : {&a, &b, &c}) times.insert(times.end(), s->ts.begin(), s->ts.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  auto merged = EqualWeightIndex({&a, &b, &c});
  auto given = EqualWeightIndex({&a, &b, &c}, &times);
  ASSERT_EQ(merged.size(), given.size());
  ASSERT_GT(merged.size(), 40u);
  for (size_t i = 0; i < merged.size(); ++i) {
    EXPECT_EQ(merged[i].ts, given[i].ts) << i;
    EXPECT_EQ(merged[i].equity, given[i].equity) << i;
  }
}

}  // namespace
}  // namespace sf::engine
