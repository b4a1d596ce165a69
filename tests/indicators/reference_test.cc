// Indicators TA-Lib does not have, checked against straightforward reference
// implementations written here from the cited definitions (direct window
// sums, no rolling state), against hand-computed values, and with property
// checks, on real S&P 500 bars.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

extern "C" {
#include "ta_libc.h"
}

#include "test_support.h"

namespace sf::indicators::test {
namespace {

using Out = std::vector<std::vector<double>>;
using Vec = std::vector<double>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const Series& Data() {
  static Series s = [] {
    Series x;
    if (!LoadSp500("MSFT", &x)) x = Synthetic(5000, 11);
    return x;
  }();
  return s;
}

Out RunInd(const std::string& id, const std::vector<double>& params, const Series& s) {
  Out out;
  std::string err;
  EXPECT_EQ(Compute(Find(id), params, s, &out, &err), SF_OK) << id << ": " << err;
  return out;
}

// Relative 1e-9, with an absolute floor of 1e-9 x the series' largest
// magnitude for values that cross zero (naive and rolling sums round
// differently there).
void ExpectMatches(const Vec& got, const Vec& want, const std::string& what) {
  double scale = 0;
  for (double v : want) {
    if (std::isfinite(v)) scale = std::max(scale, std::fabs(v));
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(std::isnan(got[i]), std::isnan(want[i])) << what << " bar " << i << " got "
                                                       << got[i] << " want " << want[i];
    if (std::isnan(want[i])) continue;
    ASSERT_TRUE(Close(got[i], want[i], 1e-9, 1e-9 * scale))
        << what << " bar " << i << " got " << got[i] << " want " << want[i];
  }
}

Vec NaNs(size_t n) { return Vec(n, kNaN); }

// Direct weighted mean of x[i-n+1..i], weights 1..n.
Vec NaiveWma(const Vec& x, int n) {
  Vec out = NaNs(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || i + 1 < static_cast<size_t>(n)) continue;
    double num = 0, den = 0;
    bool ok = true;
    for (int k = 0; k < n; ++k) {
      const double v = x[i - k];
      if (std::isnan(v)) ok = false;
      num += v * (n - k);
      den += n - k;
    }
    if (ok) out[i] = num / den;
  }
  return out;
}

Vec NaiveSma(const Vec& x, int n) {
  Vec out = NaNs(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (i + 1 < static_cast<size_t>(n)) continue;
    double sum = 0;
    bool ok = true;
    for (int k = 0; k < n; ++k) {
      if (std::isnan(x[i - k])) ok = false;
      sum += x[i - k];
    }
    if (ok) out[i] = sum / n;
  }
  return out;
}

// EMA seeded with the SMA of the first n valid values (the convention the
// plugin documents for every EMA-based indicator).
Vec NaiveEma(const Vec& x, int n) {
  Vec out = NaNs(x.size());
  size_t first = 0;
  while (first < x.size() && std::isnan(x[first])) ++first;
  if (first + n > x.size()) return out;
  double sum = 0;
  for (int k = 0; k < n; ++k) sum += x[first + k];
  double e = sum / n;
  out[first + n - 1] = e;
  const double a = 2.0 / (n + 1.0);
  for (size_t i = first + n; i < x.size(); ++i) {
    e = (x[i] - e) * a + e;
    out[i] = e;
  }
  return out;
}

Vec TaAtr(const Series& s, int n) {
  Vec raw(s.size());
  int beg = 0, nb = 0;
  TA_ATR(0, static_cast<int>(s.size()) - 1, s.high.data(), s.low.data(), s.close.data(), n, &beg,
         &nb, raw.data());
  Vec out = NaNs(s.size());
  for (int i = 0; i < nb; ++i) out[beg + i] = raw[i];
  return out;
}

double Highest(const Vec& x, size_t i, int n) {
  double m = -std::numeric_limits<double>::infinity();
  for (int k = 0; k < n; ++k) m = std::max(m, x[i - k]);
  return m;
}
double Lowest(const Vec& x, size_t i, int n) {
  double m = std::numeric_limits<double>::infinity();
  for (int k = 0; k < n; ++k) m = std::min(m, x[i - k]);
  return m;
}

TEST(IndicatorReference, HullMovingAverage) {
  const Series& s = Data();
  for (int n : {20, 9, 2}) {
    const Vec half = NaiveWma(s.close, n / 2), full = NaiveWma(s.close, n);
    Vec diff = NaNs(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      if (!std::isnan(full[i])) diff[i] = 2 * half[i] - full[i];
    }
    ExpectMatches(RunInd("hma", {double(n)}, s)[0],
                  NaiveWma(diff, static_cast<int>(std::floor(std::sqrt(n)))), "hma");
  }
}

TEST(IndicatorReference, VolumeWeightedAverages) {
  const Series& s = Data();
  const int n = 20;
  Vec vwma = NaNs(s.size()), vwap = NaNs(s.size());
  for (size_t i = n - 1; i < s.size(); ++i) {
    double pv = 0, tpv = 0, v = 0;
    for (int k = 0; k < n; ++k) {
      pv += s.close[i - k] * s.volume[i - k];
      tpv += (s.high[i - k] + s.low[i - k] + s.close[i - k]) / 3 * s.volume[i - k];
      v += s.volume[i - k];
    }
    vwma[i] = v != 0 ? pv / v : kNaN;
    vwap[i] = v != 0 ? tpv / v : kNaN;
  }
  ExpectMatches(RunInd("vwma", {20}, s)[0], vwma, "vwma");
  ExpectMatches(RunInd("vwap", {20}, s)[0], vwap, "vwap");
  // Property: a VWAP lies between the window's lowest low and highest high.
  const Vec got = RunInd("vwap", {20}, s)[0];
  for (size_t i = n - 1; i < s.size(); ++i) {
    ASSERT_GE(got[i], Lowest(s.low, i, n) - 1e-9);
    ASSERT_LE(got[i], Highest(s.high, i, n) + 1e-9);
  }
}

TEST(IndicatorReference, SessionVwapRestartsEachDay) {
  // Hand-computed: two bars on day 1, one bar on day 2 (hourly bars).
  Series s;
  const int64_t hour = 3600LL * 1000000LL, day = 24 * hour;
  s.ts = {10 * day + 14 * hour, 10 * day + 15 * hour, 11 * day + 14 * hour};
  s.open = {10, 11, 20};
  s.high = {12, 13, 21};
  s.low = {9, 10, 18};
  s.close = {9, 12, 21};  // typical prices 10, 35/3, 20
  s.volume = {100, 300, 50};
  const Vec got = RunInd("vwap_session", {0}, s)[0];
  EXPECT_DOUBLE_EQ(got[0], 10.0);
  EXPECT_DOUBLE_EQ(got[1], (10.0 * 100 + 35.0 / 3 * 300) / 400);
  EXPECT_DOUBLE_EQ(got[2], 20.0);
  // A -15 h offset moves the boundary to 15:00 UTC: bar 0 (14:00) ends one
  // session, bars 1 (15:00) and 2 (14:00 next day) share the next one.
  const Vec shifted = RunInd("vwap_session", {-15 * 60}, s)[0];
  EXPECT_DOUBLE_EQ(shifted[0], 10.0);
  EXPECT_DOUBLE_EQ(shifted[1], 35.0 / 3);  // 15:00 - 15 h = midnight: new session
  EXPECT_DOUBLE_EQ(shifted[2], (35.0 / 3 * 300 + 20.0 * 50) / 350);
}

TEST(IndicatorReference, TrueStrengthIndex) {
  const Series& s = Data();
  Vec mom = NaNs(s.size()), amom = NaNs(s.size());
  for (size_t i = 1; i < s.size(); ++i) {
    mom[i] = s.close[i] - s.close[i - 1];
    amom[i] = std::fabs(mom[i]);
  }
  const Vec num = NaiveEma(NaiveEma(mom, 25), 13), den = NaiveEma(NaiveEma(amom, 25), 13);
  Vec want = NaNs(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isnan(num[i])) want[i] = den[i] != 0 ? 100 * num[i] / den[i] : 0;
  }
  const Vec got = RunInd("tsi", {25, 13}, s)[0];
  ExpectMatches(got, want, "tsi");
  for (double v : got) {
    if (!std::isnan(v)) {
      ASSERT_LE(std::fabs(v), 100.0 + 1e-9);
    }
  }
}

TEST(IndicatorReference, Vortex) {
  const Series& s = Data();
  const int n = 14;
  Vec plus = NaNs(s.size()), minus = NaNs(s.size());
  for (size_t i = n; i < s.size(); ++i) {
    double vp = 0, vm = 0, tr = 0;
    for (int k = 0; k < n; ++k) {
      const size_t j = i - k;
      vp += std::fabs(s.high[j] - s.low[j - 1]);
      vm += std::fabs(s.low[j] - s.high[j - 1]);
      tr += std::max({s.high[j] - s.low[j], std::fabs(s.high[j] - s.close[j - 1]),
                      std::fabs(s.low[j] - s.close[j - 1])});
    }
    plus[i] = vp / tr;
    minus[i] = vm / tr;
  }
  const Out got = RunInd("vortex", {14}, s);
  ExpectMatches(got[0], plus, "vortex+");
  ExpectMatches(got[1], minus, "vortex-");
}

TEST(IndicatorReference, SuperTrend) {
  const Series& s = Data();
  const int n = 10;
  const double m = 3;
  const Vec atr = TaAtr(s, n);
  Vec line = NaNs(s.size()), dir = NaNs(s.size());
  double fu = 0, fl = 0;
  int d = -1;
  for (size_t i = n; i < s.size(); ++i) {
    const double hl2 = (s.high[i] + s.low[i]) / 2;
    double bu = hl2 + m * atr[i], bl = hl2 - m * atr[i];
    if (i == static_cast<size_t>(n)) {
      d = -1;
    } else {
      bu = (bu < fu || s.close[i - 1] > fu) ? bu : fu;
      bl = (bl > fl || s.close[i - 1] < fl) ? bl : fl;
      d = d < 0 ? (s.close[i] > bu ? 1 : -1) : (s.close[i] < bl ? -1 : 1);
    }
    fu = bu;
    fl = bl;
    line[i] = d > 0 ? bl : bu;
    dir[i] = d;
  }
  const Out got = RunInd("supertrend", {10, 3}, s);
  ExpectMatches(got[0], line, "supertrend");
  ExpectMatches(got[1], dir, "direction");
  int flips = 0;
  for (size_t i = n + 1; i < s.size(); ++i) {
    ASSERT_TRUE(got[1][i] == 1 || got[1][i] == -1);
    if (got[1][i] != got[1][i - 1]) ++flips;
    // In an uptrend the stop is below the close, in a downtrend above it.
    if (got[1][i] > 0) {
      ASSERT_LE(got[0][i], s.close[i]);
    } else {
      ASSERT_GE(got[0][i], s.close[i]);
    }
  }
  EXPECT_GT(flips, 20);
}

TEST(IndicatorReference, ChaikinMoneyFlowForceIndexEaseOfMovement) {
  const Series& s = Data();
  const size_t n = s.size();
  Vec mfv(n), raw = NaNs(n), emv = NaNs(n);
  for (size_t i = 0; i < n; ++i) {
    const double r = s.high[i] - s.low[i];
    mfv[i] = r > 0 ? ((s.close[i] - s.low[i]) - (s.high[i] - s.close[i])) / r * s.volume[i] : 0;
    if (i > 0) {
      raw[i] = (s.close[i] - s.close[i - 1]) * s.volume[i];
      const double dm = (s.high[i] + s.low[i]) / 2 - (s.high[i - 1] + s.low[i - 1]) / 2;
      emv[i] = (r != 0 && s.volume[i] != 0) ? dm / ((s.volume[i] / 1e8) / r) : 0;
    }
  }
  Vec cmf = NaNs(n);
  for (size_t i = 19; i < n; ++i) {
    double a = 0, v = 0;
    for (int k = 0; k < 20; ++k) { a += mfv[i - k]; v += s.volume[i - k]; }
    cmf[i] = v != 0 ? a / v : 0;
  }
  ExpectMatches(RunInd("cmf", {20}, s)[0], cmf, "cmf");
  ExpectMatches(RunInd("force_index", {13}, s)[0], NaiveEma(raw, 13), "force_index");
  Vec emv_sma = NaNs(n);
  for (size_t i = 14; i < n; ++i) {
    double sum = 0;
    for (int k = 0; k < 14; ++k) sum += emv[i - k];
    emv_sma[i] = sum / 14;
  }
  ExpectMatches(RunInd("eom", {14, 1e8}, s)[0], emv_sma, "eom");
}

TEST(IndicatorReference, Ichimoku) {
  const Series& s = Data();
  const size_t n = s.size();
  const Out got = RunInd("ichimoku", {9, 26, 52, 26}, s);
  const size_t lookback = 52 - 1 + 26;
  auto mid = [&](size_t i, int p) { return (Highest(s.high, i, p) + Lowest(s.low, i, p)) / 2; };
  for (size_t i = 0; i < n; ++i) {
    if (i < lookback) {
      for (int k = 0; k < 5; ++k) ASSERT_TRUE(std::isnan(got[k][i]));
      continue;
    }
    ASSERT_DOUBLE_EQ(got[0][i], mid(i, 9));
    ASSERT_DOUBLE_EQ(got[1][i], mid(i, 26));
    ASSERT_DOUBLE_EQ(got[2][i], (mid(i - 26, 9) + mid(i - 26, 26)) / 2);
    ASSERT_DOUBLE_EQ(got[3][i], mid(i - 26, 52));
    ASSERT_EQ(got[4][i], s.close[i]);
  }
}

TEST(IndicatorReference, HeikinAshiHandComputedAndProperties) {
  Series s;
  s.ts = {0, 1, 2};
  s.open = {10, 11, 12};
  s.high = {12, 13, 12.5};
  s.low = {9, 10, 10};
  s.close = {11, 12, 10.5};
  s.volume = {1, 1, 1};
  const Out ha = RunInd("heikin_ashi", {}, s);
  EXPECT_DOUBLE_EQ(ha[0][0], 10.5);   // (10 + 11) / 2
  EXPECT_DOUBLE_EQ(ha[3][0], 10.5);   // (10 + 12 + 9 + 11) / 4
  EXPECT_DOUBLE_EQ(ha[0][1], 10.5);   // (10.5 + 10.5) / 2
  EXPECT_DOUBLE_EQ(ha[3][1], 11.5);   // (11 + 13 + 10 + 12) / 4
  EXPECT_DOUBLE_EQ(ha[1][1], 13.0);
  EXPECT_DOUBLE_EQ(ha[2][1], 10.0);
  EXPECT_DOUBLE_EQ(ha[0][2], 11.0);   // (10.5 + 11.5) / 2
  EXPECT_DOUBLE_EQ(ha[3][2], 11.25);  // (12 + 12.5 + 10 + 10.5) / 4
  const Series& d = Data();
  const Out big = RunInd("heikin_ashi", {}, d);
  for (size_t i = 0; i < d.size(); ++i) {
    ASSERT_GE(big[1][i], std::max(big[0][i], big[3][i]));
    ASSERT_LE(big[2][i], std::min(big[0][i], big[3][i]));
  }
}

TEST(IndicatorReference, ClassicPivotsHandComputed) {
  Series s;
  s.ts = {0, 1};
  s.open = {100, 105};
  s.high = {110, 106};
  s.low = {90, 101};
  s.close = {105, 103};
  s.volume = {1, 1};
  const Out p = RunInd("pivots", {}, s);
  for (int k = 0; k < 7; ++k) EXPECT_TRUE(std::isnan(p[k][0]));
  const double pp = (110 + 90 + 105) / 3.0;
  EXPECT_DOUBLE_EQ(p[0][1], pp);
  EXPECT_DOUBLE_EQ(p[1][1], 2 * pp - 90);
  EXPECT_DOUBLE_EQ(p[2][1], 2 * pp - 110);
  EXPECT_DOUBLE_EQ(p[3][1], pp + 20);
  EXPECT_DOUBLE_EQ(p[4][1], pp - 20);
  EXPECT_DOUBLE_EQ(p[5][1], 110 + 2 * (pp - 90));
  EXPECT_DOUBLE_EQ(p[6][1], 90 - 2 * (110 - pp));
}

TEST(IndicatorReference, DpoMassIndexCoppockKst) {
  const Series& s = Data();
  const size_t n = s.size();
  const Vec sma20 = NaiveSma(s.close, 20);
  Vec dpo = NaNs(n);
  for (size_t i = 19; i < n; ++i) dpo[i] = s.close[i - 11] - sma20[i];
  ExpectMatches(RunInd("dpo", {20}, s)[0], dpo, "dpo");

  Vec range(n);
  for (size_t i = 0; i < n; ++i) range[i] = s.high[i] - s.low[i];
  const Vec e1 = NaiveEma(range, 9), e2 = NaiveEma(e1, 9);
  Vec ratio = NaNs(n), mass = NaNs(n);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isnan(e2[i])) ratio[i] = e2[i] != 0 ? e1[i] / e2[i] : 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (i < 24 || std::isnan(ratio[i - 24])) continue;
    double sum = 0;
    for (int k = 0; k < 25; ++k) sum += ratio[i - k];
    mass[i] = sum;
  }
  ExpectMatches(RunInd("mass_index", {9, 25}, s)[0], mass, "mass_index");

  auto roc = [&](int p) {
    Vec r = NaNs(n);
    for (size_t i = p; i < n; ++i) r[i] = (s.close[i] / s.close[i - p] - 1) * 100;
    return r;
  };
  const Vec r14 = roc(14), r11 = roc(11);
  Vec sum = NaNs(n);
  for (size_t i = 14; i < n; ++i) sum[i] = r14[i] + r11[i];
  ExpectMatches(RunInd("coppock", {14, 11, 10}, s)[0], NaiveWma(sum, 10), "coppock");

  const Vec a = NaiveSma(roc(10), 10), b = NaiveSma(roc(15), 10), c = NaiveSma(roc(20), 10),
            d = NaiveSma(roc(30), 15);
  Vec kst = NaNs(n);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isnan(d[i])) kst[i] = a[i] + 2 * b[i] + 3 * c[i] + 4 * d[i];
  }
  const Vec signal = NaiveSma(kst, 9);
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(signal[i])) kst[i] = kNaN;  // both outputs share the warm-up
  }
  const Out got = RunInd("kst", {10, 15, 20, 30, 10, 10, 10, 15, 9}, s);
  ExpectMatches(got[0], kst, "kst");
  ExpectMatches(got[1], signal, "kst signal");
}

TEST(IndicatorReference, PriceFeatures) {
  const Series& s = Data();
  const size_t n = s.size();
  // Realized volatility: two-pass sample stddev of log returns.
  Vec lr(n, kNaN), rv = NaNs(n);
  for (size_t i = 1; i < n; ++i) lr[i] = std::log(s.close[i] / s.close[i - 1]);
  for (size_t i = 20; i < n; ++i) {
    double mean = 0;
    for (int k = 0; k < 20; ++k) mean += lr[i - k];
    mean /= 20;
    double ss = 0;
    for (int k = 0; k < 20; ++k) ss += (lr[i - k] - mean) * (lr[i - k] - mean);
    rv[i] = std::sqrt(ss / 19) * std::sqrt(252.0);
  }
  ExpectMatches(RunInd("realized_vol", {20, 252}, s)[0], rv, "realized_vol");

  Vec gk = NaNs(n);
  for (size_t i = 19; i < n; ++i) {
    double sum = 0;
    for (int k = 0; k < 20; ++k) {
      const size_t j = i - k;
      sum += 0.5 * std::pow(std::log(s.high[j] / s.low[j]), 2) -
             (2 * std::log(2.0) - 1) * std::pow(std::log(s.close[j] / s.open[j]), 2);
    }
    gk[i] = std::sqrt(std::max(sum / 20, 0.0));
  }
  ExpectMatches(RunInd("garman_klass", {20, 1}, s)[0], gk, "garman_klass");

  Vec dv(n), amihud = NaNs(n), gap = NaNs(n), range(n), ctl(n);
  for (size_t i = 0; i < n; ++i) {
    dv[i] = s.close[i] * s.volume[i];
    range[i] = (s.high[i] - s.low[i]) / s.open[i];
    const double r = s.high[i] - s.low[i];
    ctl[i] = r != 0 ? (s.close[i] - s.low[i]) / r : 0.5;
    if (i > 0) gap[i] = (s.open[i] - s.close[i - 1]) / s.close[i - 1];
  }
  for (size_t i = 20; i < n; ++i) {
    double sum = 0;
    for (int k = 0; k < 20; ++k) {
      const size_t j = i - k;
      const double ret = std::fabs(s.close[j] / s.close[j - 1] - 1);
      sum += dv[j] != 0 ? ret / dv[j] : 0;
    }
    amihud[i] = sum / 20 * 1e6;
  }
  ExpectMatches(RunInd("dollar_volume", {}, s)[0], dv, "dollar_volume");
  ExpectMatches(RunInd("amihud", {20, 1e6}, s)[0], amihud, "amihud");
  ExpectMatches(RunInd("overnight_gap", {}, s)[0], gap, "overnight_gap");
  ExpectMatches(RunInd("intraday_range", {}, s)[0], range, "intraday_range");
  ExpectMatches(RunInd("close_to_low", {}, s)[0], ctl, "close_to_low");
  for (double v : ctl) ASSERT_TRUE(v >= 0 && v <= 1);
}

TEST(IndicatorReference, BandOrderingProperties) {
  const Series& s = Data();
  for (const char* id : {"bbands", "keltner", "donchian"}) {
    const Out b = RunInd(id, DefaultParams(Find(id)), s);
    for (size_t i = 0; i < s.size(); ++i) {
      if (std::isnan(b[0][i])) continue;
      ASSERT_LE(b[2][i], b[1][i] + 1e-12) << id << " bar " << i;
      ASSERT_LE(b[1][i], b[0][i] + 1e-12) << id << " bar " << i;
    }
  }
}

}  // namespace
}  // namespace sf::indicators::test
