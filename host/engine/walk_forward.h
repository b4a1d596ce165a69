// Walk-forward analysis: split the period into in-sample (IS) and
// out-of-sample (OOS) windows, sweep the parameter grid on each IS window,
// and backtest the IS winner on the OOS window that follows it. The OOS
// pieces, stitched together, are the honest estimate of the strategy.
//
//   rolling:  IS = [s - is_days, s),  OOS = [s, s + oos_days)
//   anchored: IS = [from, s),         OOS = [s, s + oos_days)
// with s = from + is_days, from + is_days + oos_days, ... while s < to.
// Each OOS backtest starts flat (positions do not carry across windows) and
// sees the bars before its window as history only.
//
// Thread-safety: RunWalkForward blocks; the sweeps inside run in parallel.
#ifndef SF_ENGINE_WALK_FORWARD_H_
#define SF_ENGINE_WALK_FORWARD_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backtest.h"
#include "engine/sweep.h"

namespace sf::engine {

struct WalkForwardOptions {
  int is_days = 730;
  int oos_days = 180;
  bool anchored = false;
  std::string objective = "sharpe";
  int parallel = 2;

  // "is=730,oos=180,mode=rolling|anchored,objective=sharpe"; every key is
  // optional. Errors name the key and the rule.
  static StatusOr<WalkForwardOptions> Parse(const std::string& spec);
};

struct WalkForwardWindow {
  int64_t is_from = 0, is_to = 0, oos_from = 0, oos_to = 0;  // µs; *_to exclusive
  nlohmann::json best_params;
  double is_score = 0;
  PerformanceStats is_stats;
  PerformanceStats oos_stats;
  int oos_trades = 0;
  std::string error;           // non-empty: this window could not run
};

struct WalkForwardResult {
  std::vector<WalkForwardWindow> windows;
  std::vector<BacktestTrade> trades;   // OOS trades of every window
  std::vector<EquityPoint> equity;     // OOS equity, stitched (starts at initial_equity)
  PerformanceStats stats;              // of the stitched OOS
  nlohmann::json ToJson() const;
};

StatusOr<WalkForwardResult> RunWalkForward(const BacktestConfig& base,
                                           const std::vector<market::BarSeries>& data,
                                           const ParamGrid& grid,
                                           const WalkForwardOptions& options);

}  // namespace sf::engine

#endif  // SF_ENGINE_WALK_FORWARD_H_
