// regime_v1 for the live engine (engine_regime.h).
#include "app/engine_regime.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Mean(const std::vector<double>& v, size_t n) {
  if (v.size() < n) return kNaN;
  double s = 0;
  for (size_t k = v.size() - n; k < v.size(); ++k) s += v[k];
  return s / static_cast<double>(n);
}

// Sample standard deviation of the newest n values.
double Stdev(const std::vector<double>& v, size_t n) {
  const double m = Mean(v, n);
  if (std::isnan(m)) return kNaN;
  double ss = 0;
  for (size_t k = v.size() - n; k < v.size(); ++k) ss += (v[k] - m) * (v[k] - m);
  return std::sqrt(ss / static_cast<double>(n - 1));
}

}  // namespace

void RegimeV1Live::Append(int64_t ts, const CrossSection& x) {
  const double r = x.cnt > 0 ? x.sum / x.cnt : 0.0;
  ts_.push_back(ts);
  ret_.push_back(r);
  level_.push_back((level_.empty() ? 1.0 : level_.back()) * (1 + r));
  vol_.push_back(seen_ >= 20 ? Stdev(ret_, 20) * std::sqrt(252.0) : kNaN);
  for (auto& [name, lv] : sector_level_) {
    auto it = x.sector.find(name);
    const double sr = it != x.sector.end() && it->second.second > 0 ? it->second.first / it->second.second : 0.0;
    lv.push_back((lv.empty() ? 1.0 : lv.back()) * (1 + sr));
  }
  breadth_ = x.cnt > 0 ? x.up / x.cnt : kNaN;
  ++seen_;
  // Keep a bounded history (ratios do not care where the levels start).
  if (ts_.size() > 2 * kRegimeWindowBars) {
    const size_t drop = ts_.size() - kRegimeWindowBars;
    for (auto* v : {&ret_, &level_, &vol_}) v->erase(v->begin(), v->begin() + drop);
    ts_.erase(ts_.begin(), ts_.begin() + drop);
    for (auto& [name, lv] : sector_level_) lv.erase(lv.begin(), lv.begin() + drop);
  }
}

void RegimeV1Live::Rebuild(const engine::BarFeaturesInput& in) {
  ++rebuilds_;
  ts_.clear();
  ret_.clear();
  level_.clear();
  vol_.clear();
  sector_level_.clear();
  seen_ = 0;
  // The window's bar times, then each one's cross-section of 1-bar returns.
  std::vector<int64_t> times;
  for (const market::BarSeries* s : in.universe) {
    const auto end = std::upper_bound(s->ts.begin(), s->ts.end(), in.bar_ts);
    times.insert(times.end(), end - std::min<ptrdiff_t>(end - s->ts.begin(), kRegimeWindowBars), end);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  if (times.size() > kRegimeWindowBars) times.erase(times.begin(), times.end() - kRegimeWindowBars);
  std::vector<CrossSection> xs(times.size());
  for (size_t u = 0; u < in.universe.size(); ++u) {
    const market::BarSeries& s = *in.universe[u];
    const std::string& sector = u < in.sectors.size() ? in.sectors[u] : "";
    if (!sector.empty()) sector_level_[sector];
    const size_t last = std::upper_bound(s.ts.begin(), s.ts.end(), in.bar_ts) - s.ts.begin();
    // The window's first bar time has no return (as ComputeRegime over it).
    for (size_t i = 1; i < last; ++i) {
      if (s.ts[i] <= times.front()) continue;
      if (!(s.close[i - 1] > 0) || !(s.close[i] > 0)) continue;
      const size_t j = std::lower_bound(times.begin(), times.end(), s.ts[i]) - times.begin();
      xs[j].Add(s.close[i] / s.close[i - 1] - 1, sector);
    }
  }
  for (size_t j = 0; j < times.size(); ++j) Append(times[j], xs[j]);
}

nlohmann::json RegimeV1Live::operator()(const engine::BarFeaturesInput& in) {
  nlohmann::json out = nlohmann::json::object();
  if (in.universe.empty() || in.symbols.empty()) return out;
  // The next bar time with history to extend: one cross-section. Anything
  // else (first call, a gap in what the engine held, a replay): rebuild.
  bool next = !ts_.empty() && in.bar_ts > ts_.back();
  CrossSection x;
  for (size_t u = 0; next && u < in.universe.size(); ++u) {
    const market::BarSeries& s = *in.universe[u];
    const size_t n = s.size();
    if (n == 0 || s.ts[n - 1] != in.bar_ts) {
      if (n > 0 && s.ts[n - 1] > in.bar_ts) next = false;  // newer bars than this one: not incremental
      continue;
    }
    if (n < 2 || s.ts[n - 2] > ts_.back()) {
      if (n >= 2) next = false;  // a bar the state never saw
      continue;
    }
    const std::string& sector = u < in.sectors.size() ? in.sectors[u] : "";
    if (!sector.empty() && !sector_level_.count(sector)) next = false;  // a new sector: rebuild
    if (!(s.close[n - 2] > 0) || !(s.close[n - 1] > 0)) continue;
    x.Add(s.close[n - 1] / s.close[n - 2] - 1, sector);
  }
  if (next) {
    Append(in.bar_ts, x);
  } else {
    Rebuild(in);
    if (ts_.empty() || ts_.back() != in.bar_ts) return out;
  }
  // The newest bar time's regime_v1 row (as RegimeColumns reads it).
  const size_t t = ts_.size() - 1;
  const int64_t seen = seen_;
  const double vol = vol_[t];
  double pct = kNaN;
  if (seen >= 20 + 251 + 1 && t >= 251) {
    int below = 0;
    for (size_t k = t - 251; k <= t; ++k) below += vol_[k] < vol;
    pct = below / 252.0;
  }
  const double trend = seen >= 200 ? Mean(level_, 50) / Mean(level_, 200) - 1 : kNaN;
  const double index_ret_20 = seen > 20 ? level_[t] / level_[t - 20] - 1 : kNaN;
  const std::vector<std::string>& names = FeatureNames({"regime_v1", 1});
  std::map<std::string, size_t> universe_index;
  for (size_t u = 0; u < in.universe.size(); ++u) universe_index[in.universe[u]->symbol] = u;
  for (const auto& sym : in.symbols) {
    auto it = universe_index.find(sym);
    if (it == universe_index.end()) continue;
    const market::BarSeries& s = *in.universe[it->second];
    if (s.size() == 0 || s.ts.back() != in.bar_ts) continue;
    const std::string& sector = it->second < in.sectors.size() ? in.sectors[it->second] : "";
    double rel = kNaN;
    auto sl = sector_level_.find(sector);
    if (sl != sector_level_.end() && seen > 20) rel = (sl->second[t] / sl->second[t - 20] - 1) - index_ret_20;
    const double row[] = {vol, pct, trend, rel, breadth_};
    nlohmann::json values = nlohmann::json::object();
    for (size_t c = 0; c < names.size() && c < 5; ++c)
      if (std::isfinite(row[c])) values[names[c]] = row[c];
    out[sym]["regime_v1"] = std::move(values);
  }
  return out;
}

}  // namespace sf::app
