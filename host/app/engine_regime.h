// regime_v1 for the live engine: the feature set of app/feature_sets.h
// (ComputeRegime / RegimeColumns, the same code training and backtests use)
// computed at each closed bar over the engine's live universe and handed to
// strategies as extras[SYMBOL].features.regime_v1 = {name: value}, which
// ctx.features("regime_v1") reads.
//
// Only what the new bar needs is computed: the longest window regime_v1
// looks back over is 272 bar times (a 252-bar percentile of a 20-bar
// volatility), so the universe's newest kRegimeWindowBars bar times go in,
// not the whole history, and only the closed bar's row comes out. The
// values equal those of ComputeRegime over the full history (the index
// level's starting point cancels out of every ratio).
//
// Thread-safety: a pure function of its input; the series it reads must not
// change during the call (the engine guarantees it; engine/live_engine.h).
#ifndef SF_APP_ENGINE_REGIME_H_
#define SF_APP_ENGINE_REGIME_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/live_engine.h"

namespace sf::app {

// 272 bar times of look-back plus a margin for symbols missing a bar.
inline constexpr size_t kRegimeWindowBars = 280;

// {SYMBOL: {"regime_v1": {name: value}}} for every symbol of `in.symbols`
// whose newest bar is in.bar_ts. Values still warming up (NaN) are left
// out, so a strategy sees nil for them.
nlohmann::json RegimeV1Features(const engine::BarFeaturesInput& in, size_t window = kRegimeWindowBars);

// The same values, computed incrementally: the first call (or one that is
// not the next bar time) rebuilds per-bar-time aggregates from the window;
// every following bar adds one cross-section (O(symbols)) and reads its
// windows (O(272)). The engine's default hook. Not thread-safe: one engine
// calls it, one bar at a time.
class RegimeV1Live {
 public:
  nlohmann::json operator()(const engine::BarFeaturesInput& in);
  int rebuilds() const { return rebuilds_; }

 private:
  struct CrossSection {
    double sum = 0, up = 0, cnt = 0;
    std::map<std::string, std::pair<double, double>> sector;  // sector -> (sum, count)
    void Add(double ret, const std::string& sector_name) {
      sum += ret;
      cnt += 1;
      if (ret > 0) up += 1;
      if (!sector_name.empty()) {
        auto& sc = sector[sector_name];
        sc.first += ret;
        sc.second += 1;
      }
    }
  };
  void Rebuild(const engine::BarFeaturesInput& in);
  void Append(int64_t ts, const CrossSection& x);

  std::vector<int64_t> ts_;
  std::vector<double> ret_, level_, vol_;
  std::map<std::string, std::vector<double>> sector_level_;
  double breadth_ = 0;  // of the newest bar time
  int64_t seen_ = 0;    // bar times since the last rebuild's first one
  int rebuilds_ = 0;
};

}  // namespace sf::app

#endif  // SF_APP_ENGINE_REGIME_H_
