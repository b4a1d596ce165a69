// Monte Carlo of a trade sequence: bootstrap (draw with replacement) the
// closed trades of a backtest into many alternative sequences of the same
// length, compound each, and report percentile bands of the total return and
// of the maximum drawdown. It answers "how much of this result was the order
// the trades happened to come in?".
//
// Each trade compounds equity by size_pct % × return_pct %, as in
// EquityFromTrades. The generator is seeded, so a run is reproducible.
//
// Thread-safety: a pure function of its inputs.
#ifndef SF_ENGINE_MONTE_CARLO_H_
#define SF_ENGINE_MONTE_CARLO_H_

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/performance.h"

namespace sf::engine {

struct PercentileBand {
  double p5 = 0, p25 = 0, p50 = 0, p75 = 0, p95 = 0;
  nlohmann::json ToJson() const;
};

struct MonteCarloResult {
  int runs = 0;
  int trades = 0;                    // trades per simulated sequence
  PercentileBand total_return_pct;
  PercentileBand max_drawdown_pct;   // >= 0
  double probability_of_loss = 0;    // share of sequences ending below the start
  // Equity percentiles after each trade (index 0 = start, 100): p5, p50, p95.
  std::vector<double> path_p5, path_p50, path_p95;
  nlohmann::json ToJson() const;
};

// Percentile (0..100) of `v` by linear interpolation; sorts `v`.
double Percentile(std::vector<double>& v, double pct);

MonteCarloResult BootstrapTrades(const std::vector<ClosedTrade>& trades, int runs,
                                 uint64_t seed = 42);

}  // namespace sf::engine

#endif  // SF_ENGINE_MONTE_CARLO_H_
