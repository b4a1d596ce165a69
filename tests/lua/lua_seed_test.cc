// The seed strategies on real S&P 500 data: replay a year bar by bar through
// the runtime and check every signal against an independent C++
// recomputation of the strategy's rules (same 300-bar window the strategy sees).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "lua_test_util.h"

namespace sf::lua {
namespace {

using testing::Options;
using testing::Sp500;
using testing::TempDir;

constexpr int kWindow = 300;

// ---- independent indicator arithmetic over one window ----
struct Win {
  std::vector<double> o, h, l, c, v;
};

double Mean(const std::vector<double>& x, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from; i < to; ++i) s += x[i];
  return s / static_cast<double>(to - from);
}

// Wilder ATR as TA-Lib seeds it: first value = mean of TR[1..n].
std::vector<double> Atr(const Win& w, int n) {
  const size_t m = w.c.size();
  std::vector<double> out(m, NAN), tr(m, NAN);
  for (size_t i = 1; i < m; ++i)
    tr[i] = std::max({w.h[i] - w.l[i], std::fabs(w.h[i] - w.c[i - 1]), std::fabs(w.l[i] - w.c[i - 1])});
  if (m <= static_cast<size_t>(n)) return out;
  double a = Mean(tr, 1, n + 1);
  out[n] = a;
  for (size_t i = n + 1; i < m; ++i) out[i] = a = (a * (n - 1) + tr[i]) / n;
  return out;
}

std::vector<double> Rsi(const std::vector<double>& c, int n) {
  const size_t m = c.size();
  std::vector<double> out(m, NAN);
  if (m <= static_cast<size_t>(n)) return out;
  double g = 0, l = 0;
  for (int i = 1; i <= n; ++i) {
    double d = c[i] - c[i - 1];
    (d > 0 ? g : l) += std::fabs(d);
  }
  g /= n;
  l /= n;
  auto val = [](double g, double l) { return g + l == 0 ? 0.0 : 100 * g / (g + l); };
  out[n] = val(g, l);
  for (size_t i = n + 1; i < m; ++i) {
    double d = c[i] - c[i - 1];
    g = (g * (n - 1) + (d > 0 ? d : 0)) / n;
    l = (l * (n - 1) + (d < 0 ? -d : 0)) / n;
    out[i] = val(g, l);
  }
  return out;
}

// EMA seeded with the SMA of its first n inputs (starting at `start`).
std::vector<double> Ema(const std::vector<double>& x, int n, size_t start) {
  std::vector<double> out(x.size(), NAN);
  if (x.size() < start + n) return out;
  double e = Mean(x, start, start + n);
  out[start + n - 1] = e;
  const double k = 2.0 / (n + 1);
  for (size_t i = start + n; i < x.size(); ++i) out[i] = e = (x[i] - e) * k + e;
  return out;
}

struct Macd {
  std::vector<double> macd, signal, hist;
};
Macd MacdOf(const std::vector<double>& c) {
  auto f = Ema(c, 12, 14), s = Ema(c, 26, 0);  // aligned: both start at index 25
  Macd m;
  m.macd.assign(c.size(), NAN);
  for (size_t i = 25; i < c.size(); ++i) m.macd[i] = f[i] - s[i];
  m.signal = Ema(m.macd, 9, 25);
  m.hist.assign(c.size(), NAN);
  for (size_t i = 0; i < c.size(); ++i) m.hist[i] = m.macd[i] - m.signal[i];
  return m;
}

double Clamp(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

struct Expected {
  std::string side;
  double confidence, entry, target, stop;
  int expiry;
};

// mean_reversion.lua with its default params, no news, no model.
std::optional<Expected> MeanReversion(const Win& w) {
  const size_t n = w.c.size();
  if (n < 252) return std::nullopt;
  const double c = w.c[n - 1];
  const double mean = Mean(w.c, n - 20, n);
  double q = 0;
  for (size_t i = n - 20; i < n; ++i) q += (w.c[i] - mean) * (w.c[i] - mean);
  const double sd = std::sqrt(q / 20);
  if (!(sd > 0)) return std::nullopt;
  const double z = (c - mean) / sd;
  if (z > -2.5) return std::nullopt;
  int below = 0;
  for (size_t i = n - 252; i < n; ++i) below += w.v[i] < w.v[n - 1];
  const double vrank = below / 252.0;
  if (vrank < 0.9) return std::nullopt;
  const double gap = w.o[n - 1] / w.c[n - 2] - 1;
  if (gap > -0.01) return std::nullopt;
  const double oversold = Clamp((-2.5 - z) / 2.5 + 0.5, 0, 1);
  const double vol = Clamp(0.5 + (vrank - 0.9) / (1 - 0.9 + 1e-9) * 0.5, 0, 1);
  const double gapc = Clamp(-gap / 0.05, 0, 1);
  const double conf = 0.4 + 0.5 * (0.5 * oversold + 0.3 * vol + 0.2 * gapc);
  if (conf < 0.7) return std::nullopt;
  const double atr = Atr(w, 14)[n - 1];
  if (c - 1.5 * atr <= 0) return std::nullopt;
  const double mult = conf > 0.8 ? 2.0 : 1.5;
  return Expected{"buy", conf, c, c + mult * atr, c - 1.5 * atr, 5};
}

// momentum_swing.lua with its default params, no sentiment.
std::optional<Expected> Momentum(const Win& w) {
  const size_t n = w.c.size();
  if (n < 60) return std::nullopt;
  auto rsi = Rsi(w.c, 14);
  const double r = rsi[n - 1];
  if (!(r > 30)) return std::nullopt;
  bool was = false;
  for (size_t k = 2; k <= 6; ++k) was = was || rsi[n - k] < 30;
  if (!was) return std::nullopt;
  Macd m = MacdOf(w.c);
  if (!(m.macd[n - 2] <= m.signal[n - 2] && m.macd[n - 1] > m.signal[n - 1])) return std::nullopt;
  double sum = 0;
  for (size_t k = 2; k <= 21; ++k) sum += w.v[n - k];
  const double avg = sum / 20;
  if (!(avg > 0)) return std::nullopt;
  const double vr = w.v[n - 1] / avg;
  if (vr <= 2.0) return std::nullopt;
  const double c = w.c[n - 1];
  const double atr = Atr(w, 14)[n - 1];
  const double stop_pct = std::min(0.05, 1.5 * atr / c);
  const double target_pct = Clamp(3.0 * atr / c, 0.05, 0.10);
  if (target_pct / stop_pct < 2.0) return std::nullopt;
  double conf = 0.55 + 0.15 * std::min(1.0, (vr - 2.0) / 2) + 0.1 * std::min(1.0, (r - 30) / 20);
  conf = Clamp(conf, 0, 0.95);
  return Expected{"buy", conf, c, c * (1 + target_pct), c * (1 - stop_pct), 7};
}

// confluence.lua with its default params, technical component only.
std::optional<Expected> Confluence(const Win& w) {
  const size_t n = w.c.size();
  if (n < 80) return std::nullopt;
  auto atr = Atr(w, 14);
  auto rsi = Rsi(w.c, 14);
  Macd m = MacdOf(w.c);
  auto tech = [&](size_t i) {
    const double sma = Mean(w.c, i - 49, i + 1);
    const double trend = Clamp((w.c[i] - sma) / (2 * atr[i]), -1, 1);
    const double mom = Clamp(m.hist[i] / atr[i], -1, 1);
    const double osc = Clamp((rsi[i] - 50) / 25, -1, 1);
    return (trend + mom + osc) / 3;
  };
  const double t = tech(n - 1), p = tech(n - 2);
  std::string side;
  if (t >= 0.5 && p < 0.5 && t > 0) side = "buy";
  else if (t <= -0.5 && p > -0.5 && t < 0) side = "sell";
  else return std::nullopt;
  const double c = w.c[n - 1], a = atr[n - 1];
  const double dir = side == "buy" ? 1 : -1;
  if (c - dir * 2 * a <= 0 || c + dir * 3 * a <= 0) return std::nullopt;
  return Expected{side, std::min(0.99, 0.5 + std::fabs(t) / 2), c, c + dir * 3 * a, c - dir * 2 * a, 10};
}

TEST(SeedStrategies, SignalsMatchAnIndependentRecomputationOnSp500) {
  TempDir dir;
  for (const char* f : {"mean_reversion.lua", "momentum_swing.lua", "confluence.lua"})
    std::filesystem::copy_file(std::string(SF_SOURCE_DIR) + "/scripts/" + f, dir.scripts() + "/" + f);
  RuntimeOptions o = Options(dir);
  o.history_bars = kWindow;
  auto rt = StrategyRuntime::Create(o);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  (*rt)->LoadAll();
  for (const auto& st : (*rt)->Statuses()) ASSERT_EQ(st.state, "running") << st.file << ": " << st.last_error;

  const std::vector<std::string> symbols = {"AAPL", "MSFT", "JPM", "BAC", "C", "WFC", "XOM", "GE",
                                            "F", "AIG", "INTC", "CSCO", "PFE", "MRK", "KO", "WMT",
                                            "HD", "CAT", "AMZN", "ORCL"};
  std::vector<market::BarSeries> series;
  for (const auto& s : symbols) {
    series.push_back(Sp500(s));
    (*rt)->SetInstrument(s, {"equity", "", ""});
  }
  const int64_t from = *ParseDateToCloseMicros("2008-07-01");
  const int64_t to = *ParseDateToCloseMicros("2009-06-30");
  // Dates come from AAPL's calendar; every symbol here trades on all of them.
  std::vector<int64_t> dates;
  for (int64_t t : series[0].ts)
    if (t >= from && t <= to) dates.push_back(t);
  ASSERT_GT(dates.size(), 200u);

  std::map<std::string, int> seen;  // strategy -> signals
  int checked = 0, expected_total = 0;
  for (int64_t t : dates) {
    std::map<std::string, Win> wins;
    for (const auto& s : series) {
      auto it = std::lower_bound(s.ts.begin(), s.ts.end(), t);
      ASSERT_TRUE(it != s.ts.end() && *it == t) << s.symbol;
      const int64_t upto = it - s.ts.begin() + 1;
      ASSERT_TRUE((*rt)->UpdateSeries(s, upto).ok());
      Win w;
      for (int64_t i = std::max<int64_t>(0, upto - kWindow); i < upto; ++i) {
        w.o.push_back(s.open[i]); w.h.push_back(s.high[i]); w.l.push_back(s.low[i]);
        w.c.push_back(s.close[i]); w.v.push_back(s.volume[i]);
      }
      wins[s.symbol] = std::move(w);
    }
    BarResult r = (*rt)->OnBarClose({market::Timeframe::k1d, t, {}, {}});
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].strategy << " " << r.errors[0].symbol << ": " << r.errors[0].message;
    ASSERT_TRUE(r.rejected.empty()) << r.rejected[0].message;
    std::map<std::pair<std::string, std::string>, const Intent*> got;
    for (const Intent& i : r.intents) got[{i.strategy, i.symbol}] = &i;
    for (const auto& [sym, w] : wins) {
      const std::pair<const char*, std::optional<Expected>> exp[] = {
          {"mean_reversion", MeanReversion(w)}, {"momentum_swing", Momentum(w)}, {"confluence", Confluence(w)}};
      for (const auto& [strategy, e] : exp) {
        auto g = got.find({strategy, sym});
        SCOPED_TRACE(std::string(strategy) + " " + sym + " at bar " + std::to_string(t));
        if (!e) {
          EXPECT_TRUE(g == got.end()) << "unexpected signal: " << g->second->summary;
          continue;
        }
        ++expected_total;
        ASSERT_TRUE(g != got.end()) << "missing signal";
        const Intent& i = *g->second;
        EXPECT_EQ(i.side, e->side);
        // Indicators run as streaming states in the host (running sums), the
        // recomputation as plain window loops: rounding differs near 1e-9.
        EXPECT_NEAR(i.confidence, e->confidence, 1e-7);
        EXPECT_NEAR(i.entry, e->entry, 1e-9 * e->entry);
        EXPECT_NEAR(i.target, e->target, 1e-7 * e->entry);
        EXPECT_NEAR(i.stop, e->stop, 1e-7 * e->entry);
        EXPECT_EQ(i.expiry_bars, e->expiry);
        EXPECT_EQ(i.bar_ts, t);
        ++seen[strategy];
        ++checked;
      }
    }
  }
  // Every strategy fired on this year of data, and every signal was checked.
  EXPECT_GT(seen["mean_reversion"], 0);
  EXPECT_GT(seen["momentum_swing"], 0);
  EXPECT_GT(seen["confluence"], 0);
  EXPECT_EQ(checked, expected_total);
  printf("signals checked: mean_reversion %d, momentum_swing %d, confluence %d\n",
         seen["mean_reversion"], seen["momentum_swing"], seen["confluence"]);
}

}  // namespace
}  // namespace sf::lua
