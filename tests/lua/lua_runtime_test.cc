// The strategy contract end to end: declaration checks, series views,
// indicators through the real plugin, intent validation, state, universes.
#include <gtest/gtest.h>

#include <cmath>

#include "lua_test_util.h"

namespace sf::lua {
namespace {

using testing::Options;
using testing::TempDir;
using testing::Walk;

constexpr int64_t kDay = 86400LL * 1000000;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = StrategyRuntime::Create(Options(dir_));
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
    for (int i = 0; i < 3; ++i) {
      series_.push_back(Walk(std::string("SYM") + char('A' + i), 400, i + 1));
      ASSERT_TRUE(rt_->UpdateSeries(series_.back()).ok());
      rt_->SetInstrument(series_.back().symbol, {"equity", "Tech", ""});
    }
  }
  StrategyStatus Load(const std::string& name, const std::string& text) {
    return rt_->LoadFile(dir_.Write(name, text), true);
  }
  BarResult Bar() { return rt_->OnBarClose({market::Timeframe::k1d, series_[0].ts.back(), {}, {}}); }

  TempDir dir_;
  std::unique_ptr<StrategyRuntime> rt_;
  std::vector<market::BarSeries> series_;
};

const char* kHeader = R"(
  name = "t", timeframe = "1d", universe = { type = "equity" },
)";

std::string Strategy(const std::string& body, const std::string& extra = "") {
  return std::string("return {") + kHeader + extra + "evaluate = function(ctx, symbol)\n" + body +
         "\nend }\n";
}

TEST_F(RuntimeTest, EmitsValidatedIntentsWithVersionAndSeriesValues) {
  const std::string src = Strategy(R"(
    local c = ctx.bars.close
    local sma = ctx.indicator("sma", { period = 10 })
    return { side = "buy", confidence = 0.8, entry = c[-1], target = c[-1] * 1.1,
             stop = c[-1] * 0.9, expiry = 5, summary = "test " .. symbol,
             features = { last = c[-1], first = c[1], prev = c:ago(1), n = #c,
                          time = ctx.bars.time[-1], sma = sma[-1], vol = ctx.bars.volume:last(),
                          high = ctx.bars.high[-1], low = ctx.bars.low[-1], open = ctx.bars.open[-1],
                          mean10 = c:mean(10) } }
  )");
  auto st = Load("t.lua", src);
  ASSERT_EQ(st.state, "running") << st.last_error;
  EXPECT_EQ(st.version, Sha256Hex(src));
  BarResult r = Bar();
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  ASSERT_EQ(r.intents.size(), 3u);
  for (const Intent& in : r.intents) {
    const market::BarSeries* s = nullptr;
    for (const auto& x : series_) if (x.symbol == in.symbol) s = &x;
    ASSERT_NE(s, nullptr);
    const size_t n = s->size();
    EXPECT_EQ(in.version, Sha256Hex(src));
    EXPECT_EQ(in.strategy, "t");
    EXPECT_EQ(in.side, "buy");
    EXPECT_EQ(in.expiry_bars, 5);
    EXPECT_EQ(in.expires_at, in.bar_ts + 5 * kDay);
    EXPECT_DOUBLE_EQ(in.features["last"].get<double>(), s->close[n - 1]);
    EXPECT_DOUBLE_EQ(in.features["first"].get<double>(), s->close[n - 300]);  // history_bars = 300
    EXPECT_DOUBLE_EQ(in.features["prev"].get<double>(), s->close[n - 2]);
    EXPECT_EQ(in.features["n"].get<int>(), 300);
    EXPECT_DOUBLE_EQ(in.features["time"].get<double>(), s->ts[n - 1] / 1e6);
    EXPECT_DOUBLE_EQ(in.features["open"].get<double>(), s->open[n - 1]);
    EXPECT_DOUBLE_EQ(in.features["high"].get<double>(), s->high[n - 1]);
    EXPECT_DOUBLE_EQ(in.features["low"].get<double>(), s->low[n - 1]);
    EXPECT_DOUBLE_EQ(in.features["vol"].get<double>(), s->volume[n - 1]);
    double sum = 0;
    for (size_t i = n - 10; i < n; ++i) sum += s->close[i];
    EXPECT_NEAR(in.features["sma"].get<double>(), sum / 10, 1e-9);
    EXPECT_NEAR(in.features["mean10"].get<double>(), sum / 10, 1e-9);
  }
}

TEST_F(RuntimeTest, NewBarsAppendAndViewsFollow) {
  auto st = Load("t.lua", Strategy(R"(
    if symbol ~= "SYMA" then return nil end
    local c = ctx.bars.close
    return { side = "buy", confidence = 0.5, target = c[-1] * 2, stop = c[-1] / 2, expiry = 1,
             summary = "x", features = { last = c[-1], n = #c } }
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  market::BarSeries s = series_[0];
  for (int k = 0; k < 350; ++k) {  // more than history_bars: the slot shifts
    s.Append(s.ts.back() + kDay, 1, 2, 0.5, 100 + k, 10);
    ASSERT_TRUE(rt_->UpdateSeries(s).ok());
    BarResult r = rt_->OnBarClose({market::Timeframe::k1d, s.ts.back(), {"SYMA"}, {}});
    ASSERT_EQ(r.intents.size(), 1u);
    EXPECT_DOUBLE_EQ(r.intents[0].features["last"].get<double>(), 100 + k);
    EXPECT_EQ(r.intents[0].features["n"].get<int>(), 300);
  }
}

TEST_F(RuntimeTest, BadIntentsAreRejectedNamingTheField) {
  struct Case { const char* fields; const char* expect; };
  const Case cases[] = {
      {"side = 'buy', confidence = 0/0, target = 2e9, stop = 1, expiry = 1, summary = 's'", "'confidence' must be finite"},
      {"side = 'buy', confidence = 1.5, target = 1000, stop = 1, expiry = 1, summary = 's'", "'confidence' = 1.5 is outside [0, 1]"},
      {"side = 'buy', confidence = 0.5, target = 1/0, stop = 1, expiry = 1, summary = 's'", "'target' must be finite"},
      {"side = 'buy', confidence = 0.5, target = 1000, stop = 1, expiry = 1", "'summary' must be a non-empty string"},
      {"side = 'buy', confidence = 0.5, stop = 1, expiry = 1, summary = 's'", "field 'target' is missing"},
      {"side = 'up', confidence = 0.5, target = 1000, stop = 1, expiry = 1, summary = 's'", "'side' must be \"buy\" or \"sell\""},
      {"side = 'buy', confidence = '0.5', target = 1000, stop = 1, expiry = 1, summary = 's'", "'confidence' must be a number, got string"},
      {"side = 'buy', confidence = 0.5, target = 1000, stop = 1, expiry = 1.5, summary = 's'", "'expiry' must be a whole number"},
      {"side = 'buy', confidence = 0.5, target = 1, stop = 1000, expiry = 1, summary = 's'", "a buy needs stop < entry < target"},
      {"side = 'sell', confidence = 0.5, target = 1000, stop = 1, expiry = 1, summary = 's'", "a sell needs target < entry < stop"},
      {"side = 'buy', confidence = 0.5, target = 1000, stop = 1, expiry = 1, summary = 's', colour = 1", "unknown field 'colour'"},
      {"side = 'buy', confidence = 0.5, target = 1000, stop = 1, expiry = 1, summary = 's', features = { x = 0/0 }", "features.x must be a finite number"},
  };
  for (const Case& c : cases) {
    auto st = Load("t.lua", Strategy(std::string("if symbol ~= 'SYMA' then return nil end return {") + c.fields + "}"));
    ASSERT_EQ(st.state, "running") << st.last_error;
    BarResult r = Bar();
    EXPECT_TRUE(r.intents.empty()) << c.fields;
    ASSERT_EQ(r.rejected.size(), 1u) << c.fields;
    EXPECT_NE(r.rejected[0].message.find(c.expect), std::string::npos)
        << r.rejected[0].message << " (expected: " << c.expect << ")";
    EXPECT_EQ(r.rejected[0].symbol, "SYMA");
  }
}

TEST_F(RuntimeTest, PerSymbolAndPerBarCapsHold) {
  auto st = Load("t.lua", Strategy(R"(
    local out = {}
    for i = 1, 5 do
      out[i] = { side = "buy", confidence = 0.5, target = 1e6, stop = 1e-3, expiry = 1, summary = "n" .. i }
    end
    return out
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  EXPECT_EQ(r.intents.size(), 9u);  // 3 symbols x the default cap of 3
  EXPECT_EQ(r.rejected.size(), 6u);
  EXPECT_NE(r.rejected[0].message.find("over the cap of 3 intents per symbol"), std::string::npos);

  RuntimeOptions o = Options(dir_);
  o.max_intents_per_bar = 4;
  auto rt = StrategyRuntime::Create(o);
  ASSERT_TRUE(rt.ok());
  for (const auto& s : series_) {
    ASSERT_TRUE((*rt)->UpdateSeries(s).ok());
    (*rt)->SetInstrument(s.symbol, {});
  }
  ASSERT_EQ((*rt)->LoadFile(dir_.scripts() + "/t.lua", true).state, "running");
  BarResult r2 = (*rt)->OnBarClose({market::Timeframe::k1d, series_[0].ts.back(), {}, {}});
  EXPECT_EQ(r2.intents.size(), 4u);
  int per_bar = 0;
  for (const auto& p : r2.rejected) per_bar += p.message.find("per strategy per bar") != std::string::npos;
  EXPECT_EQ(per_bar, 5);
}

TEST_F(RuntimeTest, AtrMultiplesResolveThroughTheAtrIndicator) {
  auto st = Load("t.lua", Strategy(R"(
    if symbol ~= "SYMB" then return nil end
    return { side = "buy", confidence = 0.6, target_atr = 2, stop_atr = 1.5, expiry = 3, summary = "atr",
             features = { atr = ctx.indicator("atr", { period = 14 })[-1] } }
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  ASSERT_EQ(r.intents.size(), 1u) << (r.rejected.empty() ? "" : r.rejected[0].message);
  const Intent& in = r.intents[0];
  const double atr = in.features["atr"].get<double>();
  EXPECT_GT(atr, 0);
  EXPECT_DOUBLE_EQ(in.entry, series_[1].close.back());
  EXPECT_NEAR(in.target, in.entry + 2 * atr, 1e-9);
  EXPECT_NEAR(in.stop, in.entry - 1.5 * atr, 1e-9);
}

TEST_F(RuntimeTest, DeclarationErrorsNameTheField) {
  struct Case { std::string text; const char* expect; };
  const Case cases[] = {
      {"return 42", "must return a declaration table"},
      {"return { name = 't', timeframe = '1d', universe = {'A'} }", "'evaluate' must be a function (it is missing)"},
      {"return { name = 't', timeframe = '2d', universe = {'A'}, evaluate = function() end }", "'timeframe' must be one of"},
      {"return { name = 'T x', timeframe = '1d', universe = {'A'}, evaluate = function() end }", "'name' must be 1-64 characters"},
      {"return { name = 't', timeframe = '1d', universe = {'A'}, evalute = function() end, evaluate = function() end }", "unknown declaration field 'evalute'"},
      {"return { name = 't', timeframe = '1d', universe = 5, evaluate = function() end }", "'universe' must be a list of symbols"},
      {"return { name = 't', timeframe = '1d', universe = {'A'}, params = { p = { default = 5, min = 10 } }, evaluate = function() end }", "param 'p' = 5 is outside [10, inf]"},
      {"return { name = 't', timeframe = '1d', universe = {'A'}, cadence = 15, evaluate = function() end }", "'cadence' must be a string"},
      {"return { name = 't', timeframe = '1d', universe = {'A'}, cadence = { every = '15m', hours = 1 }, evaluate = function() end }", "found 'hours'"},
      {"return { name = 't', timeframe = '1d', universe = {'A'}, cadence = { market_hours = true }, evaluate = function() end }", "'cadence' needs every"},
  };
  for (const Case& c : cases) {
    auto st = Load("d.lua", c.text);
    EXPECT_EQ(st.state, "failed");
    EXPECT_NE(st.last_error.find(c.expect), std::string::npos) << st.last_error;
    EXPECT_NE(st.last_error.find("d.lua"), std::string::npos) << st.last_error;
  }
}

// The engine schedules cadence ticks from the declaration it reads back.
TEST_F(RuntimeTest, DeclaredCadenceReachesTheDeclaration) {
  auto st = Load("c.lua", "return { name = 'c', timeframe = '1d', universe = {'A'},"
                          " cadence = 'every 15 min during market hours', evaluate = function() end }");
  ASSERT_EQ(st.state, "running") << st.last_error;
  EXPECT_EQ(st.declaration["cadence"], "every 15 min during market hours");
  st = Load("c2.lua", "return { name = 'c2', timeframe = '1d', universe = {'A'},"
                      " cadence = { every = '1h', market_hours = false }, evaluate = function() end }");
  ASSERT_EQ(st.state, "running") << st.last_error;
  EXPECT_EQ(st.declaration["cadence"], (nlohmann::json{{"every", "1h"}, {"market_hours", false}}));
  st = Load("c3.lua", "return { name = 'c3', timeframe = '1d', universe = {'A'}, evaluate = function() end }");
  ASSERT_EQ(st.state, "running") << st.last_error;
  EXPECT_FALSE(st.declaration.contains("cadence"));
}

TEST_F(RuntimeTest, SyntaxAndRuntimeErrorsCarryFileAndLine) {
  auto st = Load("syntax.lua", "return {\n  name = 't',\n  timeframe = '1d' +,\n}\n");
  EXPECT_EQ(st.state, "failed");
  EXPECT_NE(st.last_error.find("syntax.lua:3:"), std::string::npos) << st.last_error;

  st = Load("t.lua", "return {\n name = 't', timeframe = '1d', universe = { type = 'equity' },\n"
                     " evaluate = function(ctx, symbol)\n  if symbol == 'SYMB' then\n"
                     "   error('boom on ' .. symbol)\n  end\n"
                     "  return { side = 'buy', confidence = 0.5, target = 1e6, stop = 1e-3, expiry = 1, summary = 'ok' }\n"
                     " end }\n");
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  EXPECT_EQ(r.intents.size(), 2u);  // SYMA and SYMC still emit
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].symbol, "SYMB");
  EXPECT_NE(r.errors[0].message.find("t.lua:5: boom on SYMB"), std::string::npos) << r.errors[0].message;
}

TEST_F(RuntimeTest, IndicatorMisuseIsAnError) {
  auto st = Load("t.lua", Strategy(R"(
    if symbol == "SYMA" then ctx.indicator("nope", {}) end
    if symbol == "SYMB" then ctx.indicator("rsi", { perod = 3 }) end
    if symbol == "SYMC" then ctx.indicator("rsi", { period = 0 }) end
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].message.find("t.lua:5: indicator 'nope' is not provided"), std::string::npos) << r.errors[0].message;
  EXPECT_NE(r.errors[1].message.find("unknown parameter 'perod' (parameters: period)"), std::string::npos) << r.errors[1].message;
  EXPECT_NE(r.errors[2].message.find("parameter 'period' = 0 breaks its rule"), std::string::npos) << r.errors[2].message;
}

TEST_F(RuntimeTest, IndicatorsAreComputedOncePerSeriesAndParamsPerBar) {
  auto st = Load("t.lua", Strategy(R"(
    local a = ctx.indicator("rsi", { period = 14 })
    local b = ctx.indicator("rsi", { period = 14 })
    local c = ctx.indicator("rsi", { period = 7 })
    local m = ctx.indicator("macd", { fast_period = 12, slow_period = 26, signal_period = 9 })
    if symbol ~= "SYMA" then return nil end
    return { side = "buy", confidence = 0.5, target = 1e6, stop = 1e-3, expiry = 1, summary = "c",
             features = { same = rawequal(a, b) and 1 or 0, other = rawequal(a, c) and 1 or 0,
                          hist = m.hist[-1], diff = m.macd[-1] - m.signal[-1] } }
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  ASSERT_EQ(r.intents.size(), 1u);
  EXPECT_EQ(r.intents[0].features["same"].get<int>(), 1);
  EXPECT_EQ(r.intents[0].features["other"].get<int>(), 0);
  EXPECT_NEAR(r.intents[0].features["hist"].get<double>(), r.intents[0].features["diff"].get<double>(), 1e-9);
}

TEST_F(RuntimeTest, StateParamsUniverseAndExtras) {
  RuntimeOptions o = Options(dir_);
  o.params = {{"t", {{"k", 7}}}};
  auto rt = StrategyRuntime::Create(o);
  ASSERT_TRUE(rt.ok());
  for (const auto& s : series_) ASSERT_TRUE((*rt)->UpdateSeries(s).ok());
  auto st = (*rt)->LoadFile(dir_.Write("t.lua", R"(
    return { name = "t", timeframe = "1d", universe = { "SYMA", "SYMC" },
      params = { k = { default = 1, min = 0, max = 10 } },
      evaluate = function(ctx, symbol)
        ctx.state.n = (ctx.state.n or 0) + 1
        local news = ctx.news(symbol)
        return { side = "buy", confidence = 0.5, target = 1e6, stop = 1e-3, expiry = 1, summary = "s",
                 features = { n = ctx.state.n, k = ctx.params.k, news = #news,
                              sev = news[1] and news[1].severity or -1,
                              sent = ctx.sentiment and ctx.sentiment.score or -1 } }
      end }
  )"), true);
  ASSERT_EQ(st.state, "running") << st.last_error;
  nlohmann::json extras = {{"SYMC", {{"news", {{{"severity", 0.9}, {"credibility", 0.8}}}},
                                     {"sentiment", {{"score", 0.3}}}}}};
  BarResult r1 = (*rt)->OnBarClose({market::Timeframe::k1d, 0, {}, extras});
  BarResult r2 = (*rt)->OnBarClose({market::Timeframe::k1d, 0, {}, {}});
  ASSERT_EQ(r1.intents.size(), 2u);  // SYMB is not in the universe
  ASSERT_EQ(r2.intents.size(), 2u);
  EXPECT_EQ(r1.intents[0].symbol, "SYMA");
  EXPECT_EQ(r1.intents[1].symbol, "SYMC");
  EXPECT_EQ(r1.intents[0].features["k"].get<int>(), 7);
  EXPECT_EQ(r1.intents[1].features["n"].get<int>(), 2);
  EXPECT_EQ(r2.intents[1].features["n"].get<int>(), 4);
  EXPECT_EQ(r1.intents[0].features["news"].get<int>(), 0);
  EXPECT_EQ(r1.intents[1].features["news"].get<int>(), 1);
  EXPECT_DOUBLE_EQ(r1.intents[1].features["sev"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(r1.intents[1].features["sent"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(r2.intents[1].features["sent"].get<double>(), -1);

  o.params = {{"t", {{"k", 11}}}};
  auto rt2 = StrategyRuntime::Create(o);
  ASSERT_TRUE(rt2.ok());
  auto bad = (*rt2)->LoadFile(dir_.scripts() + "/t.lua", true);
  EXPECT_EQ(bad.state, "failed");
  EXPECT_NE(bad.last_error.find("param 'k' = 11 is outside [0, 10]"), std::string::npos) << bad.last_error;
}

TEST_F(RuntimeTest, RankPicksAmongCandidates) {
  auto st = Load("t.lua", Strategy(R"(
    return { side = "buy", confidence = 0.5, target = 1e6, stop = 1e-3, expiry = 1, summary = symbol }
  )", R"(rank = function(ctx, cands)
        table.sort(cands, function(a, b) return a.symbol > b.symbol end)
        return { cands[1] }
      end,
  )"));
  ASSERT_EQ(st.state, "running") << st.last_error;
  BarResult r = Bar();
  ASSERT_EQ(r.intents.size(), 1u);
  EXPECT_EQ(r.intents[0].symbol, "SYMC");
}

}  // namespace
}  // namespace sf::lua
