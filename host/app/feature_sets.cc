#include "app/feature_sets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <sstream>

#include "market/time_zone.h"

namespace sf::app {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kUsPerHour = 3'600'000'000;

const std::vector<std::string>& RegimeNames() {
  static const std::vector<std::string> k = {"vol_index", "vol_index_pct_252", "index_trend",
                                             "sector_rel_strength", "market_breadth"};
  return k;
}

const std::vector<std::string>& NewsNames() {
  static const std::vector<std::string> k = {
      "headline_sentiment", "severity_score",     "time_horizon_days", "source_credibility",
      "confirmation_count", "hours_since_news",   "news_during_market", "has_numbers"};
  return k;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// Simple moving average over exactly n values ending at i (NaN if any NaN or
// too few values).
double WindowMean(const std::vector<double>& v, size_t i, size_t n) {
  if (i + 1 < n) return kNaN;
  double s = 0;
  for (size_t k = i + 1 - n; k <= i; ++k) s += v[k];
  return s / static_cast<double>(n);
}

double WindowStdev(const std::vector<double>& v, size_t i, size_t n) {
  const double m = WindowMean(v, i, n);
  if (std::isnan(m)) return kNaN;
  double ss = 0;
  for (size_t k = i + 1 - n; k <= i; ++k) ss += (v[k] - m) * (v[k] - m);
  return std::sqrt(ss / static_cast<double>(n - 1));
}

// Parses "3%", "+3%", "-3%", "0.03".
bool ParseFraction(std::string s, double* out) {
  s = Trim(s);
  bool pct = !s.empty() && s.back() == '%';
  if (pct) s.pop_back();
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != 0 || !std::isfinite(v)) return false;
  *out = std::fabs(pct ? v / 100.0 : v);
  return true;
}

bool ParseInt(const std::string& s, int* out) {
  const std::string t = Trim(s);
  if (t.empty()) return false;
  char* end = nullptr;
  long v = std::strtol(t.c_str(), &end, 10);
  if (*end != 0 || v < 1 || v > 10000) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

std::vector<std::string> SplitTrimmed(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, sep)) {
    item = Trim(item);
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

StatusOr<std::vector<FeatureSetRef>> ParseFeatureSets(const std::string& spec) {
  std::vector<FeatureSetRef> out;
  std::string s = spec;
  std::replace(s.begin(), s.end(), '+', ',');
  for (const std::string& item : SplitTrimmed(s, ',')) {
    FeatureSetRef ref;
    const auto at = item.find('@');
    ref.name = item.substr(0, at);
    if (at != std::string::npos && !ParseInt(item.substr(at + 1), &ref.version)) {
      return InvalidArgument("feature set '" + item + "': the version after '@' must be a whole number >= 1");
    }
    if (ref.name != "price_v1" && ref.name != "regime_v1" && ref.name != "news_v1") {
      return InvalidArgument("feature set '" + ref.name +
                             "' is unknown (known: price_v1@1, regime_v1@1, news_v1@1)");
    }
    if (ref.version != 1) {
      return InvalidArgument("feature set " + ref.ToString() + ": only version 1 exists");
    }
    for (const auto& o : out)
      if (o.name == ref.name) return InvalidArgument("feature set '" + ref.name + "' is given twice");
    out.push_back(ref);
  }
  if (out.empty()) return InvalidArgument("feature set spec '" + spec + "' names no feature set");
  return out;
}

const std::vector<IndicatorFeature>& PriceV1Spec() {
  static const std::vector<IndicatorFeature> k = {
      {"return_1d", "returns", {{"period", 1}}},
      {"return_3d", "returns", {{"period", 3}}},
      {"return_5d", "returns", {{"period", 5}}},
      {"realized_vol_5d", "realized_vol", {{"period", 5}}},
      {"garman_klass_vol", "garman_klass", {{"period", 20}}},
      {"rsi_14", "rsi", {{"period", 14}}},
      {"distance_from_sma20", "dist_sma", {{"period", 20}}},
      {"bollinger_position", "bb_position", {{"period", 20}, {"nbdev", 2}}},
      {"volume_ratio", "volume_ratio", {{"period", 20}}},
      {"dollar_volume", "dollar_volume", {}},
      {"amihud_illiquidity", "amihud", {{"period", 20}}},
      {"overnight_gap", "overnight_gap", {}},
      {"intraday_range", "intraday_range", {}},
      {"close_to_low", "close_to_low", {}},
      {"atr_20", "atr", {{"period", 20}}},
  };
  return k;
}

std::vector<std::string> FeatureNames(const FeatureSetRef& set) {
  if (set.name == "price_v1") {
    std::vector<std::string> out;
    for (const auto& f : PriceV1Spec()) out.emplace_back(f.name);
    return out;
  }
  if (set.name == "regime_v1") return RegimeNames();
  if (set.name == "news_v1") return NewsNames();
  return {};
}

StatusOr<std::vector<std::vector<double>>> ComputePriceV1(const lua::IndicatorSource& indicators,
                                                          const market::BarSeries& series) {
  const size_t n = series.size();
  std::vector<std::vector<double>> cols;
  cols.reserve(PriceV1Spec().size());
  const sf_bar_series view = series.View();
  std::vector<double> scratch;
  for (const auto& f : PriceV1Spec()) {
    const lua::IndicatorInfo* info = indicators.Find(f.indicator);
    if (info == nullptr) {
      return NotFound(std::string("price_v1 feature '") + f.name + "' needs indicator '" +
                      f.indicator + "', which no loaded plugin provides (load the indicators plugin)");
    }
    std::vector<double> params;
    for (const auto& p : info->params) {
      auto it = f.params.find(p.name);
      params.push_back(it == f.params.end() ? p.default_value : it->second);
    }
    const size_t outs = info->outputs.size();
    scratch.assign(n * outs, kNaN);
    std::vector<double*> ptrs(outs);
    for (size_t k = 0; k < outs; ++k) ptrs[k] = scratch.data() + k * n;
    if (n > 0) SF_RETURN_IF_ERROR(indicators.Compute(*info, params, view, ptrs.data()));
    cols.emplace_back(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return cols;
}

RegimeTable ComputeRegime(const std::vector<market::BarSeries>& universe,
                          const std::vector<std::string>& sectors) {
  RegimeTable r;
  for (const auto& s : universe) r.ts.insert(r.ts.end(), s.ts.begin(), s.ts.end());
  std::sort(r.ts.begin(), r.ts.end());
  r.ts.erase(std::unique(r.ts.begin(), r.ts.end()), r.ts.end());
  const size_t T = r.ts.size();
  // Sum and count of 1-bar returns per time, for the market and each sector.
  std::vector<double> sum(T, 0), up(T, 0), cnt(T, 0);
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> sec;
  for (size_t u = 0; u < universe.size(); ++u) {
    const auto& s = universe[u];
    const std::string sector = u < sectors.size() ? sectors[u] : "";
    std::pair<std::vector<double>, std::vector<double>>* sp = nullptr;
    if (!sector.empty()) {
      sp = &sec[sector];
      if (sp->first.empty()) sp->first.assign(T, 0), sp->second.assign(T, 0);
    }
    size_t j = 0;
    for (size_t i = 1; i < s.size(); ++i) {
      while (r.ts[j] < s.ts[i]) ++j;
      if (!(s.close[i - 1] > 0) || !(s.close[i] > 0)) continue;
      const double ret = s.close[i] / s.close[i - 1] - 1;
      sum[j] += ret;
      cnt[j] += 1;
      if (ret > 0) up[j] += 1;
      if (sp) sp->first[j] += ret, sp->second[j] += 1;
    }
  }
  auto index_of = [&](const std::vector<double>& s, const std::vector<double>& c,
                      std::vector<double>* ret, std::vector<double>* level) {
    ret->assign(T, 0);
    level->assign(T, 0);
    double lv = 1;
    for (size_t t = 0; t < T; ++t) {
      (*ret)[t] = c[t] > 0 ? s[t] / c[t] : 0.0;
      lv *= 1 + (*ret)[t];
      (*level)[t] = lv;
    }
  };
  std::vector<double> ret, level;
  index_of(sum, cnt, &ret, &level);
  r.vol_index.assign(T, kNaN);
  r.vol_index_pct.assign(T, kNaN);
  r.index_trend.assign(T, kNaN);
  r.breadth.assign(T, kNaN);
  r.index_ret_20.assign(T, kNaN);
  for (size_t t = 0; t < T; ++t) {
    // The first bar has no return; start windows at t = 1.
    if (t >= 20) r.vol_index[t] = WindowStdev(ret, t, 20) * std::sqrt(252.0);
    if (t >= 20 + 251) {
      int below = 0;
      for (size_t k = t - 251; k <= t; ++k) below += r.vol_index[k] < r.vol_index[t];
      r.vol_index_pct[t] = below / 252.0;
    }
    if (t + 1 >= 200) r.index_trend[t] = WindowMean(level, t, 50) / WindowMean(level, t, 200) - 1;
    if (cnt[t] > 0) r.breadth[t] = up[t] / cnt[t];
    if (t >= 20) r.index_ret_20[t] = level[t] / level[t - 20] - 1;
  }
  for (auto& [name, sc] : sec) {
    std::vector<double> sret, slevel;
    index_of(sc.first, sc.second, &sret, &slevel);
    std::vector<double>& out = r.sector_ret_20[name];
    out.assign(T, kNaN);
    for (size_t t = 20; t < T; ++t) out[t] = slevel[t] / slevel[t - 20] - 1;
  }
  return r;
}

std::vector<std::vector<double>> RegimeColumns(const RegimeTable& regime,
                                               const market::BarSeries& series,
                                               const std::string& sector) {
  const size_t n = series.size();
  std::vector<std::vector<double>> cols(RegimeNames().size(), std::vector<double>(n, kNaN));
  auto sit = regime.sector_ret_20.find(sector);
  size_t j = 0;
  for (size_t i = 0; i < n; ++i) {
    while (j < regime.ts.size() && regime.ts[j] < series.ts[i]) ++j;
    if (j >= regime.ts.size() || regime.ts[j] != series.ts[i]) continue;
    cols[0][i] = regime.vol_index[j];
    cols[1][i] = regime.vol_index_pct[j];
    cols[2][i] = regime.index_trend[j];
    if (sit != regime.sector_ret_20.end()) cols[3][i] = sit->second[j] - regime.index_ret_20[j];
    cols[4][i] = regime.breadth[j];
  }
  return cols;
}

std::vector<std::vector<double>> NewsColumns(const std::vector<NewsFact>& news,
                                             const market::BarSeries& series) {
  const size_t n = series.size();
  std::vector<std::vector<double>> cols(NewsNames().size(), std::vector<double>(n, kNaN));
  auto ny = market::TimeZone::Find("America/New_York");
  size_t hi = 0;  // news[0, hi) published <= bar time
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = series.ts[i];
    while (hi < news.size() && news[hi].published_us <= t) ++hi;
    size_t lo = hi;
    while (lo > 0 && news[lo - 1].published_us > t - 72 * kUsPerHour) --lo;
    cols[4][i] = static_cast<double>(hi - lo);  // confirmations: items in the window
    if (hi == lo) continue;
    const NewsFact& f = news[hi - 1];  // the latest item
    cols[0][i] = f.sentiment;
    cols[1][i] = f.severity;
    cols[2][i] = f.horizon_days;
    cols[3][i] = f.credibility;
    cols[5][i] = static_cast<double>(t - f.published_us) / static_cast<double>(kUsPerHour);
    double during = kNaN;
    if (ny.ok()) {
      const int64_t sec = f.published_us / 1'000'000;
      const int64_t local = sec + (*ny)->OffsetAt(sec);
      const int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
      const int64_t tod = local - days * 86400;
      const int wd = market::WeekdayFromDays(days);
      during = (wd >= 1 && wd <= 5 && tod >= 9 * 3600 + 1800 && tod < 16 * 3600) ? 1.0 : 0.0;
    }
    cols[6][i] = during;
    cols[7][i] = f.has_numbers ? 1.0 : 0.0;
  }
  return cols;
}

StatusOr<LabelSpec> ParseLabel(const std::string& spec) {
  const std::string s = Trim(spec);
  const auto open = s.find('(');
  auto bad = [&](const std::string& why) {
    return InvalidArgument("--label '" + spec + "': " + why +
                           " (forms: fwd_return(N), sign(N), triple_barrier(+3%,-3%,N))");
  };
  if (open == std::string::npos || s.back() != ')') return bad("expected NAME(ARGS)");
  const std::string name = s.substr(0, open);
  std::vector<std::string> args = SplitTrimmed(s.substr(open + 1, s.size() - open - 2), ',');
  LabelSpec l;
  char buf[96];
  if (name == "fwd_return" || name == "sign") {
    if (name == "sign" && args.size() == 2 && args[0] == "fwd_return") args.erase(args.begin());
    if (args.size() != 1 || !ParseInt(args[0], &l.horizon)) return bad("N must be a whole number of bars in 1..10000");
    l.kind = name == "sign" ? LabelSpec::kSign : LabelSpec::kForwardReturn;
    l.text = name == "sign" ? "sign(fwd_return," + std::to_string(l.horizon) + ")"
                            : "fwd_return(" + std::to_string(l.horizon) + ")";
    return l;
  }
  if (name == "triple_barrier") {
    if (args.size() != 3) return bad("triple_barrier takes 3 arguments");
    if (!ParseFraction(args[0], &l.up) || !(l.up > 0 && l.up < 10)) return bad("the upper barrier must be a positive fraction or percent");
    if (!ParseFraction(args[1], &l.down) || !(l.down > 0 && l.down < 1)) return bad("the lower barrier must be a fraction or percent in (0, 100%)");
    if (!ParseInt(args[2], &l.horizon)) return bad("N must be a whole number of bars in 1..10000");
    l.kind = LabelSpec::kTripleBarrier;
    snprintf(buf, sizeof buf, "triple_barrier(+%g%%,-%g%%,%d)", l.up * 100, l.down * 100, l.horizon);
    l.text = buf;
    return l;
  }
  return bad("unknown label '" + name + "'");
}

void ComputeLabels(const LabelSpec& spec, const market::BarSeries& s, std::vector<double>* label,
                   std::vector<int64_t>* end) {
  const size_t n = s.size();
  const size_t h = static_cast<size_t>(spec.horizon);
  label->assign(n, kNaN);
  end->assign(n, 0);
  for (size_t t = 0; t + h < n; ++t) {
    const double c = s.close[t];
    if (!(c > 0)) continue;
    if (spec.kind != LabelSpec::kTripleBarrier) {
      const double r = s.close[t + h] / c - 1;
      (*label)[t] = spec.kind == LabelSpec::kSign ? (r > 0 ? 1.0 : 0.0) : r;
      (*end)[t] = s.ts[t + h];
      continue;
    }
    const double upper = c * (1 + spec.up), lower = c * (1 - spec.down);
    double y = 0;
    size_t k = t + 1;
    for (; k <= t + h; ++k) {
      const bool hit_low = s.low[k] <= lower, hit_up = s.high[k] >= upper;
      if (hit_low) break;  // also when both: the conservative reading
      if (hit_up) {
        y = 1;
        break;
      }
    }
    (*label)[t] = y;
    (*end)[t] = s.ts[std::min(k, t + h)];
  }
}

}  // namespace sf::app

namespace sf::app {

StatusOr<TrainingRows> BuildTrainingRows(const lua::IndicatorSource& indicators,
                                         const std::vector<SymbolInput>& universe,
                                         const BuildOptions& options) {
  TrainingRows out;
  bool want_price = false, want_regime = false;
  for (const auto& set : options.sets) {
    for (auto& n : FeatureNames(set)) out.names.push_back(n);
    want_price |= set.name == "price_v1";
    want_regime |= set.name == "regime_v1";
  }
  const size_t cols = out.names.size();
  RegimeTable regime;
  if (want_regime) {
    std::vector<market::BarSeries> all;
    std::vector<std::string> sectors;
    all.reserve(universe.size());
    for (const auto& u : universe) {
      all.push_back(*u.series);
      sectors.push_back(u.sector);
    }
    regime = ComputeRegime(all, sectors);
  }
  // Per symbol: its feature columns and the indices of its kept rows.
  struct Kept {
    std::vector<std::vector<double>> columns;
    std::vector<double> label;
    std::vector<int64_t> end;
    std::vector<uint32_t> rows;
  };
  std::vector<Kept> kept(universe.size());
  size_t total = 0;
  for (size_t u = 0; u < universe.size(); ++u) {
    const market::BarSeries& s = *universe[u].series;
    Kept& k = kept[u];
    for (const auto& set : options.sets) {
      std::vector<std::vector<double>> c;
      if (set.name == "price_v1") {
        auto r = ComputePriceV1(indicators, s);
        if (!r.ok()) return Status(r.status().code(), s.symbol + ": " + r.status().message());
        c = std::move(*r);
      } else if (set.name == "regime_v1") {
        c = RegimeColumns(regime, s, universe[u].sector);
      } else {
        c = NewsColumns(universe[u].news, s);
      }
      if (options.on_columns) options.on_columns(u, set, c);
      for (auto& col : c) k.columns.push_back(std::move(col));
    }
    ComputeLabels(options.label, s, &k.label, &k.end);
    const size_t price_cols = want_price ? PriceV1Spec().size() : 0;  // price_v1 comes first when given
    size_t price_at = 0;
    for (const auto& set : options.sets) {
      if (set.name == "price_v1") break;
      price_at += FeatureNames(set).size();
    }
    for (size_t t = 0; t < s.size(); ++t) {
      if (s.ts[t] < options.from_us || s.ts[t] > options.to_us) continue;
      if (std::isnan(k.label[t]) || k.end[t] > options.to_us) continue;
      bool warm = true;
      for (size_t c = price_at; c < price_at + price_cols && warm; ++c) warm = std::isfinite(k.columns[c][t]);
      if (!warm) continue;
      k.rows.push_back(static_cast<uint32_t>(t));
    }
    total += k.rows.size();
    if (options.on_progress) options.on_progress(u + 1, universe.size());
  }
  // Merge by (time, symbol).
  std::vector<std::pair<int64_t, std::pair<uint32_t, uint32_t>>> order;
  order.reserve(total);
  for (size_t u = 0; u < universe.size(); ++u)
    for (uint32_t t : kept[u].rows)
      order.push_back({universe[u].series->ts[t], {static_cast<uint32_t>(u), t}});
  std::sort(order.begin(), order.end());
  out.features.resize(total * cols);
  out.labels.resize(total);
  out.row_time.resize(total);
  out.label_end.resize(total);
  out.symbol.resize(total);
  for (size_t i = 0; i < total; ++i) {
    const auto [u, t] = order[i].second;
    const Kept& k = kept[u];
    double* row = out.features.data() + i * cols;
    for (size_t c = 0; c < cols; ++c) row[c] = k.columns[c][t];
    out.labels[i] = k.label[t];
    out.row_time[i] = order[i].first;
    out.label_end[i] = k.end[t];
    out.symbol[i] = u;
  }
  if (total > 0) {
    out.data_from = out.row_time.front();
    out.data_to = *std::max_element(out.label_end.begin(), out.label_end.end());
  }
  return out;
}

}  // namespace sf::app
