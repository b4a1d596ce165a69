// Parameter sweeps: a grid of strategy parameter values, each combination
// backtested (in parallel, one Lua worker process per run), ranked by an
// objective. Walk-forward (walk_forward.h) picks its in-sample winners here.
//
// Grid syntax, one axis per spec:  name=v1,v2,v3   or   name=from:to:step
// (numbers; `to` inclusive). Values that are not numbers stay strings.
//
// Thread-safety: RunSweep runs up to `parallel` backtests at once on its own
// threads and returns when all are done; ParamGrid is a value.
#ifndef SF_ENGINE_SWEEP_H_
#define SF_ENGINE_SWEEP_H_

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backtest.h"

namespace sf::engine {

struct ParamGrid {
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> axes;

  // Errors name the spec and the rule ("--sweep 'z=1:0:1': step must move
  // from 1 towards 0"). More than 10 000 combinations is refused.
  static StatusOr<ParamGrid> Parse(const std::vector<std::string>& specs);
  size_t size() const;  // number of combinations (1 for an empty grid)
  // Every combination as {"name": value, ...}, first axis slowest.
  std::vector<nlohmann::json> Combinations() const;
};

// Objectives a sweep can maximise: "sharpe" (default), "sortino",
// "total_return", "profit_factor", "win_rate", "avg_return", "calmar"
// (total return ÷ max drawdown). Lower is never better.
StatusOr<double> Objective(const PerformanceStats& s, const std::string& name);
bool IsObjective(const std::string& name);

struct SweepRow {
  nlohmann::json params;      // the combination
  PerformanceStats stats;
  double score = 0;           // objective value (-inf when the run failed)
  std::string error;          // why the run failed, empty when it ran
};

// Runs `base` once per combination of `grid` (combination values override
// base.params), ranked best first. A failing combination is reported in its
// row, not fatal; an invalid objective is.
StatusOr<std::vector<SweepRow>> RunSweep(const BacktestConfig& base,
                                         const std::vector<market::BarSeries>& data,
                                         const ParamGrid& grid, const std::string& objective,
                                         int parallel);

}  // namespace sf::engine

#endif  // SF_ENGINE_SWEEP_H_
