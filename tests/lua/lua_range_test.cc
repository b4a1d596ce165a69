// Range mode (StrategyRuntime::EvaluateRange), the backtester's fast path:
// it must give exactly what per-bar UpdateSeries + OnBarClose gives (every
// intent field, features included) for the seed strategies on real S&P 500
// data and for strategies that keep state and read feature series; it must
// not look ahead; and its watchdog must still kill a runaway strategy.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "lua/range_wire.h"
#include "lua_test_util.h"

namespace sf::lua {
namespace {

using testing::kUnderAsan;
using testing::Options;
using testing::Sp500;
using testing::TempDir;
using testing::Walk;

// Keeps state across bars (and so across range chunks), reads a cumulative
// indicator (OBV: depends on where it starts), an EMA and the visible window.
const char* kStateful = R"(
return {
  name = "stateful", timeframe = "1d", universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local st = ctx.state
    st.count = st.count or {}
    st.ema = st.ema or {}
    local c = ctx.bars.close
    local n = (st.count[symbol] or 0) + 1
    st.count[symbol] = n
    local prev = st.ema[symbol]
    st.ema[symbol] = prev and (prev + 0.1 * (c[-1] - prev)) or c[-1]
    st.total = (st.total or 0) + 1
    if n % 23 ~= 0 then return nil end
    local obv = ctx.indicator("obv")[-1]
    local sma = ctx.indicator("sma", { period = 10 })
    local bb = ctx.indicator("bbands", { period = 20 })
    return { side = "buy", confidence = 0.6, target = c[-1] * 1.1, stop = c[-1] * 0.9,
             expiry = 3,
             -- Now and then bytes that are not UTF-8 (a lone 0xFF, a cut
             -- 3-byte sequence): both paths must clean them the same way.
             summary = symbol .. " #" .. n .. (n % 46 == 0 and " \255 \226\130x" or ""),
             features = { count = n, total = st.total, ema = st.ema[symbol], obv = obv,
                          sma = sma[-1], sma_first = sma[1] or -1, upper = bb.upper[-1],
                          n = #c, first = c[1], time = ctx.time } }
  end,
}
)";

// Reads feature series through ctx.features at each bar.
const char* kFeatures = R"(
return {
  name = "featured", timeframe = "1d", universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local f = ctx.features("regime_v1")
    if f == nil or f.vol_index == nil then return nil end
    local c = ctx.bars.close[-1]
    if f.vol_index < 0.8 then return nil end
    return { side = "sell", confidence = 0.55, target = c * 0.95, stop = c * 1.05, expiry = 2,
             summary = symbol .. " high vol",
             features = { vol_index = f.vol_index, trend = f.trend or -1 } }
  end,
}
)";

std::vector<FeatureSeries> RegimeSeries(const market::BarSeries& calendar) {
  FeatureSeries vol{"regime_v1", "vol_index", "", {}, {}};
  FeatureSeries tech{"regime_v1", "vol_index", "sector:Tech", {}, {}};
  FeatureSeries trend{"regime_v1", "trend", "symbol:AAPL", {}, {}};
  for (size_t i = 0; i < calendar.size(); i += 3) {
    // Points between bar times too: a bar sees the last point at or before it.
    const int64_t t = calendar.ts[i] - 3600LL * 1000000;
    vol.ts.push_back(t);
    vol.values.push_back(0.5 + 0.5 * std::sin(static_cast<double>(i) / 17.0));
    tech.ts.push_back(t);
    tech.values.push_back(0.5 + 0.5 * std::cos(static_cast<double>(i) / 11.0));
    trend.ts.push_back(t);
    trend.values.push_back(static_cast<double>(i % 7));
  }
  return {vol, tech, trend};
}

// The range reply's binary records: a round trip keeps every field, a
// buffer cut anywhere is refused (never read past its end), and strings are
// cleaned to UTF-8 the way the JSON replies clean them.
TEST(RangeWire, RoundTripsAndRefusesTruncatedBuffers) {
  BatchOutput b;
  WireIntent in;
  in.symbol = "BRK.B";
  in.buy = false;
  in.confidence = 0.75;
  in.entry = 101.5;
  in.target = 90.25;
  in.stop = 110.125;
  in.expiry_bars = 7;
  in.summary = "cross down";
  in.features = {{"rsi", 71.5}};
  b.intents.push_back(in);
  in.features = nullptr;
  in.buy = true;
  b.intents.push_back(in);
  b.rejected.emplace_back("AAPL", "field 'stop' is missing");
  b.errors.emplace_back("MSFT", "attempt to index a nil value");
  b.logs.push_back("hello");
  std::string wire;
  AppendRangeBar(42, b, &wire);
  AppendRangeBar(43, BatchOutput{{}, {}, {}, {"only a log"}}, &wire);
  std::vector<std::pair<int64_t, BatchOutput>> got;
  ASSERT_TRUE(ReadRangeBars(wire, [&](int64_t t, BatchOutput& o) { got.emplace_back(t, o); }).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 42);
  ASSERT_EQ(got[0].second.intents.size(), 2u);
  const WireIntent& a = got[0].second.intents[0];
  EXPECT_EQ(a.symbol, "BRK.B");
  EXPECT_FALSE(a.buy);
  EXPECT_EQ(a.confidence, 0.75);
  EXPECT_EQ(a.entry, 101.5);
  EXPECT_EQ(a.target, 90.25);
  EXPECT_EQ(a.stop, 110.125);
  EXPECT_EQ(a.expiry_bars, 7);
  EXPECT_EQ(a.summary, "cross down");
  EXPECT_EQ(a.features, (nlohmann::json{{"rsi", 71.5}}));
  EXPECT_TRUE(got[0].second.intents[1].buy);
  EXPECT_TRUE(got[0].second.intents[1].features.is_null());
  EXPECT_EQ(got[0].second.rejected, b.rejected);
  EXPECT_EQ(got[0].second.errors, b.errors);
  EXPECT_EQ(got[0].second.logs, b.logs);
  EXPECT_EQ(got[1].first, 43);
  EXPECT_EQ(got[1].second.logs, std::vector<std::string>{"only a log"});
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    const Status s = ReadRangeBars(std::string_view(wire).substr(0, cut), [](int64_t, BatchOutput&) {});
    // Cutting exactly between the two bars leaves one whole bar.
    if (cut == wire.size() - (8 + 16 + 4 + 10)) {
      EXPECT_TRUE(s.ok()) << cut;
      continue;
    }
    EXPECT_EQ(s.code(), SF_ERR_BAD_DATA) << "cut at " << cut;
  }
}

TEST(RangeWire, InvalidUtf8BecomesWhatTheJsonEncoderMakesOfIt) {
  for (std::string raw : {std::string("plain"), std::string("caf\xc3\xa9"), std::string("\xff"),
                          std::string("a \xe2\x82x b"), std::string("\xed\xa0\x80"),
                          std::string("\xf4\x90\x80\x80"), std::string("\xc0\xaf"),
                          std::string("end \xf0\x9f\x98")}) {
    const std::string json = nlohmann::json(raw).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
    EXPECT_EQ(ValidUtf8(raw), nlohmann::json::parse(json).get<std::string>()) << json;
  }
}

class RangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {"mean_reversion.lua", "momentum_swing.lua", "confluence.lua"})
      std::filesystem::copy_file(std::string(SF_SOURCE_DIR) + "/scripts/" + f,
                                 dir_.scripts() + "/" + f);
    dir_.Write("stateful.lua", kStateful);
    dir_.Write("featured.lua", kFeatures);
    const std::vector<std::string> syms = {"AAPL", "JPM", "BAC", "C", "AIG", "XOM", "GE", "F"};
    for (const auto& s : syms) series_.push_back(Sp500(s));
    // Different calendars: one symbol starts later, one has a hole.
    market::BarSeries late;
    late.symbol = "XOM";
    late.timeframe = market::Timeframe::k1d;
    const auto& x = series_[5];
    for (size_t i = 2000; i < x.size(); ++i)
      late.Append(x.ts[i], x.open[i], x.high[i], x.low[i], x.close[i], x.volume[i]);
    series_[5] = std::move(late);
    market::BarSeries holed;
    holed.symbol = "GE";
    holed.timeframe = market::Timeframe::k1d;
    const auto& g = series_[6];
    for (size_t i = 0; i < g.size(); ++i)
      if (i < 2100 || i > 2140)
        holed.Append(g.ts[i], g.open[i], g.high[i], g.low[i], g.close[i], g.volume[i]);
    series_[6] = std::move(holed);
    for (const auto& s : series_) {
      symbols_.push_back(s.symbol);
      capacity_ = std::max(capacity_, static_cast<int>(s.size()));
    }
    from_ = *ParseDateToCloseMicros("2007-01-01");
    to_ = *ParseDateToCloseMicros("2010-12-31");
  }

  std::unique_ptr<StrategyRuntime> Runtime(int64_t chunk_bars = 20000,
                                           const std::function<void(RuntimeOptions&)>& tweak = {}) {
    RuntimeOptions o = Options(dir_);
    o.history_bars = 300;
    o.series_capacity = capacity_;
    o.range_chunk_bars = chunk_bars;
    if (tweak) tweak(o);
    auto rt = StrategyRuntime::Create(o);
    EXPECT_TRUE(rt.ok()) << rt.status().ToString();
    for (const auto& s : symbols_)
      (*rt)->SetInstrument(s, {"equity", s == "AAPL" || s == "GE" ? "Tech" : "Other", ""});
    (*rt)->LoadAll();
    for (const auto& st : (*rt)->Statuses()) EXPECT_EQ(st.state, "running") << st.file << ": " << st.last_error;
    return std::move(*rt);
  }

  std::string File(const std::string& name) const { return dir_.scripts() + "/" + name; }

  // Per-bar reference: UpdateSeries(s, index_of(t) + 1) for the symbols
  // closing at t, then OnBarClose, for every t of the union calendar.
  std::map<std::string, std::vector<std::string>> PerBar(StrategyRuntime& rt, int64_t to) {
    std::map<std::string, std::vector<std::string>> out;  // strategy -> lines
    PerBarEach(rt, to, [&](int64_t, const BarResult& r) { Append(r, &out); });
    return out;
  }

  void PerBarEach(StrategyRuntime& rt, int64_t to,
                  const std::function<void(int64_t, const BarResult&)>& each) {
    std::set<int64_t> times;
    for (const auto& s : series_)
      for (int64_t t : s.ts)
        if (t >= from_ && t <= to) times.insert(t);
    for (int64_t t : times) {
      std::vector<std::string> closing;
      for (const auto& s : series_) {
        auto it = std::lower_bound(s.ts.begin(), s.ts.end(), t);
        if (it == s.ts.end() || *it != t) continue;
        EXPECT_TRUE(rt.UpdateSeries(s, it - s.ts.begin() + 1).ok());
        closing.push_back(s.symbol);
      }
      each(t, rt.OnBarClose({market::Timeframe::k1d, t, closing, {}}));
    }
  }

  static void Append(const BarResult& r, std::map<std::string, std::vector<std::string>>* out) {
    for (const Intent& i : r.intents) (*out)[i.strategy].push_back(i.ToJson().dump());
    for (const auto& p : r.rejected) (*out)[p.strategy].push_back("rejected " + p.symbol + ": " + p.message);
    for (const auto& p : r.errors) (*out)[p.strategy].push_back("error " + p.symbol + ": " + p.message);
  }

  StatusOr<std::vector<std::string>> Range(StrategyRuntime& rt, const std::string& file,
                                           const std::string& strategy, int64_t to,
                                           std::vector<FeatureSeries> features = {}) {
    for (const auto& s : series_)
      if (!rt.UpdateSeries(s).ok()) return Internal("UpdateSeries " + s.symbol);
    RangeRequest rq;
    rq.file = File(file);
    rq.symbols = symbols_;
    rq.from_ts = from_;
    rq.to_ts = to;
    rq.features = std::move(features);
    auto r = rt.EvaluateRange(rq);
    if (!r.ok()) return r.status();
    std::map<std::string, std::vector<std::string>> out;
    int64_t prev = INT64_MIN;
    for (const auto& [t, br] : r->bars) {
      EXPECT_GT(t, prev);
      prev = t;
      for (const Intent& i : br.intents) EXPECT_EQ(i.bar_ts, t);
      Append(br, &out);
    }
    last_evaluated_ = r->evaluated;
    return out[strategy];
  }

  TempDir dir_;
  std::vector<market::BarSeries> series_;
  std::vector<std::string> symbols_;
  int capacity_ = 0;
  int64_t from_ = 0, to_ = 0;
  int64_t last_evaluated_ = 0;
};

TEST_F(RangeTest, GivesExactlyWhatPerBarEvaluationGives) {
  auto live = Runtime();
  for (const auto& f : RegimeSeries(series_[0])) ASSERT_TRUE(live->SetFeatureSeries(f).ok());
  auto per_bar = PerBar(*live, to_);

  // Small chunks: state, indicator values and cursors must survive them.
  auto ranged = Runtime(/*chunk_bars=*/700);
  const std::pair<const char*, const char*> cases[] = {
      {"mean_reversion.lua", "mean_reversion"}, {"momentum_swing.lua", "momentum_swing"},
      {"confluence.lua", "confluence"}, {"stateful.lua", "stateful"}, {"featured.lua", "featured"}};
  int64_t symbol_bars = 0;
  for (const auto& s : series_)
    for (int64_t t : s.ts) symbol_bars += t >= from_ && t <= to_;
  for (const auto& [file, strategy] : cases) {
    SCOPED_TRACE(strategy);
    auto got = Range(*ranged, file, strategy, to_,
                     std::string(strategy) == "featured" ? RegimeSeries(series_[0])
                                                         : std::vector<FeatureSeries>{});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(last_evaluated_, symbol_bars);
    const auto& want = per_bar[strategy];
    EXPECT_GT(want.size(), 0u) << "the case must produce output to prove anything";
    ASSERT_EQ(got->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ((*got)[i], want[i]) << "item " << i;
    printf("%s: %zu identical outputs over %lld symbol-bars\n", strategy, want.size(),
           static_cast<long long>(symbol_bars));
  }
}

// Keeps per-symbol state only and declares it: a range may be split across
// workers. Now and then every symbol gives an intent at once (over the
// per-bar cap of 4 set below), an invalid one, log lines (at times over the
// 200 per bar) or an error.
const char* kIndependent = R"(
return {
  name = "independent", timeframe = "1d", universe = { type = "equity" }, independent = true,
  evaluate = function(ctx, symbol)
    local st = ctx.state
    local n = (st[symbol] or 0) + 1
    st[symbol] = n
    local c = ctx.bars.close[-1]
    local f = ctx.indicator("sma", { period = 10 })
    local s = ctx.indicator("sma", { period = 30 })
    if n % 97 == 0 then
      return { side = "buy", confidence = 2, target = c * 1.1, stop = c * 0.9, expiry = 5, summary = "bad" }
    end
    if n % 41 == 0 then print(symbol .. " at " .. n) end
    -- Now and then every symbol at once prints 30 lines: over the 200 per bar.
    if math.floor(ctx.time / 86400) % 97 == 5 then
      for i = 1, 30 do print(symbol .. " burst " .. i) end
    end
    if n % 53 == 0 then error("no luck at " .. n) end
    if n % 29 == 0 or f:crossed_above(s) then
      return { side = "buy", confidence = 0.7, target = c * 1.1, stop = c * 0.9, expiry = 5,
               summary = symbol .. " up " .. n, features = { n = n, fast = f[-1] } }
    elseif f:crossed_below(s) then
      return { side = "sell", confidence = 0.7, target = c * 0.9, stop = c * 1.1, expiry = 5,
               summary = symbol .. " down " .. n }
    end
  end,
}
)";

// One bar's output as text: intents in order; refusals, errors and logs as
// sets (split across workers, the same refusals may come in another order).
std::string BarText(const BarResult& r) {
  std::string out;
  for (const Intent& i : r.intents) out += i.ToJson().dump() + "\n";
  std::vector<std::string> rest;
  for (const auto& p : r.rejected) rest.push_back("rejected " + p.symbol + ": " + p.message);
  for (const auto& p : r.errors) rest.push_back("error " + p.symbol + ": " + p.message);
  for (const auto& l : r.logs) rest.push_back("log " + l);
  std::sort(rest.begin(), rest.end());
  for (const auto& l : rest) out += l + "\n";
  return out;
}

TEST_F(RangeTest, SplitAcrossWorkersGivesWhatOneWorkerGives) {
  dir_.Write("independent.lua", kIndependent);
  auto cap4 = [](RuntimeOptions& o) { o.max_intents_per_bar = 4; };
  auto live = Runtime(20000, cap4);
  std::map<int64_t, std::string> want;
  PerBarEach(*live, to_, [&](int64_t t, const BarResult& r) {
    BarResult mine;
    for (const auto& i : r.intents) if (i.strategy == "independent") mine.intents.push_back(i);
    for (const auto& p : r.rejected) if (p.strategy == "independent") mine.rejected.push_back(p);
    for (const auto& p : r.errors) if (p.strategy == "independent") mine.errors.push_back(p);
    for (const auto& l : r.logs) if (l.starts_with("independent: ")) mine.logs.push_back(l);
    const std::string text = BarText(mine);
    if (!text.empty()) want[t] = text;
  });
  size_t capped = 0, refused = 0;
  for (const auto& [t, text] : want) {
    capped += text.find("intents per strategy per bar") != std::string::npos;
    refused += text.find("field 'confidence'") != std::string::npos;
  }
  ASSERT_GT(capped, 0u) << "some bars must go over the per-bar cap to prove the merge keeps it";
  ASSERT_GT(refused, 0u);
  size_t failed = 0, logged = 0;
  for (const auto& [t, text] : want) {
    failed += text.find("no luck at") != std::string::npos;
    logged += text.find("log independent: ") != std::string::npos;
  }
  ASSERT_GT(failed, 0u);
  ASSERT_GT(logged, 0u);
  size_t full_of_logs = 0;  // bars at the cap of 200 log lines
  for (const auto& [t, text] : want) {
    size_t lines = 0;
    for (size_t at = text.find("log independent: "); at != std::string::npos;
         at = text.find("log independent: ", at + 1))
      ++lines;
    EXPECT_LE(lines, 200u);
    full_of_logs += lines == 200;
  }
  ASSERT_GT(full_of_logs, 0u) << "some bars must reach the log cap to prove the merge keeps it";

  // The last run leaves out each intent's version and file (what a backtest
  // asks for); filled back in, its output is the same.
  for (auto [workers, identity] : {std::pair{1, true}, {3, true}, {3, false}}) {
    SCOPED_TRACE(std::to_string(workers) + (identity ? " workers" : " workers, no identity"));
    auto split = Runtime(/*chunk_bars=*/700, [&](RuntimeOptions& o) {
      cap4(o);
      o.range_workers = workers;
      o.range_shard_min_bars = 0;
    });
    for (const auto& s : series_) ASSERT_TRUE(split->UpdateSeries(s).ok());
    RangeRequest rq;
    rq.file = File("independent.lua");
    rq.symbols = symbols_;
    rq.from_ts = from_;
    rq.to_ts = to_;
    rq.intent_identity = identity;
    auto r = split->EvaluateRange(rq);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->workers, workers);
    auto status = split->FindStatus(rq.file);
    ASSERT_TRUE(status.has_value());
    std::map<int64_t, std::string> got;
    for (auto& [t, br] : r->bars) {
      if (!identity)
        for (Intent& i : br.intents) {
          EXPECT_TRUE(i.version.empty() && i.file.empty()) << i.version << " " << i.file;
          i.version = status->version;
          i.file = rq.file;
        }
      got[t] = BarText(br);
    }
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [t, text] : want) ASSERT_EQ(got[t], text) << "bar " << t;
  }
}

TEST_F(RangeTest, IndependentIsCheckedInTheDeclaration) {
  dir_.Write("ranked.lua", R"(
return { name = "ranked", timeframe = "1d", universe = { type = "equity" }, independent = true,
  evaluate = function(ctx, symbol) end,
  rank = function(ctx, candidates) return candidates end })");
  dir_.Write("notbool.lua", R"(
return { name = "notbool", timeframe = "1d", universe = { type = "equity" }, independent = "yes",
  evaluate = function(ctx, symbol) end })");
  RuntimeOptions o = Options(dir_);
  o.series_capacity = capacity_;
  auto rt = StrategyRuntime::Create(o);
  ASSERT_TRUE(rt.ok());
  auto ranked = (*rt)->LoadFile(File("ranked.lua"), true);
  EXPECT_EQ(ranked.state, "failed");
  EXPECT_NE(ranked.last_error.find("'independent' cannot be true for a strategy with rank"),
            std::string::npos) << ranked.last_error;
  auto notbool = (*rt)->LoadFile(File("notbool.lua"), true);
  EXPECT_EQ(notbool.state, "failed");
  EXPECT_NE(notbool.last_error.find("'independent' must be true or false (got string)"),
            std::string::npos) << notbool.last_error;
}

TEST_F(RangeTest, DoesNotLookAhead) {
  // Truncate every series at a bar the range evaluates: outputs up to that
  // bar must not change (indicators in range mode are computed over the
  // whole stored series; values at t may only depend on bars up to t).
  const int64_t cut = *ParseDateToCloseMicros("2009-03-02");
  auto whole = Runtime();
  auto a = Range(*whole, "stateful.lua", "stateful", cut);
  auto b1 = Range(*whole, "mean_reversion.lua", "mean_reversion", cut);
  ASSERT_TRUE(a.ok() && b1.ok());
  for (auto& s : series_) {
    market::BarSeries t;
    t.symbol = s.symbol;
    t.timeframe = s.timeframe;
    for (size_t i = 0; i < s.size() && s.ts[i] <= cut; ++i)
      t.Append(s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    s = std::move(t);
  }
  auto truncated = Runtime();
  auto b = Range(*truncated, "stateful.lua", "stateful", cut);
  auto b2 = Range(*truncated, "mean_reversion.lua", "mean_reversion", cut);
  ASSERT_TRUE(b.ok() && b2.ok());
  ASSERT_GT(a->size(), 0u);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*b1, *b2);
}

// A strategy that loops forever on one symbol: killed within its chunk's
// budget + 100 ms, named, disabled, and no worker is left behind; with the
// symbols split across workers, also when the loop is in another worker.
TEST_F(RangeTest, RunawayStrategyIsKilledWithinItsChunkBudget) {
  for (const auto& [symbol, independent] : {std::pair<std::string, bool>{"JPM", false}, {"GE", true}}) {
    SCOPED_TRACE(symbol);
    dir_.Write("spin.lua", std::string(R"(
return { name = "spin", timeframe = "1d", universe = { type = "equity" }, independent = )") +
                               (independent ? "true" : "false") + R"(,
  evaluate = function(ctx, symbol)
    if ctx.time > 1230000000 and symbol == ")" + symbol + R"(" then while true do end end
  end })");
    RuntimeOptions o = Options(dir_);
    o.series_capacity = capacity_;
    o.eval_budget = std::chrono::milliseconds(300);
    o.range_chunk_bars = 1000;
    o.range_budget_per_bar = std::chrono::microseconds(100);
    o.range_workers = 2;
    o.range_shard_min_bars = 0;
    auto rt = StrategyRuntime::Create(o);
    ASSERT_TRUE(rt.ok());
    for (const auto& s : symbols_) (*rt)->SetInstrument(s, {"equity", "", ""});
    auto st = (*rt)->LoadFile(File("spin.lua"), true);
    ASSERT_EQ(st.state, "running") << st.last_error;
    for (const auto& s : series_) ASSERT_TRUE((*rt)->UpdateSeries(s).ok());
    RangeRequest rq;
    rq.file = File("spin.lua");
    rq.symbols = symbols_;
    rq.from_ts = *ParseDateToCloseMicros("2008-12-20");  // the loop starts in the first chunk
    rq.to_ts = to_;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = (*rt)->EvaluateRange(rq);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), SF_ERR_UNAVAILABLE);
    EXPECT_NE(r.status().message().find("exceeded its CPU budget of 400 ms"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("evaluate(ctx, \"" + symbol + "\")"), std::string::npos)
        << r.status().message();
    // The chunk's budget (300 ms + 1000 symbol-bars * 100 us) + 100 ms. The
    // time includes starting the second worker of the split (GE): an ASan
    // worker needs ~70 ms more just to start its runtime, then loads its
    // instrumented code and indicator plugin, so under ASan the slack is 300 ms.
    constexpr double kSlackMs = kUnderAsan ? 300 : 100;
    EXPECT_LT(ms, 400 + kSlackMs) << "killed after " << ms << " ms";
    auto now = (*rt)->FindStatus(File("spin.lua"));
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(now->state, "disabled");
    EXPECT_TRUE(testing::ChildPids().empty()) << "a worker was left behind";
  }
}

TEST_F(RangeTest, ReportsProgressAndStopsWhenCancelled) {
  auto rt = Runtime(/*chunk_bars=*/1000);
  for (const auto& s : series_) ASSERT_TRUE(rt->UpdateSeries(s).ok());
  std::vector<double> seen;
  std::atomic<bool> cancel{false};
  RangeRequest rq;
  rq.file = File("stateful.lua");
  rq.symbols = symbols_;
  rq.from_ts = from_;
  rq.to_ts = to_;
  rq.progress = [&](double p) { seen.push_back(p); };
  auto r = rt->EvaluateRange(rq);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(seen.size(), 3u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);

  seen.clear();
  rq.cancel = &cancel;
  rq.progress = [&](double p) {
    seen.push_back(p);
    if (seen.size() == 2) cancel = true;
  };
  auto c = rt->EvaluateRange(rq);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), SF_ERR_CANCELLED);
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(RangeTest, RefusesBadRequestsWithAReason) {
  auto rt = Runtime();
  for (const auto& s : series_) ASSERT_TRUE(rt->UpdateSeries(s).ok());
  RangeRequest rq;
  rq.file = File("nope.lua");
  rq.symbols = symbols_;
  auto r = rt->EvaluateRange(rq);
  EXPECT_EQ(r.status().code(), SF_ERR_NOT_FOUND);
  rq.file = File("stateful.lua");
  rq.symbols = {"AAPL", "NOSUCH"};
  r = rt->EvaluateRange(rq);
  EXPECT_EQ(r.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.status().message().find("NOSUCH"), std::string::npos) << r.status().message();
  rq.symbols = symbols_;
  rq.timeframe = market::Timeframe::k1h;
  r = rt->EvaluateRange(rq);
  EXPECT_EQ(r.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.status().message().find("declares timeframe 1d"), std::string::npos);

  // An arena too small for the whole series would silently change values.
  RuntimeOptions small = Options(dir_);
  small.series_capacity = 1000;
  auto rt2 = StrategyRuntime::Create(small);
  ASSERT_TRUE(rt2.ok());
  (*rt2)->SetInstrument("AAPL", {"equity", "", ""});
  ASSERT_EQ((*rt2)->LoadFile(File("stateful.lua"), true).state, "running");
  ASSERT_TRUE((*rt2)->UpdateSeries(series_[0]).ok());
  rq.timeframe = market::Timeframe::k1d;
  rq.symbols = {"AAPL"};
  r = (*rt2)->EvaluateRange(rq);
  EXPECT_EQ(r.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(r.status().message().find("keeps only the newest 1000 bars of AAPL"), std::string::npos)
      << r.status().message();
}

// Live feature series: scopes merge (symbol over sector over universe), the
// value is the last point at or before the bar, and extras fill the rest.
TEST(FeatureSeriesTest, LiveLookupMergesScopesAndExtras) {
  TempDir dir;
  auto rt = StrategyRuntime::Create(Options(dir));
  ASSERT_TRUE(rt.ok());
  std::vector<market::BarSeries> ss;
  for (const char* s : {"AAA", "BBB", "CCC"}) {
    ss.push_back(Walk(s, 50, static_cast<uint32_t>(ss.size() + 1)));
    ASSERT_TRUE((*rt)->UpdateSeries(ss.back()).ok());
  }
  (*rt)->SetInstrument("AAA", {"equity", "Tech", ""});
  (*rt)->SetInstrument("BBB", {"equity", "Tech", ""});
  (*rt)->SetInstrument("CCC", {"equity", "Energy", ""});
  const int64_t t = ss[0].ts.back();
  const int64_t day = 86400LL * 1000000;
  ASSERT_TRUE((*rt)->SetFeatureSeries({"regime_v1", "vol", "", {t - 2 * day, t + day}, {1, 99}}).ok());
  ASSERT_TRUE((*rt)->SetFeatureSeries({"regime_v1", "vol", "sector:Tech", {t - day}, {2}}).ok());
  ASSERT_TRUE((*rt)->SetFeatureSeries({"regime_v1", "vol", "symbol:BBB", {t}, {3}}).ok());
  auto bad = (*rt)->SetFeatureSeries({"regime_v1", "vol", "planet:Mars", {t}, {3}});
  EXPECT_EQ(bad.code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bad.message().find("scope 'planet:Mars'"), std::string::npos);
  EXPECT_EQ((*rt)->SetFeatureSeries({"regime_v1", "vol", "", {t, t - 1}, {1, 2}}).code(),
            SF_ERR_INVALID_ARGUMENT);
  // Loaded after the series were set: a new worker gets them too.
  auto st = (*rt)->LoadFile(dir.Write("f.lua", R"(
return { name = "f", timeframe = "1d", universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local f = ctx.features("regime_v1")
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.5, target = c * 2, stop = c / 2, expiry = 1,
             summary = symbol, features = { vol = f and f.vol or -1, extra = f and f.extra or -1,
                                            none = ctx.features("nothing") == nil } }
  end })"), true);
  ASSERT_EQ(st.state, "running") << st.last_error;
  nlohmann::json extras = {{"CCC", {{"features", {{"regime_v1", {{"extra", 7}, {"vol", 50}}}}}}}};
  BarResult r = (*rt)->OnBarClose({market::Timeframe::k1d, t, {}, extras});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].message;
  std::map<std::string, nlohmann::json> f;
  for (const auto& i : r.intents) f[i.symbol] = i.features;
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f["AAA"]["vol"], 2);   // sector point at t - 1 day
  EXPECT_EQ(f["BBB"]["vol"], 3);   // its own point at t
  EXPECT_EQ(f["CCC"]["vol"], 1);   // universe point at t - 2 days; the one at t + 1 day is future
  EXPECT_EQ(f["CCC"]["extra"], 7); // from extras, which the series do not have
  EXPECT_EQ(f["AAA"]["extra"], -1);
  EXPECT_EQ(f["AAA"]["none"], 1);
  // Removing the symbol series falls back to the sector.
  ASSERT_TRUE((*rt)->SetFeatureSeries({"regime_v1", "vol", "symbol:BBB", {}, {}}).ok());
  r = (*rt)->OnBarClose({market::Timeframe::k1d, t, {"BBB"}, {}});
  ASSERT_EQ(r.intents.size(), 1u);
  EXPECT_EQ(r.intents[0].features["vol"], 2);
}

}  // namespace
}  // namespace sf::lua
