// A backtest described as JSON: the one entry point the CLI
// (`signalforge backtest`) and the HTTP API share. It validates the request,
// loads bars through the caller's loader (database or provider), runs the
// backtest, and optionally a parameter sweep, a walk-forward analysis and a
// Monte Carlo bootstrap; the report renders as JSON or offline HTML and maps
// onto the store's backtest_runs / backtest_trades rows.
//
// Request (every key but "strategy" optional):
//   {"strategy": "mean_reversion" | "scripts/x.lua",
//    "symbols": ["AAPL", ...],            // empty: the loader's default universe
//    "from": "2015-01-01", "to": "2020-12-31",
//    "warmup_days": 800,                 // calendar days of history loaded before "from"
//    "params": {"z_entry": -2},          // strategy parameter overrides
//    "risk": {"profile": "moderate", ...},   // RiskLimits::FromJson
//    "costs": {"fee_pct": 0.05, "slippage_bps": 5},  // CostModel::FromJson
//    "initial_equity": 100000,
//    "sweep": {"z_entry": [-3, -2.5, -2]} | ["z_entry=-3:-2:0.5"],
//    "objective": "sharpe",
//    "walk_forward": {"is": 730, "oos": 180, "mode": "rolling"} | "is=730,oos=180",
//    "monte_carlo": 1000, "seed": 42}
// Every error names the key and the rule ("request.from: '2020-13-01' is not
// a date YYYY-MM-DD").
//
// Feature sets: the environment's `features` callback (or, when it is empty,
// the process default SetDefaultBacktestFeatures installed; the app installs
// one computing regime_v1, so the CLI and the API runner both pass it) turns
// the loaded bars into lua::FeatureSeries for ctx.features.
//
// Thread-safety: RunBacktestRequest is reentrant; the environment's
// callbacks must be callable from the calling thread.
// SetDefaultBacktestFeatures is meant for start-up (static initialisation).
#ifndef SF_ENGINE_BACKTEST_REQUEST_H_
#define SF_ENGINE_BACKTEST_REQUEST_H_

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backtest.h"
#include "engine/monte_carlo.h"
#include "engine/sweep.h"
#include "engine/walk_forward.h"
#include "store/backtests_repository.h"

namespace sf::engine {

// Feature series over a run's bars (history included) and sectors.
using BacktestFeatureFn = std::function<StatusOr<std::vector<lua::FeatureSeries>>(
    const std::vector<market::BarSeries>& bars, const std::map<std::string, std::string>& sectors)>;

struct BacktestEnvironment {
  // Strategy names resolve to scripts_dir/NAME.lua; a path is taken as is
  // when allow_paths (the CLI), refused otherwise (the API).
  std::string scripts_dir;
  bool allow_paths = false;
  std::string lib_dir;
  std::string worker_path;
  std::vector<std::string> plugin_dirs;
  // Bars of `symbols` (empty: a default universe) with bar ends in
  // [from, to] µs, one series per symbol, adjusted.
  std::function<StatusOr<std::vector<market::BarSeries>>(
      const std::vector<std::string>& symbols, market::Timeframe tf, int64_t from, int64_t to)>
      load_bars;
  std::map<std::string, std::string> sectors;  // symbol -> sector, when known
  // Models for ctx.predict: name -> {"component": id, "config": {...}}.
  nlohmann::json models = nlohmann::json::object();
  BacktestFeatureFn features;                  // empty: the process default
  bool per_bar = false;                        // BacktestConfig::per_bar
  std::function<void(double)> progress;
  const std::atomic<bool>* cancel = nullptr;
  int parallel = 2;                            // sweep / walk-forward runs at once; a single
                                               // run's workers (BacktestConfig::workers)
};

struct BacktestReport {
  nlohmann::json request;
  BacktestResult result;
  std::vector<SweepRow> sweep;                 // best first; empty without "sweep"
  std::optional<WalkForwardResult> walk_forward;
  std::optional<MonteCarloResult> monte_carlo;
  nlohmann::json ToJson(bool with_series = true) const;
  std::string Html() const;
  // The store's rows for this report.
  store::BacktestRunRow RunRow() const;
  std::vector<store::BacktestTradeRow> TradeRows() const;
};

// The feature callback used when an environment has none (see above).
void SetDefaultBacktestFeatures(BacktestFeatureFn fn);

// Checks the request without running anything (for the API's 400s).
Status ValidateBacktestRequest(const nlohmann::json& request, const BacktestEnvironment& env);

// Runs it. With a sweep but no walk-forward, the main result uses the best
// combination; with a walk-forward, the main result is the full period with
// the request's own params and the walk-forward carries the OOS figures.
StatusOr<BacktestReport> RunBacktestRequest(const nlohmann::json& request,
                                            const BacktestEnvironment& env);

// A BacktestEnvironment::load_bars reading split/dividend-adjusted bars from
// the store (BacktestsRepository::LoadAdjustedBars). An empty symbol list
// means `universe`, skipping symbols without bars; a named symbol the
// database does not know is an error naming it. `pool` must outlive it.
std::function<StatusOr<std::vector<market::BarSeries>>(const std::vector<std::string>&,
                                                       market::Timeframe, int64_t, int64_t)>
StoreBarLoader(store::Pool* pool, std::vector<std::string> universe);

// "2020-03-16" -> 00:00 UTC that day (µs); nullopt when malformed.
std::optional<int64_t> ParseDayMicros(const std::string& date);

}  // namespace sf::engine

#endif  // SF_ENGINE_BACKTEST_REQUEST_H_
