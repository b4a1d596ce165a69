// The backtester: the live signal path driven by a simulated clock.
//
// A run has two phases.
//
// Intents. A backtest passes no positions to the strategy (ctx sees bars,
// indicators, features and its own state, never the simulated portfolio), so
// what the strategy asks for does not depend on fills. By default (range
// mode) the whole series go to the SAME sf::lua::StrategyRuntime the server
// uses once, and StrategyRuntime::EvaluateRange returns, inside the worker
// and without per-bar IPC, exactly the intents per-bar OnBarClose would have
// given: at bar time t the strategy sees only bars complete at t. With
// BacktestConfig::per_bar the runtime is driven bar by bar instead
// (UpdateSeries(series, index_of(t) + 1) + OnBarClose), the live path; a
// test proves both give identical results.
//
// Simulation. The union of the series' bar timestamps is walked in order. At
// each simulated time t:
//   1. orders decided at the previous bar fill at this bar's OPEN plus
//      slippage and fees (engine/fills.h); an entry whose open has already
//      gapped through its stop or target is skipped (recorded as a skip);
//   2. every open position sees bar t through engine/lifecycle.h Advance
//      (target / stop with gap-through at the open / expiry), exactly as
//      the live position monitor does; exits pay slippage and fees too;
//   3. equity is marked to the closes of t;
//   4. the intents of bar t (phase one);
//   5. an intent opposite to an open position closes it at the next open
//      (manually_closed / opposite_signal); other intents go through the same
//      RiskManager (engine/risk.h) against the simulated portfolio, and an
//      accepted one becomes an entry order for the next bar's open.
// Nothing reads a bar after t: the look-ahead test in tests/backtest proves
// it by truncating the data at each signal's bar.
// Positions still open when the data ends close at the last close with
// status manually_closed, exit_reason "end_of_data".
//
// Feature series (BacktestConfig::features, e.g. regime_v1 computed by the
// caller over the run's universe) reach ctx.features(set) at every bar in
// both modes: range mode hands them to EvaluateRange, per-bar mode passes the
// value at t through BarClose extras (SYMBOL -> {features: {set: {...}}}).
//
// Thread-safety: RunBacktest is reentrant; each call starts its own Lua
// worker process (one per run, so sweeps run several in parallel).
#ifndef SF_ENGINE_BACKTEST_H_
#define SF_ENGINE_BACKTEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/fills.h"
#include "engine/performance.h"
#include "engine/risk.h"
#include "lua/strategy_runtime.h"
#include "market/bar_series.h"

namespace sf::engine {

struct BacktestConfig {
  std::string strategy_file;              // a .lua strategy
  std::string lib_dir;                    // scripts/lib
  std::string worker_path;                // sf_lua_worker; empty: beside the executable
  std::vector<std::string> plugin_dirs;   // indicator/model plugins for the worker
  nlohmann::json params = nlohmann::json::object();  // strategy param overrides
  int64_t from = INT64_MIN;               // µs: first bar evaluated (earlier bars are history)
  int64_t to = INT64_MAX;                 // µs: last bar evaluated
  double initial_equity = 100000;
  RiskLimits risk;
  CostModel costs;
  int history_bars = 500;                 // bars the strategy can see
  std::map<std::string, std::string> sectors;  // symbol -> sector (risk + ctx.instrument)
  // Models ctx.predict can call: name -> {"component": id, "config": {...}}
  // (lua::RuntimeOptions::models); empty: ctx.predict returns nil.
  nlohmann::json models = nlohmann::json::object();
  // Host-computed feature sets over time (ctx.features), e.g. regime_v1.
  std::vector<lua::FeatureSeries> features;
  // true: drive the runtime bar by bar through OnBarClose (the live path);
  // false: one EvaluateRange over the whole period (same intents, faster).
  bool per_bar = false;
  // Range mode: worker processes a strategy declaring `independent = true`
  // may be split across (by symbols); 0: one per core.
  int workers = 0;
  // Called now and then with the share of the timeline done (0..1).
  std::function<void(double)> progress;
  // Set to true from another thread to stop early (the run fails "cancelled").
  const std::atomic<bool>* cancel = nullptr;
};

struct BacktestTrade {
  std::string symbol;
  std::string side;           // "buy" | "sell"
  int64_t signal_ts = 0;      // µs, bar that produced the signal
  int64_t entry_ts = 0;       // µs, bar whose open filled the entry
  double entry_price = 0;     // fill, after slippage
  double quantity = 0;        // shares, > 0
  int64_t exit_ts = 0;        // µs, end of the bar that closed it
  double exit_price = 0;      // fill, after slippage
  std::string status;         // target_reached | stopped_out | expired | manually_closed
  std::string exit_reason;    // lifecycle reason, "opposite_signal" or "end_of_data"
  double fees = 0;            // entry + exit, currency
  double pnl = 0;             // currency, net of fees
  double pnl_pct = 0;         // pnl ÷ entry notional × 100
  double size_pct = 0;        // risk manager's size, % of equity
  double confidence = 0;
  double mfe_pct = 0, mae_pct = 0;
  nlohmann::json ToJson() const;
};

struct BacktestSignal {       // every intent the strategy produced, with the verdict
  std::string symbol, side;
  int64_t bar_ts = 0;
  double confidence = 0, entry = 0, target = 0, stop = 0;
  std::string verdict;        // "accepted", "opposite_close", a risk rule, or "skipped_gap"
  nlohmann::json features;
  nlohmann::json ToJson() const;  // bar_ts in ms, like the other series
};

struct BacktestResult {
  std::string strategy;       // declared name
  std::string version;        // content hash of the strategy file
  nlohmann::json params;      // effective parameter values
  std::vector<std::string> symbols;
  int64_t from = 0, to = 0;   // first / last evaluated bar (µs)
  std::vector<BacktestTrade> trades;          // in exit order
  std::vector<BacktestSignal> signals;
  std::vector<EquityPoint> equity;            // one point per simulated time
  std::vector<EquityPoint> benchmark;         // equal-weight index of the universe
  PerformanceStats stats;
  std::map<std::string, int> rejections;      // rule -> count
  std::vector<std::string> errors;            // strategy errors (file:line), first 100
  int64_t bars = 0;                           // bars shown to the strategy
  int64_t steps = 0;                          // simulated times
  double seconds = 0;                         // wall time of the run
  double strategy_seconds = 0;                // of which: loading the series + evaluating intents
  double worker_seconds = 0;                  // range mode: of strategy_seconds, inside the Lua worker (0 per-bar: not measured; summed over workers)
  int workers = 1;                            // range mode: worker processes the symbols were split across
  double simulation_seconds = 0;              // of which: fills, lifecycle, equity, risk
  double simulation_cpu_seconds = 0;          // CPU time of the simulation (the wall one waits on a busy machine)
  // with_series adds the equity and benchmark curves and "signal_details"
  // (the first 5,000 signals with their verdicts and features).
  nlohmann::json ToJson(bool with_series = true) const;
};

// Runs one backtest over `data` (each series one symbol, one timeframe equal
// to the strategy's). Errors: the strategy does not load (file:line), a bad
// parameter (named), empty data, or a timeframe mismatch.
StatusOr<BacktestResult> RunBacktest(const BacktestConfig& config,
                                     const std::vector<market::BarSeries>& data);

// Trades as performance.h sees them.
std::vector<ClosedTrade> ToClosedTrades(const std::vector<BacktestTrade>& trades);

}  // namespace sf::engine

#endif  // SF_ENGINE_BACKTEST_H_
