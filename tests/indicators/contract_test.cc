// The contract every registered indicator keeps, checked by looping over all
// of them: metadata shape, streaming == batch, warm-up length == lookback(),
// clear errors for bad parameters and inputs, and defined results for short
// series, NaN inputs, flat prices and zero volume.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace sf::indicators::test {
namespace {

using Out = std::vector<std::vector<double>>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Indicators whose value is a price level weighted by volume: NaN when the
// window has no volume (documented in the README).
const std::set<std::string> kVolumeWeighted = {"vwma", "vwap", "vwap_session"};

std::vector<const sf::plugins::Indicator*> All() { return Plugins().indicators(); }

const Series& Aapl() {
  static Series s = [] {
    Series x;
    if (!LoadSp500("AAPL", &x)) x = Synthetic(5000, 7);
    return x;
  }();
  return s;
}

// A second parameter set: every int +1 and every double *1.1 (kept in range).
std::vector<double> AltParams(const sf::plugins::Indicator& ind) {
  std::vector<double> p;
  for (const auto& m : ind.metadata.at("params")) {
    const double def = m.at("default").get<double>();
    const double mx = m.at("max").get<double>();
    double v = m.at("type") == "int" ? def + 1 : def * 1.1;
    if (v > mx) v = def;
    p.push_back(v);
  }
  return p;
}

bool SameBits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(IndicatorContract, RegistersMoreThanSixtyIndicatorsWithCompleteMetadata) {
  const auto all = All();
  EXPECT_GE(all.size(), 60u);
  for (const auto* ind : all) {
    SCOPED_TRACE(ind->id);
    const auto& m = ind->metadata;
    EXPECT_EQ(ind->plugin_id, "org.signalforge.indicators");
    EXPECT_FALSE(m.at("title").get<std::string>().empty());
    EXPECT_FALSE(m.at("group").get<std::string>().empty());
    EXPECT_FALSE(m.at("reference").get<std::string>().empty());
    EXPECT_GE(m.at("inputs").size(), 1u);
    uint32_t mask = 0;
    for (const auto& in : m.at("inputs")) {
      const std::string n = in.get<std::string>();
      mask |= n == "open" ? SF_INPUT_OPEN : n == "high" ? SF_INPUT_HIGH : n == "low" ? SF_INPUT_LOW
            : n == "close" ? SF_INPUT_CLOSE : n == "volume" ? SF_INPUT_VOLUME
            : n == "time" ? SF_INPUT_TIME : 0x8000u;
    }
    EXPECT_EQ(mask, ind->vt.input_mask);
    ASSERT_EQ(m.at("params").size(), ind->vt.param_count);
    for (const auto& p : m.at("params")) {
      EXPECT_FALSE(p.at("name").get<std::string>().empty());
      EXPECT_TRUE(p.at("type") == "int" || p.at("type") == "double");
      EXPECT_FALSE(p.at("description").get<std::string>().empty());
      const double def = p.at("default"), lo = p.at("min"), hi = p.at("max");
      EXPECT_LE(lo, def);
      EXPECT_LE(def, hi);
    }
    ASSERT_EQ(m.at("outputs").size(), ind->vt.output_count);
    for (const auto& o : m.at("outputs")) {
      EXPECT_FALSE(o.at("name").get<std::string>().empty());
      EXPECT_FALSE(o.at("description").get<std::string>().empty());
    }
    EXPECT_TRUE(ind->streaming());
    EXPECT_TRUE(ind->thread_safe);
  }
}

TEST(IndicatorContract, StreamingEqualsBatchBitForBitForEveryIndicator) {
  const Series& s = Aapl();
  for (const auto* ind : All()) {
    for (const auto& params : {DefaultParams(*ind), AltParams(*ind)}) {
      SCOPED_TRACE(ind->id + " " + ::testing::PrintToString(params));
      Out batch, stream;
      std::string err;
      ASSERT_EQ(Compute(*ind, params, s, &batch, &err), SF_OK) << err;
      ASSERT_EQ(Stream(*ind, params, s, &stream, &err), SF_OK) << err;
      for (size_t k = 0; k < batch.size(); ++k) {
        for (size_t i = 0; i < s.size(); ++i) {
          ASSERT_TRUE(SameBits(batch[k][i], stream[k][i]))
              << "output " << k << " bar " << i << " batch " << batch[k][i] << " stream "
              << stream[k][i];
        }
      }
    }
  }
}

TEST(IndicatorContract, WarmUpLengthEqualsLookback) {
  const Series& s = Aapl();
  for (const auto* ind : All()) {
    SCOPED_TRACE(ind->id);
    const auto params = DefaultParams(*ind);
    int64_t lookback = -1;
    ASSERT_EQ(Lookback(*ind, params, &lookback), SF_OK);
    ASSERT_GE(lookback, 0);
    Out out;
    ASSERT_EQ(Compute(*ind, params, s, &out), SF_OK);
    for (size_t k = 0; k < out.size(); ++k) {
      for (size_t i = 0; i < s.size(); ++i) {
        const bool warm = static_cast<int64_t>(i) < lookback;
        if (warm) {
          ASSERT_TRUE(std::isnan(out[k][i])) << "output " << k << " bar " << i;
        } else if (kVolumeWeighted.count(ind->id) == 0 || i == static_cast<size_t>(lookback)) {
          ASSERT_TRUE(std::isfinite(out[k][i])) << "output " << k << " bar " << i;
        }
      }
    }
  }
}

TEST(IndicatorContract, ShortSeriesGiveAllNaNAndEmptySeriesIsFine) {
  const Series& full = Aapl();
  for (const auto* ind : All()) {
    SCOPED_TRACE(ind->id);
    const auto params = DefaultParams(*ind);
    int64_t lookback = 0;
    ASSERT_EQ(Lookback(*ind, params, &lookback), SF_OK);
    Out out;
    const Series shorter = full.Head(static_cast<size_t>(lookback));
    ASSERT_EQ(Compute(*ind, params, shorter, &out), SF_OK);
    for (const auto& o : out) {
      for (double v : o) ASSERT_TRUE(std::isnan(v));
    }
    const Series just = full.Head(static_cast<size_t>(lookback) + 1);
    ASSERT_EQ(Compute(*ind, params, just, &out), SF_OK);
    for (const auto& o : out) ASSERT_TRUE(std::isfinite(o.back()));
    ASSERT_EQ(Compute(*ind, params, full.Head(0), &out), SF_OK);
  }
}

TEST(IndicatorContract, BadParametersAreRefusedNamingTheParameterAndRule) {
  for (const auto* ind : All()) {
    const auto good = DefaultParams(*ind);
    const auto& meta = ind->metadata.at("params");
    std::vector<std::vector<double>> bad_sets;
    std::vector<std::string> names;
    for (size_t k = 0; k < good.size(); ++k) {
      const double lo = meta[k].at("min"), hi = meta[k].at("max");
      std::vector<double> values = {lo - 1, hi + 1, kNaN, std::numeric_limits<double>::infinity()};
      if (meta[k].at("type") == "int") values.push_back(good[k] + 0.5);
      if (lo > 0) values.push_back(0);
      values.push_back(-5);
      for (double v : values) {
        if (v >= lo && v <= hi && meta[k].at("type") != "int") continue;
        if (v >= lo && v <= hi && v == std::floor(v)) continue;
        auto p = good;
        p[k] = v;
        bad_sets.push_back(p);
        names.push_back(meta[k].at("name"));
      }
    }
    for (size_t b = 0; b < bad_sets.size(); ++b) {
      SCOPED_TRACE(ind->id + " " + ::testing::PrintToString(bad_sets[b]));
      int64_t lookback = 0;
      std::string err;
      ASSERT_EQ(Lookback(*ind, bad_sets[b], &lookback, &err), SF_ERR_INVALID_ARGUMENT);
      EXPECT_NE(err.find(ind->id + ": " + names[b] + " must be"), std::string::npos) << err;
      Out out;
      ASSERT_EQ(Compute(*ind, bad_sets[b], Aapl().Head(50), &out, &err), SF_ERR_INVALID_ARGUMENT);
      EXPECT_NE(err.find(names[b]), std::string::npos) << err;
      ASSERT_EQ(Stream(*ind, bad_sets[b], Aapl().Head(5), &out, &err), SF_ERR_INVALID_ARGUMENT);
      EXPECT_NE(err.find(names[b]), std::string::npos) << err;
    }
    // Wrong parameter count.
    auto more = good;
    more.push_back(1);
    int64_t lookback = 0;
    std::string err;
    ASSERT_EQ(Lookback(*ind, more, &lookback, &err), SF_ERR_INVALID_ARGUMENT) << ind->id;
    EXPECT_NE(err.find("parameter"), std::string::npos) << err;
  }
}

TEST(IndicatorContract, ExampleMessagesReadWell) {
  int64_t lb = 0;
  std::string err;
  ASSERT_EQ(Lookback(Find("sma"), {0}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "sma: period must be an integer in [2, 100000], got 0");
  ASSERT_EQ(Lookback(Find("rsi"), {14.5}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "rsi: period must be an integer in [2, 100000], got 14.5");
  ASSERT_EQ(Lookback(Find("bbands"), {20, -1, 2}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "bbands: nbdevup must be a number in [0, 100], got -1");
  ASSERT_EQ(Lookback(Find("macd"), {26, 12, 9}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "macd: fast_period must be < slow_period, got 26 >= 12");
  ASSERT_EQ(Lookback(Find("macd"), {12, 12, 9}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(Lookback(Find("ppo"), {30, 10}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "ppo: fast_period must be < slow_period, got 30 >= 10");
  ASSERT_EQ(Lookback(Find("apo"), {10, 10}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(Lookback(Find("adosc"), {10, 3}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "adosc: fast_period must be < slow_period, got 10 >= 3");
  ASSERT_EQ(Lookback(Find("sma"), {}, &lb, &err), SF_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(err, "sma: expected 1 parameter(s), got 0");
}

TEST(IndicatorContract, MissingInputColumnsAndWrongBuffersAreRefused) {
  const Series s = Aapl().Head(100);
  for (const auto* ind : All()) {
    SCOPED_TRACE(ind->id);
    const auto params = DefaultParams(*ind);
    sf_bar_series v = s.View();
    if (ind->vt.input_mask & SF_INPUT_CLOSE) v.close = nullptr;
    else if (ind->vt.input_mask & SF_INPUT_HIGH) v.high = nullptr;
    else v.volume = nullptr;
    std::vector<std::vector<double>> bufs(ind->vt.output_count, std::vector<double>(s.size()));
    std::vector<double*> ptrs;
    for (auto& b : bufs) ptrs.push_back(b.data());
    sf::plugins::ClearPluginError();
    EXPECT_EQ(ind->vt.compute(params.data(), ind->vt.param_count, &v, ptrs.data(),
                              ind->vt.output_count),
              SF_ERR_INVALID_ARGUMENT);
    EXPECT_NE(sf::plugins::TakePluginError("").find("is required but NULL"), std::string::npos);
    v = s.View();
    EXPECT_EQ(ind->vt.compute(params.data(), ind->vt.param_count, &v, ptrs.data(),
                              ind->vt.output_count + 1),
              SF_ERR_INVALID_ARGUMENT);
    EXPECT_NE(sf::plugins::TakePluginError("").find("output buffer"), std::string::npos);
    EXPECT_EQ(ind->vt.compute(params.data(), ind->vt.param_count, nullptr, ptrs.data(),
                              ind->vt.output_count),
              SF_ERR_INVALID_ARGUMENT);
    sf::plugins::ClearPluginError();
  }
}

// Outputs the metadata marks "optional" may be passed as NULL buffers
// (BBANDS' %B and bandwidth): the other outputs keep the same bits, and a
// NULL buffer for any other output is refused with its name.
TEST(IndicatorContract, OptionalOutputsMayBeNullAndChangeNothingElse) {
  Series s = Aapl();
  s.close[s.size() - 40] = kNaN;  // the poisoned tail must stay NaN too
  size_t optional_seen = 0;
  for (const auto* ind : All()) {
    SCOPED_TRACE(ind->id);
    const auto& outs = ind->metadata.at("outputs");
    std::vector<bool> optional;
    for (const auto& o : outs) optional.push_back(o.value("optional", false));
    const auto params = DefaultParams(*ind);
    Out want;
    ASSERT_EQ(Compute(*ind, params, s, &want), SF_OK);
    Out got(ind->vt.output_count, std::vector<double>(s.size(), 1.0));
    std::vector<double*> ptrs;
    for (auto& o : got) ptrs.push_back(o.data());
    for (size_t k = 0; k < optional.size(); ++k) {
      if (optional[k]) ptrs[k] = nullptr;
    }
    const sf_bar_series view = s.View();
    for (size_t k = 0; k < optional.size(); ++k) {
      if (optional[k]) continue;
      // Every required buffer is refused when NULL, naming the output.
      double* keep = ptrs[k];
      ptrs[k] = nullptr;
      sf::plugins::ClearPluginError();
      EXPECT_EQ(ind->vt.compute(params.data(), ind->vt.param_count, &view, ptrs.data(),
                                ind->vt.output_count),
                SF_ERR_INVALID_ARGUMENT);
      EXPECT_NE(sf::plugins::TakePluginError("").find(
                    "output buffer '" + outs[k].at("name").get<std::string>() + "' is NULL"),
                std::string::npos);
      ptrs[k] = keep;
    }
    if (std::find(optional.begin(), optional.end(), true) == optional.end()) continue;
    ++optional_seen;
    ASSERT_EQ(ind->vt.compute(params.data(), ind->vt.param_count, &view, ptrs.data(),
                              ind->vt.output_count),
              SF_OK);
    for (size_t k = 0; k < optional.size(); ++k) {
      if (optional[k]) continue;
      for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_TRUE(SameBits(got[k][i], want[k][i])) << "output " << k << " bar " << i;
      }
    }
  }
  EXPECT_GE(optional_seen, 1u);  // bbands
  const auto& bb = Find("bbands").metadata.at("outputs");
  EXPECT_TRUE(bb.at(3).value("optional", false));
  EXPECT_TRUE(bb.at(4).value("optional", false));
  EXPECT_FALSE(bb.at(0).value("optional", false));
}

// A NaN in a column an indicator reads makes that bar and every later output
// NaN (state is poisoned); earlier bars are untouched; indicators that do not
// read the column are unaffected. Streaming agrees.
TEST(IndicatorContract, NaNInputsPoisonFromThatBarOn) {
  const Series clean = Aapl().Head(400);
  struct Column { uint32_t bit; std::vector<double> Series::*field; };
  const Column cols[] = {{SF_INPUT_OPEN, &Series::open},   {SF_INPUT_HIGH, &Series::high},
                         {SF_INPUT_LOW, &Series::low},     {SF_INPUT_CLOSE, &Series::close},
                         {SF_INPUT_VOLUME, &Series::volume}};
  for (const auto& col : cols) {
    Series dirty = clean;
    (dirty.*col.field)[250] = kNaN;
    for (const auto* ind : All()) {
      SCOPED_TRACE(ind->id + " column bit " + std::to_string(col.bit));
      const auto params = DefaultParams(*ind);
      Out a, b, st;
      ASSERT_EQ(Compute(*ind, params, clean, &a), SF_OK);
      ASSERT_EQ(Compute(*ind, params, dirty, &b), SF_OK);
      ASSERT_EQ(Stream(*ind, params, dirty, &st), SF_OK);
      const bool reads = (ind->vt.input_mask & col.bit) != 0;
      for (size_t k = 0; k < a.size(); ++k) {
        for (size_t i = 0; i < clean.size(); ++i) {
          ASSERT_TRUE(SameBits(b[k][i], st[k][i])) << "stream differs at " << i;
          if (i < 250 || !reads) {
            ASSERT_TRUE(SameBits(a[k][i], b[k][i])) << "bar " << i;
          } else {
            ASSERT_TRUE(std::isnan(b[k][i])) << "bar " << i;
          }
        }
      }
    }
  }
}

// The batch kernels watch for NaN inside their own passes (blocks of 512 or
// 2048 bars, cycles of the window) instead of scanning first: a NaN on the
// first bar, inside the warm-up, on either side of a block boundary or on
// the last bar must still poison exactly the bars from it on, for every
// indicator, in every column it reads, as the streaming path does.
TEST(IndicatorContract, NaNAtBlockEdgesPoisonFromThatBarOn) {
  const Series clean = Synthetic(2600, 23);
  const std::vector<size_t> where = {0, 1, 13, 27, 511, 512, 513, 2047, 2048, 2599};
  std::vector<std::vector<double> Series::*> fields = {&Series::open, &Series::high,
                                                       &Series::low, &Series::close,
                                                       &Series::volume};
  const uint32_t bits[] = {SF_INPUT_OPEN, SF_INPUT_HIGH, SF_INPUT_LOW, SF_INPUT_CLOSE,
                           SF_INPUT_VOLUME};
  size_t checked = 0;
  for (const auto* ind : All()) {
    const auto params = DefaultParams(*ind);
    Out a;
    ASSERT_EQ(Compute(*ind, params, clean, &a), SF_OK);
    size_t turn = 0;
    for (const size_t at : where) {
      // A different column the indicator reads at each position.
      int col = -1;
      for (int k = 0; k < 5 && col < 0; ++k) {
        const int c = static_cast<int>((turn + static_cast<size_t>(k)) % 5);
        if ((ind->vt.input_mask & bits[c]) != 0) col = c;
      }
      ++turn;
      if (col < 0) continue;
      SCOPED_TRACE(ind->id + " NaN at bar " + std::to_string(at) + " column bit " +
                   std::to_string(bits[col]));
      Series dirty = clean;
      (dirty.*fields[col])[at] = kNaN;
      Out b, st;
      ASSERT_EQ(Compute(*ind, params, dirty, &b), SF_OK);
      ASSERT_EQ(Stream(*ind, params, dirty, &st), SF_OK);
      for (size_t k = 0; k < a.size(); ++k) {
        for (size_t i = 0; i < clean.size(); ++i) {
          ASSERT_TRUE(SameBits(b[k][i], st[k][i])) << "stream differs at " << i;
          if (i < at) {
            ASSERT_TRUE(SameBits(a[k][i], b[k][i])) << "bar " << i;
          } else {
            ASSERT_TRUE(std::isnan(b[k][i])) << "bar " << i;
          }
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 600u);
}

Series Flat(size_t n, double price, double volume) {
  Series s = Synthetic(n, 3);
  for (size_t i = 0; i < n; ++i) {
    s.open[i] = s.high[i] = s.low[i] = s.close[i] = price;
    s.volume[i] = volume;
  }
  return s;
}

TEST(IndicatorContract, FlatPricesAndZeroVolumeGiveFiniteDefinedValues) {
  for (double volume : {1000.0, 0.0}) {
    const Series s = Flat(300, 100.0, volume);
    for (const auto* ind : All()) {
      SCOPED_TRACE(ind->id + " volume " + std::to_string(volume));
      const auto params = DefaultParams(*ind);
      int64_t lookback = 0;
      ASSERT_EQ(Lookback(*ind, params, &lookback), SF_OK);
      Out out;
      ASSERT_EQ(Compute(*ind, params, s, &out), SF_OK);
      for (size_t k = 0; k < out.size(); ++k) {
        for (size_t i = static_cast<size_t>(lookback); i < s.size(); ++i) {
          if (volume == 0 && kVolumeWeighted.count(ind->id)) {
            ASSERT_TRUE(std::isnan(out[k][i])) << "no volume, no VWAP";
          } else {
            ASSERT_TRUE(std::isfinite(out[k][i])) << "output " << k << " bar " << i;
          }
        }
      }
    }
  }
  // Spot checks of the documented flat-market values.
  const Series s = Flat(300, 100.0, 1000.0);
  auto last = [&](const char* id, size_t k = 0) {
    Out out;
    EXPECT_EQ(Compute(Find(id), DefaultParams(Find(id)), s, &out), SF_OK);
    return out[k].back();
  };
  EXPECT_EQ(last("rsi"), 0.0);
  EXPECT_EQ(last("willr"), 0.0);
  EXPECT_EQ(last("stoch"), 0.0);
  EXPECT_EQ(last("cci"), 0.0);
  EXPECT_EQ(last("bbands", 3), 0.5);
  EXPECT_EQ(last("close_to_low"), 0.5);
  EXPECT_EQ(last("mfi"), 0.0);
  EXPECT_EQ(last("cmf"), 0.0);
  EXPECT_EQ(last("obv"), 1000.0);
  EXPECT_EQ(last("sma"), 100.0);
  EXPECT_EQ(last("vwap"), 100.0);
  EXPECT_EQ(last("stddev"), 0.0);
  EXPECT_EQ(last("zscore"), 0.0);
  EXPECT_EQ(last("atr"), 0.0);
  EXPECT_EQ(last("adx"), 0.0);
  EXPECT_EQ(last("tsi"), 0.0);
  EXPECT_EQ(last("mass_index"), 25.0);
}

TEST(IndicatorContract, StreamUpdateRejectsWrongOutputCount) {
  const auto& ind = Find("macd");
  const auto params = DefaultParams(ind);
  void* state = nullptr;
  ASSERT_EQ(ind.vt.stream_create(params.data(), 3, &state), SF_OK);
  const sf_bar bar = Aapl().BarAt(0);
  double out[3];
  sf::plugins::ClearPluginError();
  EXPECT_EQ(ind.vt.stream_update(state, &bar, out, 2), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(sf::plugins::TakePluginError("").find("3 output slots"), std::string::npos);
  EXPECT_EQ(ind.vt.stream_update(state, &bar, out, 3), SF_OK);
  ind.vt.stream_destroy(state);
}

// The batch kernels of the hot indicators keep stack scratch for windows up
// to 512 bars; longer windows take the per-bar path. Both must give the
// streaming numbers bit for bit.
TEST(IndicatorContract, LongWindowsBeyondTheBlockKernelsMatchStreaming) {
  const Series s = Synthetic(2500, 11);
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"willr", {600}}, {"stoch", {600, 3, 3}}, {"stochf", {513, 3}}, {"cci", {600}},
      {"willr", {512}}, {"cci", {512}}};
  for (const auto& [id, params] : cases) {
    SCOPED_TRACE(id + " " + ::testing::PrintToString(params));
    Out batch, stream;
    std::string err;
    ASSERT_EQ(Compute(Find(id), params, s, &batch, &err), SF_OK) << err;
    ASSERT_EQ(Stream(Find(id), params, s, &stream, &err), SF_OK) << err;
    size_t defined = 0;
    for (size_t k = 0; k < batch.size(); ++k) {
      for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_TRUE(SameBits(batch[k][i], stream[k][i])) << "output " << k << " bar " << i;
        defined += std::isfinite(batch[k][i]) ? 1 : 0;
      }
    }
    EXPECT_GT(defined, 1000u);
  }
}

// TA-Lib lets a caller write the output over the input (out == in). The
// batch kernels read inputs behind the bar they write, so the plugin gives
// such calls the per-bar path: the numbers must not change.
TEST(IndicatorContract, OutputOverTheCloseColumnGivesTheSameNumbers) {
  const Series s = Synthetic(3000, 5);
  for (const char* id : {"sma", "ema", "rsi", "macd", "bbands", "atr", "adx", "stoch", "cci",
                         "willr", "obv"}) {
    SCOPED_TRACE(id);
    const auto& ind = Find(id);
    const auto params = DefaultParams(ind);
    Out want;
    ASSERT_EQ(Compute(ind, params, s, &want), SF_OK);
    Series inplace = s;
    Out others(ind.vt.output_count, std::vector<double>(s.size()));
    std::vector<double*> ptrs;
    for (auto& o : others) ptrs.push_back(o.data());
    ptrs[0] = inplace.close.data();
    const sf_bar_series view = inplace.View();
    ASSERT_EQ(ind.vt.compute(params.data(), static_cast<uint32_t>(params.size()), &view,
                             ptrs.data(), ind.vt.output_count),
              SF_OK);
    for (size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(SameBits(inplace.close[i], want[0][i])) << "bar " << i;
    }
    for (size_t k = 1; k < want.size(); ++k) {
      for (size_t i = 0; i < s.size(); ++i) {
        ASSERT_TRUE(SameBits(others[k][i], want[k][i])) << "output " << k << " bar " << i;
      }
    }
  }
}

}  // namespace
}  // namespace sf::indicators::test
