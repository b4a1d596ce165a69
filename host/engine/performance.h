// Performance statistics of a strategy (or a backtest run) from its closed
// trades and an equity curve. Pure functions over values; the live engine
// computes them from closed signals, the backtester from simulated trades.
//
// Definitions (all returns in percent unless said otherwise):
//   win rate        trades with return > 0 ÷ trades
//   avg / median    of per-trade returns
//   profit factor   sum of winning returns ÷ |sum of losing returns|
//                   (+inf reported as null in JSON when there is no loss)
//   Sharpe          mean ÷ sample std-dev of DAILY equity returns × sqrt(252),
//                   risk-free rate 0
//   Sortino         mean ÷ downside deviation (sqrt of the mean of
//                   min(r, 0)² over all days) × sqrt(252)
//   max drawdown    largest peak-to-trough fall of the equity curve, percent
//                   of the peak (reported >= 0)
//   avg holding     mean of (exit − entry) in days
//   alpha / beta    OLS of daily strategy returns on daily benchmark returns
//                   over the days both have; beta = cov ÷ var(benchmark),
//                   alpha = (mean_s − beta × mean_b) × 252, annualised percent
// Daily grouping uses UTC calendar days of the timestamps (µs since epoch).
// When an equity curve has fewer than 2 daily points the curve-based figures
// are 0.
//
// Thread-safety: pure functions over caller-owned values.
#ifndef SF_ENGINE_PERFORMANCE_H_
#define SF_ENGINE_PERFORMANCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "market/bar_series.h"

namespace sf::engine {

struct ClosedTrade {
  std::string symbol;
  std::string side;          // "buy" | "sell"
  int64_t entry_at = 0;      // µs
  int64_t exit_at = 0;       // µs
  double return_pct = 0;     // net of costs, signed from the side
  double size_pct = 100;     // % of equity the trade used (equity-from-trades)
};

struct EquityPoint {
  int64_t ts = 0;            // µs
  double equity = 0;         // > 0
};

struct PerformanceStats {
  int count = 0;
  int wins = 0;
  int losses = 0;
  double win_rate = 0;            // 0..1
  double avg_return_pct = 0;
  double median_return_pct = 0;
  double best_return_pct = 0;
  double worst_return_pct = 0;
  double profit_factor = 0;       // +inf when there are wins and no loss
  double avg_holding_days = 0;
  double total_return_pct = 0;    // equity curve, first to last point
  double sharpe = 0;
  double sortino = 0;
  double max_drawdown_pct = 0;    // >= 0
  double alpha_pct = 0;           // annualised
  double beta = 0;
  int days = 0;                   // daily equity points used
  nlohmann::json ToJson() const;
};

// The periods the API and reports show: 7d, 30d, 90d and all.
enum class Period { k7d, k30d, k90d, kAll };
std::string_view PeriodName(Period p);  // "7d" | "30d" | "90d" | "all"

// Last point of each UTC day, in order.
std::vector<EquityPoint> DailyEquity(const std::vector<EquityPoint>& equity);
// Day-over-day returns (fractions) of a daily curve, keyed by the day's
// index (days since epoch) of the later point.
std::map<int64_t, double> DailyReturns(const std::vector<EquityPoint>& daily);

// Statistics of the trades that CLOSED in [from, to] and of the equity curve
// restricted to that window (the last point before `from` anchors the first
// return). `benchmark` may be empty (alpha/beta stay 0).
PerformanceStats ComputeStats(const std::vector<ClosedTrade>& trades,
                              const std::vector<EquityPoint>& equity,
                              const std::vector<EquityPoint>& benchmark,
                              int64_t from = INT64_MIN, int64_t to = INT64_MAX);

// The four periods ending at `now` (µs): {"7d": ..., "30d": ..., "90d": ..., "all": ...}.
std::map<std::string, PerformanceStats> ComputePeriods(const std::vector<ClosedTrade>& trades,
                                                       const std::vector<EquityPoint>& equity,
                                                       const std::vector<EquityPoint>& benchmark,
                                                       int64_t now);

struct DailyPerformance {
  int64_t day = 0;           // days since epoch (UTC)
  std::string date;          // "YYYY-MM-DD"
  int trades_closed = 0;
  int wins = 0;
  double trade_return_sum_pct = 0;  // sum of returns of trades closed that day
  double equity = 0;         // last equity of the day (0 without a curve)
  double return_pct = 0;     // day-over-day equity change
};
std::vector<DailyPerformance> GroupDaily(const std::vector<ClosedTrade>& trades,
                                         const std::vector<EquityPoint>& equity);

// An equity curve from trades alone (live signals have no portfolio): start
// at `start`, each trade compounds size_pct % of equity by its return at its
// exit time. Trades are taken in exit order.
std::vector<EquityPoint> EquityFromTrades(const std::vector<ClosedTrade>& trades,
                                          double start = 100.0);

// The default benchmark: an equal-weight index of `universe` (each day the
// mean of the members' close-to-close returns, compounded from 100). Series
// are aligned on their bar timestamps; a member contributes from its second
// bar.
// `times`, when given, must be the ascending union of every member's bar
// times (a caller that has it spares the merge).
std::vector<EquityPoint> EqualWeightIndex(const std::vector<const market::BarSeries*>& universe,
                                          const std::vector<int64_t>* times = nullptr);

// "YYYY-MM-DD" of a µs timestamp (UTC).
std::string UtcDate(int64_t ts_us);

}  // namespace sf::engine

#endif  // SF_ENGINE_PERFORMANCE_H_
