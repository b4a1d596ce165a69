#include "engine/monte_carlo.h"

#include <algorithm>
#include <random>

namespace sf::engine {
namespace {

PercentileBand Band(std::vector<double>& v) {
  PercentileBand b;
  b.p5 = Percentile(v, 5);
  b.p25 = Percentile(v, 25);
  b.p50 = Percentile(v, 50);
  b.p75 = Percentile(v, 75);
  b.p95 = Percentile(v, 95);
  return b;
}

}  // namespace

nlohmann::json PercentileBand::ToJson() const {
  return {{"p5", p5}, {"p25", p25}, {"p50", p50}, {"p75", p75}, {"p95", p95}};
}

nlohmann::json MonteCarloResult::ToJson() const {
  return {{"runs", runs},
          {"trades", trades},
          {"total_return_pct", total_return_pct.ToJson()},
          {"max_drawdown_pct", max_drawdown_pct.ToJson()},
          {"probability_of_loss", probability_of_loss},
          {"path_p5", path_p5},
          {"path_p50", path_p50},
          {"path_p95", path_p95}};
}

double Percentile(std::vector<double>& v, double pct) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double pos = pct / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

MonteCarloResult BootstrapTrades(const std::vector<ClosedTrade>& trades, int runs,
                                 uint64_t seed) {
  MonteCarloResult r;
  r.runs = std::max(runs, 0);
  r.trades = static_cast<int>(trades.size());
  if (trades.empty() || r.runs == 0) return r;
  std::vector<double> growth;
  growth.reserve(trades.size());
  for (const auto& t : trades) growth.push_back(1.0 + t.size_pct / 100.0 * t.return_pct / 100.0);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, trades.size() - 1);
  const size_t n = trades.size();
  std::vector<double> finals(r.runs), dds(r.runs);
  // paths[k * runs + run]: equity after k trades.
  std::vector<double> paths((n + 1) * r.runs);
  int losses = 0;
  for (int run = 0; run < r.runs; ++run) {
    double eq = 100, peak = 100, dd = 0;
    paths[run] = eq;
    for (size_t k = 1; k <= n; ++k) {
      eq *= growth[pick(rng)];
      peak = std::max(peak, eq);
      dd = std::max(dd, (peak - eq) / peak * 100);
      paths[k * r.runs + run] = eq;
    }
    finals[run] = eq - 100;
    dds[run] = dd;
    if (eq < 100) ++losses;
  }
  r.total_return_pct = Band(finals);
  r.max_drawdown_pct = Band(dds);
  r.probability_of_loss = static_cast<double>(losses) / r.runs;
  for (size_t k = 0; k <= n; ++k) {
    std::vector<double> col(paths.begin() + k * r.runs, paths.begin() + (k + 1) * r.runs);
    r.path_p5.push_back(Percentile(col, 5));
    r.path_p50.push_back(Percentile(col, 50));
    r.path_p95.push_back(Percentile(col, 95));
  }
  return r;
}

}  // namespace sf::engine
