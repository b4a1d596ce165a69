// regime_v1 for the live engine (engine_regime.h).
#include "app/engine_regime.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "app/feature_sets.h"

namespace sf::app {

nlohmann::json RegimeV1Features(const engine::BarFeaturesInput& in, size_t window) {
  nlohmann::json out = nlohmann::json::object();
  if (in.universe.empty() || in.symbols.empty() || window == 0) return out;
  // The universe's newest `window` bar times up to the closed bar.
  std::vector<int64_t> times;
  for (const market::BarSeries* s : in.universe) {
    const auto end = std::upper_bound(s->ts.begin(), s->ts.end(), in.bar_ts);
    const auto from = end - std::min<ptrdiff_t>(end - s->ts.begin(), static_cast<ptrdiff_t>(window));
    times.insert(times.end(), from, end);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  if (times.empty()) return out;
  const int64_t cutoff = times.size() > window ? times[times.size() - window] : times.front();

  std::vector<market::BarSeries> tails(in.universe.size());
  std::map<std::string, size_t> index;
  for (size_t u = 0; u < in.universe.size(); ++u) {
    const market::BarSeries& s = *in.universe[u];
    const size_t a = std::lower_bound(s.ts.begin(), s.ts.end(), cutoff) - s.ts.begin();
    const size_t b = std::upper_bound(s.ts.begin(), s.ts.end(), in.bar_ts) - s.ts.begin();
    market::BarSeries& t = tails[u];
    t.symbol = s.symbol;
    t.timeframe = s.timeframe;
    for (size_t i = a; i < b; ++i) t.Append(s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    index[s.symbol] = u;
  }
  const RegimeTable regime = ComputeRegime(tails, in.sectors);
  const std::vector<std::string>& names = FeatureNames({"regime_v1", 1});
  market::BarSeries bar;  // the closed bar alone: its row is all that is read
  bar.Append(in.bar_ts, 1, 1, 1, 1, 0);
  for (const auto& sym : in.symbols) {
    auto it = index.find(sym);
    if (it == index.end()) continue;
    const market::BarSeries& t = tails[it->second];
    if (t.size() == 0 || t.ts.back() != in.bar_ts) continue;
    const std::string sector = it->second < in.sectors.size() ? in.sectors[it->second] : "";
    const auto cols = RegimeColumns(regime, bar, sector);
    nlohmann::json values = nlohmann::json::object();
    for (size_t c = 0; c < cols.size() && c < names.size(); ++c)
      if (std::isfinite(cols[c][0])) values[names[c]] = cols[c][0];
    out[sym]["regime_v1"] = std::move(values);
  }
  return out;
}

}  // namespace sf::app
