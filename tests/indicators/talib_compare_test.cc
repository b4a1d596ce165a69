// Every indicator that TA-Lib 0.6 has is compared with TA-Lib itself (built
// from talib@1.1.6's C sources in the build tree) on real S&P 500 daily bars:
// identical first valid index (lookback) and a relative difference <= 1e-9
// after the warm-up, for the default and non-default parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

extern "C" {
#include "ta_libc.h"
}

#include "test_support.h"

namespace sf::indicators::test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using Out = std::vector<std::vector<double>>;
using P = std::vector<double>;

// TA-Lib's compact output, re-aligned to the input (NaN before outBegIdx).
struct Ref {
  int beg = 0;
  int nb = 0;
  Out raw;
  Ref(size_t n, int k) : raw(k, std::vector<double>(n, kNaN)) {}
  double* o(int k) { return raw[k].data(); }
  Out Aligned(size_t n) const {
    Out a(raw.size(), std::vector<double>(n, kNaN));
    for (size_t k = 0; k < raw.size(); ++k) {
      for (int i = 0; i < nb; ++i) a[k][beg + i] = raw[k][i];
    }
    return a;
  }
};

int I(const P& p, size_t k) { return static_cast<int>(p[k]); }

// One TA-Lib reference: fills `ref` with as many outputs as the plugin has
// (derived outputs such as %B are computed from TA-Lib's own bands).
using TaCall = std::function<TA_RetCode(const Series& s, const P& p, Ref& ref)>;

struct Case {
  std::string id;
  std::vector<P> params;  // non-default sets; the default set is always added
  int outputs;            // how many plugin outputs the reference covers
  TaCall call;
};

#define END static_cast<int>(s.size()) - 1
#define BN &r.beg, &r.nb

std::vector<Case> Cases() {
  std::vector<Case> c;
  auto single = [&](const char* id, std::vector<P> params,
                    TA_RetCode (*fn)(int, int, const double*, int, int*, int*, double*)) {
    c.push_back({id, params, 1, [fn](const Series& s, const P& p, Ref& r) {
                   return fn(0, END, s.close.data(), I(p, 0), BN, r.o(0));
                 }});
  };
  auto hlc = [&](const char* id, std::vector<P> params,
                 TA_RetCode (*fn)(int, int, const double*, const double*, const double*, int,
                                  int*, int*, double*)) {
    c.push_back({id, params, 1, [fn](const Series& s, const P& p, Ref& r) {
                   return fn(0, END, s.high.data(), s.low.data(), s.close.data(), I(p, 0), BN,
                             r.o(0));
                 }});
  };
  single("sma", {{5}, {200}}, TA_SMA);
  single("ema", {{12}, {100}}, TA_EMA);
  single("wma", {{10}, {50}}, TA_WMA);
  single("dema", {{10}, {21}}, TA_DEMA);
  single("tema", {{9}, {40}}, TA_TEMA);
  single("trima", {{10}, {15}}, TA_TRIMA);
  single("kama", {{10}, {50}}, TA_KAMA);
  single("rsi", {{2}, {30}}, TA_RSI);
  single("cmo", {{9}, {30}}, TA_CMO);
  single("mom", {{1}, {30}}, TA_MOM);
  single("roc", {{1}, {25}}, TA_ROC);
  single("rocp", {{1}, {25}}, TA_ROCP);
  single("returns", {{5}, {20}}, TA_ROCP);
  single("trix", {{2}, {15}}, TA_TRIX);
  c.push_back({"t3", {{3, 0.5}, {10, 0.9}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_T3(0, END, s.close.data(), I(p, 0), p[1], BN, r.o(0));
               }});
  c.push_back({"stddev", {{20, 1}, {10, 2.5}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_STDDEV(0, END, s.close.data(), I(p, 0), p[1], BN, r.o(0));
               }});
  c.push_back({"var", {{1}, {20}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_VAR(0, END, s.close.data(), I(p, 0), 1.0, BN, r.o(0));
               }});
  c.push_back({"macd", {{5, 35, 5}, {3, 10, 16}}, 3, [](const Series& s, const P& p, Ref& r) {
                 return TA_MACD(0, END, s.close.data(), I(p, 0), I(p, 1), I(p, 2), BN, r.o(0),
                                r.o(1), r.o(2));
               }});
  c.push_back({"ppo", {{5, 10}, {20, 50}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_PPO(0, END, s.close.data(), I(p, 0), I(p, 1), TA_MAType_SMA, BN, r.o(0));
               }});
  c.push_back({"apo", {{5, 10}, {20, 50}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_APO(0, END, s.close.data(), I(p, 0), I(p, 1), TA_MAType_SMA, BN, r.o(0));
               }});
  c.push_back({"stochrsi", {{9, 3, 2}, {21, 14, 5}}, 2, [](const Series& s, const P& p, Ref& r) {
                 return TA_STOCHRSI(0, END, s.close.data(), I(p, 0), I(p, 1), I(p, 2),
                                    TA_MAType_SMA, BN, r.o(0), r.o(1));
               }});
  c.push_back({"stoch", {{14, 3, 3}, {21, 1, 7}}, 2, [](const Series& s, const P& p, Ref& r) {
                 return TA_STOCH(0, END, s.high.data(), s.low.data(), s.close.data(), I(p, 0),
                                 I(p, 1), TA_MAType_SMA, I(p, 2), TA_MAType_SMA, BN, r.o(0),
                                 r.o(1));
               }});
  c.push_back({"stochf", {{14, 3}, {9, 1}}, 2, [](const Series& s, const P& p, Ref& r) {
                 return TA_STOCHF(0, END, s.high.data(), s.low.data(), s.close.data(), I(p, 0),
                                  I(p, 1), TA_MAType_SMA, BN, r.o(0), r.o(1));
               }});
  hlc("cci", {{20}, {5}}, TA_CCI);
  hlc("willr", {{5}, {50}}, TA_WILLR);
  hlc("adx", {{5}, {30}}, TA_ADX);
  hlc("adxr", {{5}, {30}}, TA_ADXR);
  hlc("dx", {{5}, {30}}, TA_DX);
  hlc("plus_di", {{5}, {30}}, TA_PLUS_DI);
  hlc("minus_di", {{5}, {30}}, TA_MINUS_DI);
  hlc("atr", {{1}, {20}}, TA_ATR);
  hlc("natr", {{2}, {20}}, TA_NATR);
  c.push_back({"plus_dm", {{5}, {30}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_PLUS_DM(0, END, s.high.data(), s.low.data(), I(p, 0), BN, r.o(0));
               }});
  c.push_back({"minus_dm", {{5}, {30}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_MINUS_DM(0, END, s.high.data(), s.low.data(), I(p, 0), BN, r.o(0));
               }});
  c.push_back({"trange", {}, 1, [](const Series& s, const P&, Ref& r) {
                 return TA_TRANGE(0, END, s.high.data(), s.low.data(), s.close.data(), BN, r.o(0));
               }});
  c.push_back({"ultosc", {{5, 10, 20}, {28, 7, 14}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_ULTOSC(0, END, s.high.data(), s.low.data(), s.close.data(), I(p, 0),
                                  I(p, 1), I(p, 2), BN, r.o(0));
               }});
  c.push_back({"bop", {}, 1, [](const Series& s, const P&, Ref& r) {
                 return TA_BOP(0, END, s.open.data(), s.high.data(), s.low.data(),
                               s.close.data(), BN, r.o(0));
               }});
  c.push_back({"aroon", {{5}, {25}}, 3, [](const Series& s, const P& p, Ref& r) {
                 TA_RetCode rc = TA_AROON(0, END, s.high.data(), s.low.data(), I(p, 0), BN,
                                          r.o(0), r.o(1));
                 int beg2 = 0, nb2 = 0;
                 TA_RetCode rc2 = TA_AROONOSC(0, END, s.high.data(), s.low.data(), I(p, 0),
                                              &beg2, &nb2, r.o(2));
                 EXPECT_EQ(beg2, r.beg);
                 return rc != TA_SUCCESS ? rc : rc2;
               }});
  c.push_back({"bbands", {{20, 2, 2}, {10, 1.5, 2.5}}, 5, [](const Series& s, const P& p, Ref& r) {
                 TA_RetCode rc = TA_BBANDS(0, END, s.close.data(), I(p, 0), p[1], p[2],
                                           TA_MAType_SMA, BN, r.o(0), r.o(1), r.o(2));
                 for (int i = 0; i < r.nb; ++i) {
                   const double w = r.raw[0][i] - r.raw[2][i];
                   r.raw[3][i] = w != 0 ? (s.close[r.beg + i] - r.raw[2][i]) / w : 0.5;
                   r.raw[4][i] = r.raw[1][i] != 0 ? w / r.raw[1][i] : 0.0;
                 }
                 return rc;
               }});
  c.push_back({"bb_position", {{10, 1}, {30, 3}}, 1, [](const Series& s, const P& p, Ref& r) {
                 Ref b(s.size(), 3);
                 TA_RetCode rc = TA_BBANDS(0, END, s.close.data(), I(p, 0), p[1], p[1],
                                           TA_MAType_SMA, &r.beg, &r.nb, b.o(0), b.o(1), b.o(2));
                 for (int i = 0; i < r.nb; ++i) {
                   const double w = b.raw[0][i] - b.raw[2][i];
                   r.raw[0][i] = w != 0 ? (s.close[r.beg + i] - b.raw[2][i]) / w : 0.5;
                 }
                 return rc;
               }});
  c.push_back({"dist_sma", {{5}, {50}}, 1, [](const Series& s, const P& p, Ref& r) {
                 TA_RetCode rc = TA_SMA(0, END, s.close.data(), I(p, 0), BN, r.o(0));
                 for (int i = 0; i < r.nb; ++i) {
                   const double m = r.raw[0][i];
                   r.raw[0][i] = m != 0 ? (s.close[r.beg + i] - m) / m : 0.0;
                 }
                 return rc;
               }});
  c.push_back({"volume_ratio", {{5}, {50}}, 1, [](const Series& s, const P& p, Ref& r) {
                 TA_RetCode rc = TA_SMA(0, END, s.volume.data(), I(p, 0), BN, r.o(0));
                 for (int i = 0; i < r.nb; ++i) {
                   const double m = r.raw[0][i];
                   r.raw[0][i] = m != 0 ? s.volume[r.beg + i] / m : 0.0;
                 }
                 return rc;
               }});
  c.push_back({"zscore", {{5}, {60}}, 1, [](const Series& s, const P& p, Ref& r) {
                 Ref sd(s.size(), 1);
                 TA_RetCode rc = TA_SMA(0, END, s.close.data(), I(p, 0), BN, r.o(0));
                 TA_STDDEV(0, END, s.close.data(), I(p, 0), 1.0, &sd.beg, &sd.nb, sd.o(0));
                 EXPECT_EQ(sd.beg, r.beg);
                 for (int i = 0; i < r.nb; ++i) {
                   const double d = sd.raw[0][i];
                   r.raw[0][i] = d != 0 ? (s.close[r.beg + i] - r.raw[0][i]) / d : 0.0;
                 }
                 return rc;
               }});
  c.push_back({"keltner", {{10, 20, 1.5}, {30, 5, 3}}, 3, [](const Series& s, const P& p, Ref& r) {
                 const size_t n = s.size();
                 Ref e(n, 1), a(n, 1);
                 TA_EMA(0, END, s.close.data(), I(p, 0), &e.beg, &e.nb, e.o(0));
                 TA_RetCode rc = TA_ATR(0, END, s.high.data(), s.low.data(), s.close.data(),
                                        I(p, 1), &a.beg, &a.nb, a.o(0));
                 Out ea = e.Aligned(n), aa = a.Aligned(n);
                 r.beg = std::max(e.beg, a.beg);
                 r.nb = static_cast<int>(n) - r.beg;
                 for (int i = 0; i < r.nb; ++i) {
                   const double mid = ea[0][r.beg + i], atr = aa[0][r.beg + i];
                   r.raw[0][i] = mid + p[2] * atr;
                   r.raw[1][i] = mid;
                   r.raw[2][i] = mid - p[2] * atr;
                 }
                 return rc;
               }});
  c.push_back({"donchian", {{5}, {55}}, 3, [](const Series& s, const P& p, Ref& r) {
                 int b2 = 0, n2 = 0, b3 = 0, n3 = 0;
                 TA_RetCode rc = TA_MAX(0, END, s.high.data(), I(p, 0), BN, r.o(0));
                 TA_MIDPRICE(0, END, s.high.data(), s.low.data(), I(p, 0), &b2, &n2, r.o(1));
                 TA_MIN(0, END, s.low.data(), I(p, 0), &b3, &n3, r.o(2));
                 EXPECT_EQ(b2, r.beg);
                 EXPECT_EQ(b3, r.beg);
                 return rc;
               }});
  c.push_back({"sar", {{0.01, 0.1}, {0.04, 0.4}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_SAR(0, END, s.high.data(), s.low.data(), p[0], p[1], BN, r.o(0));
               }});
  c.push_back({"obv", {}, 1, [](const Series& s, const P&, Ref& r) {
                 return TA_OBV(0, END, s.close.data(), s.volume.data(), BN, r.o(0));
               }});
  c.push_back({"ad", {}, 1, [](const Series& s, const P&, Ref& r) {
                 return TA_AD(0, END, s.high.data(), s.low.data(), s.close.data(),
                              s.volume.data(), BN, r.o(0));
               }});
  c.push_back({"mfi", {{5}, {30}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_MFI(0, END, s.high.data(), s.low.data(), s.close.data(),
                               s.volume.data(), I(p, 0), BN, r.o(0));
               }});
  c.push_back({"adosc", {{2, 5}, {5, 20}}, 1, [](const Series& s, const P& p, Ref& r) {
                 return TA_ADOSC(0, END, s.high.data(), s.low.data(), s.close.data(),
                                 s.volume.data(), I(p, 0), I(p, 1), BN, r.o(0));
               }});
  c.push_back({"linreg", {{5}, {50}}, 5, [](const Series& s, const P& p, Ref& r) {
                 int b = 0, n = 0;
                 TA_RetCode rc = TA_LINEARREG(0, END, s.close.data(), I(p, 0), BN, r.o(0));
                 TA_LINEARREG_SLOPE(0, END, s.close.data(), I(p, 0), &b, &n, r.o(1));
                 TA_LINEARREG_INTERCEPT(0, END, s.close.data(), I(p, 0), &b, &n, r.o(2));
                 TA_LINEARREG_ANGLE(0, END, s.close.data(), I(p, 0), &b, &n, r.o(3));
                 TA_TSF(0, END, s.close.data(), I(p, 0), &b, &n, r.o(4));
                 EXPECT_EQ(b, r.beg);
                 return rc;
               }});
  return c;
}

// Three named large caps and three others picked with a fixed seed.
std::vector<std::string> Symbols() {
  std::vector<std::string> out = {"AAPL", "MSFT", "XOM"};
  std::vector<std::string> all = Sp500Symbols();
  std::mt19937 rng(20261120);
  while (out.size() < 6 && !all.empty()) {
    const std::string pick = all[rng() % all.size()];
    if (std::find(out.begin(), out.end(), pick) == out.end()) out.push_back(pick);
  }
  return out;
}

class TaLibCompare : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { TA_Initialize(); }
};

TEST_P(TaLibCompare, MatchesTaLibOnRealData) {
  if (!HaveSp500()) GTEST_SKIP() << "no S&P 500 data at " << Sp500Dir();
  Series s;
  ASSERT_TRUE(LoadSp500(GetParam(), &s)) << GetParam();
  ASSERT_GT(s.size(), 300u);
  int compared = 0;
  for (const Case& c : Cases()) {
    const auto& ind = Find(c.id);
    std::vector<P> sets = c.params;
    sets.insert(sets.begin(), DefaultParams(ind));
    for (const P& p : sets) {
      SCOPED_TRACE(c.id + " params " + ::testing::PrintToString(p) + " on " + GetParam());
      Out got;
      std::string err;
      ASSERT_EQ(Compute(ind, p, s, &got, &err), SF_OK) << err;
      int64_t lookback = -1;
      ASSERT_EQ(Lookback(ind, p, &lookback), SF_OK);
      Ref ref(s.size(), static_cast<int>(ind.vt.output_count));
      ASSERT_EQ(c.call(s, p, ref), TA_SUCCESS);
      ASSERT_GT(ref.nb, 0);
      ASSERT_EQ(lookback, ref.beg) << "lookback differs from TA-Lib's outBegIdx";
      const Out want = ref.Aligned(s.size());
      for (int k = 0; k < c.outputs; ++k) {
        double worst = 0;
        for (size_t i = 0; i < s.size(); ++i) {
          const double a = got[k][i], b = want[k][i];
          if (static_cast<int64_t>(i) < lookback) {
            ASSERT_TRUE(std::isnan(a)) << "output " << k << " bar " << i << " is warm-up";
            continue;
          }
          ASSERT_FALSE(std::isnan(a)) << "output " << k << " bar " << i;
          const double diff = std::fabs(a - b);
          const double rel = diff == 0 ? 0 : diff / std::max(std::fabs(a), std::fabs(b));
          worst = std::max(worst, rel);
          ASSERT_LE(rel, 1e-9) << "output " << k << " bar " << i << " plugin " << a
                               << " talib " << b;
        }
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 150);
}

// The smoothings that multiply by constants instead of TA-Lib's division
// (ATR, NATR, RSI, ADX) and take two bars per step (EMA) round differently
// from TA-Lib by a few ulps per bar. The recurrences are contractive, so
// that must not add up: over 2^20 bars the relative difference stays
// <= 1e-9 everywhere, and the worst of the last 2^18 bars is no worse than
// the first 2^18 bars' (times 16, floor 1e-13: rounding noise, not drift).
TEST(TaLibLongSeries, SmoothingRoundingDoesNotDriftOver2To20Bars) {
  TA_Initialize();
  const Series s = Synthetic(size_t{1} << 20, 77);
  const size_t n = s.size(), quarter = n / 4;
  using Call = std::function<TA_RetCode(Ref&)>;
  const double* h = s.high.data();
  const double* l = s.low.data();
  const double* c = s.close.data();
  const int end = static_cast<int>(n) - 1;
  const std::vector<std::tuple<std::string, P, Call>> cases = {
      {"ema", {20}, [&](Ref& r) { return TA_EMA(0, end, c, 20, BN, r.o(0)); }},
      {"ema", {200}, [&](Ref& r) { return TA_EMA(0, end, c, 200, BN, r.o(0)); }},
      {"rsi", {14}, [&](Ref& r) { return TA_RSI(0, end, c, 14, BN, r.o(0)); }},
      {"atr", {14}, [&](Ref& r) { return TA_ATR(0, end, h, l, c, 14, BN, r.o(0)); }},
      {"natr", {14}, [&](Ref& r) { return TA_NATR(0, end, h, l, c, 14, BN, r.o(0)); }},
      {"adx", {14}, [&](Ref& r) { return TA_ADX(0, end, h, l, c, 14, BN, r.o(0)); }},
  };
  for (const auto& [id, params, call] : cases) {
    SCOPED_TRACE(id + " " + ::testing::PrintToString(params));
    Out got;
    std::string err;
    ASSERT_EQ(Compute(Find(id), params, s, &got, &err), SF_OK) << err;
    Ref ref(n, 1);
    ASSERT_EQ(call(ref), TA_SUCCESS);
    const Out want = ref.Aligned(n);
    double first = 0, last = 0, all = 0;
    for (size_t i = static_cast<size_t>(ref.beg); i < n; ++i) {
      const double a = got[0][i], b = want[0][i];
      ASSERT_TRUE(std::isfinite(a)) << "bar " << i;
      const double diff = std::fabs(a - b);
      const double rel = diff == 0 ? 0 : diff / std::max(std::fabs(a), std::fabs(b));
      all = std::max(all, rel);
      if (i < quarter) first = std::max(first, rel);
      if (i >= n - quarter) last = std::max(last, rel);
    }
    std::printf("%-5s %-12s worst relative difference: first 2^18 bars %.3g, last 2^18 %.3g, "
                "all %.3g\n",
                id.c_str(), ::testing::PrintToString(params).c_str(), first, last, all);
    EXPECT_LE(all, 1e-9);
    EXPECT_LE(last, std::max(16 * first, 1e-13));
  }
}

INSTANTIATE_TEST_SUITE_P(Sp500, TaLibCompare, ::testing::ValuesIn(Symbols()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace sf::indicators::test
