// The live engine against a real PostgreSQL (throwaway cluster), real Lua
// strategies in real worker processes and the real indicator plugin: a bar
// becomes a signal with its outbox row, re-runs never duplicate, refusals
// are recorded with their rule, open signals close on the bar that hits
// their level (gaps at the open), expire, close on an opposite signal,
// survive a restart, and paper portfolios follow them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <future>
#include <set>
#include <thread>

#include "app/engine_regime.h"
#include "app/feature_sets.h"
#include "engine/leader.h"
#include "engine/live_engine.h"
#include "engine/scheduler.h"
#include "market/calendar.h"
#include "engine_test_util.h"
#include "store/claims_repository.h"
#include "store/listener.h"
#include "store/paper_repository.h"
#include "store/performance_queries_repository.h"
#include "store/rejections_repository.h"
#include "store/signals_repository.h"

namespace sf::engine::test {
namespace {

// Volume markers on the closing bar decide what the strategy asks for, so
// every test controls its intents through the bars alone.
constexpr const char* kMarkerStrategy = R"(
return {
  name = "marker",
  timeframe = "1d",
  universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local b = ctx.bars
    local v, c = b.volume[-1], b.close[-1]
    if v == 777 or v == 778 then
      return { side = "buy", confidence = (v == 777) and 0.9 or 0.8, entry = c, target = c * 1.10,
               stop = c * 0.95, expiry = 3, summary = "marker buy " .. symbol }
    elseif v == 555 then
      return { side = "buy", confidence = 0.5, entry = c, target = c * 1.10, stop = c * 0.95,
               expiry = 3, summary = "weak" }
    elseif v == 888 then
      return { side = "sell", confidence = 0.9, entry = c, target = c * 0.88, stop = c * 1.05,
               expiry = 3, summary = "marker sell " .. symbol }
    elseif v == 999 then
      return { side = "hold", confidence = 0.9, entry = c, target = c, stop = c, expiry = 3, summary = "bad" }
    end
  end,
}
)";

class EngineLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = sf::testing::PgCluster::Shared().CreateMigratedDatabase("eng");
    pool_ = MakePool(conninfo_);
    ASSERT_NE(pool_, nullptr);
    SeedStore(pool_.get(), {{"SYMA", "Technology"}, {"SYMB", "Health Care"}, {"SYMC", "Energy"}}, 40);
    marker_path_ = dir_.Write("scripts/marker.lua", kMarkerStrategy);
    auto rt = lua::StrategyRuntime::Create(RuntimeFor(dir_));
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    rt_ = std::move(*rt);
    rt_->LoadAll();
    auto st = rt_->FindStatus(marker_path_);
    ASSERT_TRUE(st && st->state == "running") << (st ? st->last_error : "no status");
  }

  std::unique_ptr<LiveEngine> Engine(const std::string& instance = "test-a", RiskLimits risk = {}) {
    LiveEngineOptions o;
    o.pool = pool_.get();
    o.runtime = rt_.get();
    o.instance = instance;
    o.risk = risk;
    auto e = LiveEngine::Create(o);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }

  // One day's bars for all three symbols; `special` overrides SYMA's.
  CycleReport Day(LiveEngine& e, int day, std::vector<market::CompletedBar> bars) {
    for (const auto& sym : {"SYMA", "SYMB", "SYMC"}) {
      bool given = false;
      for (const auto& b : bars) given = given || b.symbol == sym;
      if (!given) bars.push_back(Bar(sym, day, 100, 100.5, 99.5, 100.2));
    }
    for (const auto& b : bars) e.OnBar(b);
    auto reports = e.ProcessPending(true);
    EXPECT_EQ(reports.size(), 1u);
    return reports.empty() ? CycleReport{} : reports[0];
  }

  int64_t Count(const std::string& sql) { return QueryInt(*pool_, sql); }
  std::string Text(const std::string& sql) { return QueryText(*pool_, sql); }

  ScratchDir dir_;
  std::string conninfo_, marker_path_;
  std::unique_ptr<store::Pool> pool_;
  std::unique_ptr<lua::StrategyRuntime> rt_;
};

TEST_F(EngineLiveTest, BarClosePersistsSignalWithOutboxRowAndStrategyVersion) {
  auto e = Engine();
  CycleReport r = Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)});
  EXPECT_TRUE(r.leader);
  EXPECT_FALSE(r.complete) << "the first bar has no known universe yet";
  EXPECT_EQ(r.evaluated, 3);
  EXPECT_EQ(r.intents, 1);
  EXPECT_EQ(r.signals_created, 1);
  EXPECT_EQ(r.errors, 0);
  ASSERT_EQ(Count("SELECT count(*) FROM signals"), 1);
  EXPECT_EQ(Text("SELECT i.symbol || ' ' || s.side || ' ' || s.status FROM signals s"
                 " JOIN instruments i ON i.id = s.instrument_id"),
            "SYMA buy active");
  // The signal is stamped with the bar that produced it, and sized by risk.
  EXPECT_EQ(Count("SELECT (extract(epoch FROM bar_ts) * 1000000)::bigint FROM signals"), BarEnd(40));
  EXPECT_EQ(Count("SELECT (extract(epoch FROM expires_at) * 1000000)::bigint FROM signals"), BarEnd(40) + 3 * kDayUs);
  EXPECT_EQ(Text("SELECT entry_price::text || '/' || target_price::text || '/' || stop_price::text FROM signals"),
            "100/110.00000000000001/95");
  EXPECT_EQ(Text("SELECT position_size_pct::text FROM signals"), "20") << "2% risk / 5% stop = 40%, capped at 20%";
  // Outbox row in the same transaction, pointing at the signal.
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries d JOIN signals s ON s.id = d.signal_id"
                  " WHERE d.channel = 'log' AND d.payload->>'signal_id' = s.id::text"),
            1);
  // The version that produced it is the file's content hash.
  auto src = rt_->FindStatus(marker_path_);
  EXPECT_EQ(Text("SELECT v.content_hash FROM signals s JOIN strategy_versions v ON v.id = s.strategy_version_id"),
            src->version);
  EXPECT_EQ(Text("SELECT name FROM strategies"), "marker");
  // Claims: every (strategy, symbol) of the bar done by this instance.
  // One claim set per strategy and bar, naming its instruments.
  EXPECT_EQ(Count("SELECT sum(cardinality(instrument_ids)) FROM evaluation_claim_sets WHERE claimed_by = 'test-a'"),
            3);
  EXPECT_EQ(Count("SELECT count(*) FROM evaluation_claims"), 0) << "no row per (strategy, symbol) on the leader path";
  // The next bar closes as soon as the known universe delivered it.
  EXPECT_TRUE(Day(*e, 41, {}).complete);
}

TEST_F(EngineLiveTest, RerunningABarNeverDuplicatesSignalsOrOutboxRows) {
  {
    auto e = Engine();
    ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  }
  // A restarted engine sees the bar again: the claims say it is done.
  {
    auto e = Engine("test-b");
    CycleReport r = Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)});
    EXPECT_EQ(r.evaluated, 0);
    EXPECT_EQ(r.signals_created, 0);
  }
  // Even when the claims are lost (a crash between the signal's commit and
  // the claim's), the store's unique key stops a second signal.
  ASSERT_EQ(Count("WITH d AS (DELETE FROM evaluation_claim_sets RETURNING cardinality(instrument_ids) AS n)"
                  " SELECT sum(n) FROM d"),
            3);
  {
    auto e = Engine("test-c");
    CycleReport r = Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)});
    EXPECT_EQ(r.evaluated, 3);
    EXPECT_EQ(r.intents, 1);
    EXPECT_EQ(r.signals_created, 0);
    EXPECT_EQ(r.duplicates + r.rejected, 1) << "either the existing signal or the open position answers";
  }
  EXPECT_EQ(Count("SELECT count(*) FROM signals"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), 1);
}

TEST_F(EngineLiveTest, RiskRefusalsAndInvalidIntentsAreRecordedWithTheirRule) {
  RiskLimits limits;
  limits.max_positions = 1;
  auto e = Engine("test-a", limits);
  CycleReport r = Day(*e, 40,
                      {Bar("SYMA", 40, 99, 101, 98, 100, 777), Bar("SYMB", 40, 99, 101, 98, 100, 778),
                       Bar("SYMC", 40, 99, 101, 98, 100, 555)});
  EXPECT_EQ(r.signals_created, 1);
  EXPECT_EQ(r.rejected, 2);
  EXPECT_EQ(Text("SELECT i.symbol FROM signals s JOIN instruments i ON i.id = s.instrument_id"), "SYMA")
      << "the most confident intent takes the only slot";
  auto rej = store::RejectionsRepository(pool_.get()).ListRecent(10, "marker");
  ASSERT_TRUE(rej.ok()) << rej.status().ToString();
  ASSERT_EQ(rej->size(), 2u);
  std::map<std::string, std::string> rule_of;
  for (const auto& x : *rej) rule_of[x.symbol] = x.rule;
  EXPECT_EQ(rule_of["SYMB"], "max_positions");
  EXPECT_EQ(rule_of["SYMC"], "min_confidence");
  for (const auto& x : *rej) {
    EXPECT_EQ(x.bar_ts, BarEnd(40));
    EXPECT_FALSE(x.detail.value("reason", std::string()).empty()) << x.detail.dump();
  }
  // A malformed intent is refused by validation and recorded too.
  CycleReport r2 = Day(*e, 41, {Bar("SYMB", 41, 99, 101, 98, 100, 999)});
  EXPECT_EQ(r2.rejected, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM signal_rejections WHERE rule = 'invalid_intent'"), 1);
}

TEST_F(EngineLiveTest, TargetHitClosesAtTargetWithTheBarsTimeAndSnapshots) {
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  CycleReport quiet = Day(*e, 41, {Bar("SYMA", 41, 100, 104, 99, 103)});
  EXPECT_EQ(quiet.closed, 0);
  CycleReport hit = Day(*e, 42, {Bar("SYMA", 42, 103, 111, 102, 108)});
  EXPECT_EQ(hit.closed, 1);
  EXPECT_EQ(Text("SELECT status || ' ' || exit_reason FROM signals"), "target_reached target");
  EXPECT_NEAR(std::stod(Text("SELECT exit_price::text FROM signals")), 110.0, 1e-9);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM exit_at) * 1000000)::bigint FROM signals"), BarEnd(42));
  EXPECT_NEAR(std::stod(Text("SELECT realized_pnl_pct::text FROM signals")), 10.0, 1e-9);
  EXPECT_NEAR(std::stod(Text("SELECT max_adverse_excursion_pct::text FROM signals")), -1.0, 1e-9)
      << "day 41's low of 99";
  // A snapshot per bar while open, plus the closing bar's.
  EXPECT_EQ(Count("SELECT count(*) FROM signal_performance"), 2);
  EXPECT_EQ(Count("SELECT (price * 100)::bigint FROM signal_performance ORDER BY bar_ts LIMIT 1"), 10300);
  // Statistics of the strategy were persisted for the API.
  auto perf = store::PerformanceQueriesRepository(pool_.get()).StrategyPerformanceJson("marker", "all");
  ASSERT_TRUE(perf.ok()) << perf.status().ToString();
  ASSERT_TRUE((*perf)["stats"].is_object()) << perf->dump();
  EXPECT_EQ((*perf)["stats"]["count"], 1);
  EXPECT_EQ((*perf)["stats"]["wins"], 1);
  EXPECT_NEAR((*perf)["stats"]["avg_return_pct"].get<double>(), 10.0, 1e-9);
  ASSERT_FALSE((*perf)["stats"]["daily"].empty());
  EXPECT_EQ((*perf)["stats"]["daily"].back()["trades_closed"], 1);
  EXPECT_EQ((*perf)["stats"]["daily"].back()["date"], "2020-03-21");
  EXPECT_EQ(e->Health()["signals_closed"], 1);
}

// Signal updates reach the stream: every close (target here, opposite
// below) NOTIFYs kSignalsChannel with the signal id in the close's own
// transaction, heard by a real LISTEN connection; when it arrives the row
// already reads closed. Live bar writes NOTIFY kBarsChannel "SYMBOL|tf".
TEST_F(EngineLiveTest, ClosesAndLiveBarsNotifyListenersAsTheyCommit) {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> heard;  // (channel, payload)
  std::map<std::string, std::string> status_when_heard;    // signal id -> status read in the callback
  store::Listener listener(conninfo_, {store::kSignalsChannel, store::kBarsChannel},
                           [&](const store::Notification& n) {
                             if (n.reconnected) return;
                             std::string status;
                             if (n.channel == store::kSignalsChannel)
                               status = QueryText(*pool_, "SELECT status FROM signals WHERE id = $1::uuid",
                                                  store::Params().Add(n.payload));
                             std::lock_guard<std::mutex> l(mu);
                             heard.push_back({n.channel, n.payload});
                             if (!status.empty()) status_when_heard[n.payload] = status;
                           });
  ASSERT_TRUE(listener.Start().ok());
  auto count = [&](const std::string& channel, const std::string& payload) {
    std::lock_guard<std::mutex> l(mu);
    return std::count(heard.begin(), heard.end(), std::make_pair(channel, payload));
  };
  auto wait_for = [&](const std::string& channel, const std::string& payload, long n) {
    for (int i = 0; i < 100 && count(channel, payload) < n; ++i) listener.WaitForNotification(listener.generation(), std::chrono::milliseconds(50));
    return count(channel, payload);
  };
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777), Bar("SYMB", 40, 99, 101, 98, 100, 778)})
                .signals_created,
            2);
  const std::string a = Text("SELECT s.id::text FROM signals s JOIN instruments i ON i.id = s.instrument_id"
                             " WHERE i.symbol = 'SYMA'");
  const std::string b = Text("SELECT s.id::text FROM signals s JOIN instruments i ON i.id = s.instrument_id"
                             " WHERE i.symbol = 'SYMB'");
  EXPECT_EQ(wait_for(store::kSignalsChannel, a, 1), 1) << "the new signal";
  // SYMA reaches its target; SYMB gets an opposite (sell) signal.
  CycleReport r = Day(*e, 41, {Bar("SYMA", 41, 103, 111, 102, 108), Bar("SYMB", 41, 100, 102.5, 99.5, 102, 888)});
  EXPECT_EQ(r.closed, 2);
  EXPECT_EQ(wait_for(store::kSignalsChannel, a, 2), 2) << "target close of " << a;
  EXPECT_EQ(wait_for(store::kSignalsChannel, b, 2), 2) << "opposite close of " << b;
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(status_when_heard[a], "target_reached") << "the NOTIFY came with the committed close";
    EXPECT_EQ(status_when_heard[b], "manually_closed");
  }
  // A quiet bar with open signals writes snapshots only: no signal NOTIFY.
  const auto before = count(store::kSignalsChannel, a) + count(store::kSignalsChannel, b);
  Day(*e, 42, {});
  EXPECT_EQ(count(store::kSignalsChannel, a) + count(store::kSignalsChannel, b), before);

  // Live bars: one NOTIFY per series write that stored something new.
  store::BarsRepository bars(pool_.get());
  store::BarBatch batch;
  batch.symbol = "SYMC";
  batch.source = "test";
  batch.ts_start = {BarEnd(50) - 23400LL * 1000000};
  batch.ts_end = {BarEnd(50)};
  batch.open = {100};
  batch.high = {101};
  batch.low = {99};
  batch.close = {100.5};
  batch.volume = {1000};
  store::IngestOptions notify;
  notify.notify = true;
  ASSERT_TRUE(bars.Ingest(batch, notify).ok());
  EXPECT_EQ(wait_for(store::kBarsChannel, "SYMC|1d", 1), 1);
  ASSERT_TRUE(bars.Ingest(batch, notify).ok());  // identical: nothing stored, nothing announced
  batch.close = {100.7};
  ASSERT_TRUE(bars.Ingest(batch).ok());  // a revision without notify (history loads)
  batch.close = {100.9};
  ASSERT_TRUE(bars.Ingest(batch, notify).ok());  // a revision of a live bar
  EXPECT_EQ(wait_for(store::kBarsChannel, "SYMC|1d", 2), 2);
  listener.WaitForNotification(listener.generation(), std::chrono::milliseconds(200));
  EXPECT_EQ(count(store::kBarsChannel, "SYMC|1d"), 2);
}

// Cadence: a strategy configured "every 15 min during market hours" also
// runs on the clock (here a clock the test controls, with the real NYSE
// calendar): once per tick, only while the market is open, its signal
// stamped with the tick's time.
TEST_F(EngineLiveTest, CadenceEvaluatesOnTheClockOnlyDuringMarketHours) {
  dir_.Write("scripts/ticker.lua", R"(
return {
  name = "ticker",
  timeframe = "1d",
  universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    -- Bar closes are at 21:00 UTC here: signal only when run between them.
    if symbol ~= "SYMA" or math.floor(ctx.time) % 86400 == 75600 then return nil end
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.9, entry = c, target = c * 1.10, stop = c * 0.95, expiry = 3,
             summary = "tick" }
  end,
}
)");
  // No cadence: runs at bar closes only. It counts its evaluations and buys
  // SYMB at its second one, so a tick that ran it would move that signal.
  dir_.Write("scripts/counter.lua", R"(
return {
  name = "counter",
  timeframe = "1d",
  universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local n = (ctx.state[symbol] or 0) + 1
    ctx.state[symbol] = n
    if symbol ~= "SYMB" or n ~= 2 then return nil end
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.9, entry = c, target = c * 1.10, stop = c * 0.95, expiry = 3,
             summary = "second evaluation" }
  end,
}
)");
  rt_->LoadAll();
  auto calendars = market::CalendarSet::LoadDirectory(std::string(SF_SOURCE_DIR) + "/config/calendars");
  ASSERT_TRUE(calendars.ok()) << calendars.status().ToString();
  auto nyse = calendars->Find("nyse");
  ASSERT_NE(nyse, nullptr);
  int64_t now = BarEnd(40) + 5 * 60'000'000LL;  // Thu 2020-03-19 21:05 UTC, after the close
  LiveEngineOptions o;
  o.pool = pool_.get();
  o.runtime = rt_.get();
  o.instance = "cadence";
  o.cadence = {{"ticker", "every 15 min during market hours"}};
  o.market_open = [nyse](int64_t ts) { return nyse->IsOpen(ts); };
  o.clock = [&now] { return now; };
  auto e = LiveEngine::Create(o);
  ASSERT_TRUE(e.ok());
  CycleReport close = Day(**e, 40, {});
  EXPECT_FALSE(close.cadence);
  EXPECT_EQ(close.signals_created, 0) << "at the bar close the ticker stays quiet";

  now = BarEnd(40) + 2 * 3600'000'000LL;  // 23:00 UTC: closed
  EXPECT_TRUE((*e)->ProcessPending().empty());
  const int64_t open_tick = BarEnd(41) - (6 * 3600LL + 15 * 60) * 1000000;  // Fri 14:45 UTC = 10:45 New York
  now = open_tick + 2 * 60'000'000LL;
  auto ticks = (*e)->ProcessPending();
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_TRUE(ticks[0].cadence);
  EXPECT_EQ(ticks[0].bar_ts, open_tick);
  EXPECT_EQ(ticks[0].evaluated, 3);
  EXPECT_EQ(ticks[0].signals_created, 1);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM bar_ts) * 1000000)::bigint FROM signals"), open_tick);
  EXPECT_TRUE((*e)->ProcessPending().empty()) << "a tick runs once";
  now = open_tick + 15 * 60'000'000LL;
  ticks = (*e)->ProcessPending();
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0].bar_ts, open_tick + 15 * 60'000'000LL);
  EXPECT_EQ(ticks[0].signals_created, 0) << "the position is open already";
  EXPECT_EQ(ticks[0].rejected, 1);
  now = open_tick + 24 * 3600'000'000LL;  // Saturday
  EXPECT_TRUE((*e)->ProcessPending().empty());
  EXPECT_EQ(Count("SELECT count(*) FROM signals"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM signals s JOIN strategies st ON st.id = s.strategy_id"
                  " WHERE st.name = 'counter'"), 0) << "the ticks did not run counter";

  // Friday's bar close: counter's second evaluation.
  CycleReport next = Day(**e, 41, {});
  EXPECT_FALSE(next.cadence);
  EXPECT_EQ(Count("SELECT count(*) FROM signals s JOIN strategies st ON st.id = s.strategy_id"
                  " WHERE st.name = 'counter' AND s.summary = 'second evaluation'"), 1);
}

TEST(EngineCadence, ParsesIntervalsAndRefusesBadSpecsNamingThem) {
  auto c = ParseCadence("every 15 min during market hours", "x");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->every_us, 15 * 60'000'000LL);
  EXPECT_TRUE(c->market_hours);
  c = ParseCadence("1h", "x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->every_us, 3600'000'000LL);
  c = ParseCadence("every 2 hours always", "x");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->market_hours);
  c = ParseCadence({{"every", "30m"}, {"market_hours", false}}, "x");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->every_us, 30 * 60'000'000LL);
  EXPECT_FALSE(c->market_hours);
  for (const nlohmann::json& bad : {nlohmann::json("0m"), nlohmann::json("15x"), nlohmann::json(15),
                                    nlohmann::json("2d"), nlohmann::json({{"every", "15m"}, {"at", 1}})}) {
    auto r = ParseCadence(bad, "engine.cadence.momentum");
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_NE(r.status().message().find("engine.cadence.momentum"), std::string::npos) << r.status().message();
  }
  // Ticks fall on multiples of the interval; each is handed out once.
  CadenceClock clock;
  const int64_t t0 = 1'600'000'200'000'000LL;  // a multiple of 15 minutes
  clock.Set("s", *ParseCadence("15m always", "x"), t0 + 1);
  EXPECT_TRUE(clock.TakeDue(t0 + 60'000'000LL, nullptr).empty()) << "the running tick has started already";
  auto due = clock.TakeDue(t0 + 15 * 60'000'000LL + 5, nullptr);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].second, t0 + 15 * 60'000'000LL);
  EXPECT_TRUE(clock.TakeDue(t0 + 16 * 60'000'000LL, nullptr).empty());
}

TEST_F(EngineLiveTest, GapThroughTheStopFillsAtTheOpen) {
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  CycleReport gap = Day(*e, 41, {Bar("SYMA", 41, 90, 92, 89, 91)});
  EXPECT_EQ(gap.closed, 1);
  EXPECT_EQ(Text("SELECT status || ' ' || exit_reason FROM signals"), "stopped_out stop_gap");
  EXPECT_NEAR(std::stod(Text("SELECT exit_price::text FROM signals")), 90.0, 1e-9) << "the open, not the stop (95)";
  EXPECT_NEAR(std::stod(Text("SELECT realized_pnl_pct::text FROM signals")), -10.0, 1e-9);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM exit_at) * 1000000)::bigint FROM signals"), BarEnd(41));
}

TEST_F(EngineLiveTest, ExpiryClosesAtTheCloseOfTheBarReachingIt) {
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  EXPECT_EQ(Day(*e, 41, {}).closed, 0);
  EXPECT_EQ(Day(*e, 42, {}).closed, 0);
  EXPECT_EQ(Day(*e, 43, {Bar("SYMA", 43, 100, 101, 99, 100.7)}).closed, 1);
  EXPECT_EQ(Text("SELECT status FROM signals"), "expired");
  EXPECT_NEAR(std::stod(Text("SELECT exit_price::text FROM signals")), 100.7, 1e-9);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM exit_at) * 1000000)::bigint FROM signals"), BarEnd(43));
}

TEST_F(EngineLiveTest, OppositeSignalClosesTheOpenOne) {
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  CycleReport r = Day(*e, 41, {Bar("SYMA", 41, 100, 102.5, 99.5, 102, 888)});
  EXPECT_EQ(r.closed, 1);
  EXPECT_EQ(r.signals_created, 1);
  EXPECT_EQ(Text("SELECT status || ' ' || exit_reason FROM signals WHERE side = 'buy'"),
            "manually_closed opposite_signal");
  EXPECT_NEAR(std::stod(Text("SELECT exit_price::text FROM signals WHERE side = 'buy'")), 102.0, 1e-9);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM exit_at) * 1000000)::bigint FROM signals WHERE side = 'buy'"),
            BarEnd(41));
  EXPECT_EQ(Text("SELECT status FROM signals WHERE side = 'sell'"), "active");
}

TEST_F(EngineLiveTest, RestartRecoveryStampsOutcomesWithTheBarThatCausedThem) {
  {
    auto e = Engine();
    ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  }  // the host goes away; bars keep arriving in the store meanwhile
  store::BarBatch b;
  b.symbol = "SYMA";
  b.source = "test";
  for (int d : {40, 41, 42, 43}) {
    const bool stop_day = d == 42;
    b.ts_end.push_back(BarEnd(d));
    b.ts_start.push_back(BarEnd(d) - 23400LL * 1000000);
    b.open.push_back(stop_day ? 99 : 100);
    b.high.push_back(stop_day ? 99.5 : 101);
    b.low.push_back(stop_day ? 94 : 99);
    b.close.push_back(stop_day ? 94.5 : 100);
    b.volume.push_back(1000);
  }
  ASSERT_TRUE(store::BarsRepository(pool_.get()).Ingest(b).ok());
  auto e = Engine("restarted");
  ASSERT_TRUE(e->Recover().ok());
  EXPECT_EQ(Text("SELECT status || ' ' || exit_reason FROM signals"), "stopped_out stop");
  EXPECT_NEAR(std::stod(Text("SELECT exit_price::text FROM signals")), 95.0, 1e-9);
  EXPECT_EQ(Count("SELECT (extract(epoch FROM exit_at) * 1000000)::bigint FROM signals"), BarEnd(42))
      << "stamped with the stop bar, not the restart";
  EXPECT_EQ(Count("SELECT count(*) FROM signal_performance"), 2) << "day 41 open, day 42 close";
  EXPECT_TRUE(e->monitor().active().empty());
}

TEST_F(EngineLiveTest, PaperPortfolioFollowsSignalsWithFillsFeesAndSnapshots) {
  store::PaperRepository paper(pool_.get());
  auto pid = paper.CreatePortfolio("follow-all", 100000, {{"slippage_bps", 10}, {"fee_per_trade", 1}});
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  auto none = paper.CreatePortfolio("only-momentum", 50000, {{"strategies", {"momentum_swing"}}});
  ASSERT_TRUE(none.ok());
  auto e = Engine();
  ASSERT_EQ(Day(*e, 40, {Bar("SYMA", 40, 99, 101, 98, 100, 777)}).signals_created, 1);
  auto pos = paper.Positions(*pid);
  ASSERT_TRUE(pos.ok());
  ASSERT_EQ(pos->size(), 1u);
  const double fill = 100 * 1.001;
  const double qty = 100000 * 0.20 / fill;
  EXPECT_NEAR((*pos)[0].quantity, qty, 1e-9);
  EXPECT_NEAR((*pos)[0].avg_price, fill, 1e-9);
  EXPECT_TRUE(paper.Positions(*none)->empty()) << "its filter names another strategy";
  auto p = paper.Find(*pid);
  EXPECT_NEAR(p->cash, 100000 - qty * fill - 1, 1e-6);

  ASSERT_EQ(Day(*e, 41, {Bar("SYMA", 41, 103, 111, 102, 108)}).closed, 1);
  EXPECT_TRUE(paper.Positions(*pid)->empty());
  auto trades = paper.Trades(*pid);
  ASSERT_EQ(trades->size(), 2u);
  EXPECT_EQ((*trades)[1].side, "sell");
  const double exit_fill = 110.00000000000001 * 0.999;
  EXPECT_NEAR((*trades)[1].price, exit_fill, 1e-9);
  EXPECT_EQ((*trades)[1].executed_at, BarEnd(41));
  const double cash = 100000 - qty * fill - 1 + qty * exit_fill - 1;
  EXPECT_NEAR(paper.Find(*pid)->cash, cash, 1e-6);
  auto snaps = paper.Snapshots(*pid);
  ASSERT_EQ(snaps->size(), 2u);
  EXPECT_NEAR((*snaps)[0].equity, 100000 - qty * fill - 1 + qty * 100, 1e-6) << "marked at the close";
  EXPECT_EQ((*snaps)[0].positions, 1);
  EXPECT_NEAR((*snaps)[1].equity, cash, 1e-6);
  EXPECT_NEAR(*paper.Find(*pid)->peak_equity, std::max(100000.0, cash), 1e-6);
}

TEST(EngineClaims, SkipLockedKeepsTwoInstancesOffTheSameWork) {
  auto pool = MakePool(sf::testing::PgCluster::Shared().CreateMigratedDatabase("claims"));
  SeedStore(pool.get(), {{"AAA", "X"}, {"BBB", "Y"}}, 2);
  auto v = store::StrategiesRepository(pool.get()).EnsureVersion("s1", "0123456789abcdef", "src");
  ASSERT_TRUE(v.ok());
  store::ClaimsRepository claims(pool.get());
  const int64_t bar = BarEnd(5);
  ASSERT_TRUE(claims.Offer({v->strategy_id}, {"AAA", "BBB", "UNKNOWN"}, market::Timeframe::k1d, bar, "a").ok());
  auto a = claims.ClaimPending(market::Timeframe::k1d, bar, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->keys().size(), 2u) << "the unknown symbol has no instrument row";
  // While `a` evaluates, `b` finds nothing to do.
  auto b = claims.ClaimPending(market::Timeframe::k1d, bar, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE((*b)->keys().empty());
  b->reset();
  // `a` dies mid-way: its rows are claimable again.
  a->reset();
  auto c = claims.ClaimPending(market::Timeframe::k1d, bar, "c");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ((*c)->keys().size(), 2u);
  ASSERT_TRUE((*c)->Complete().ok());
  auto d = claims.ClaimPending(market::Timeframe::k1d, bar, "d");
  EXPECT_TRUE((*d)->keys().empty()) << "done work is never claimed again";
  auto who = claims.DoneBy(v->strategy_id, "AAA", market::Timeframe::k1d, bar);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->value_or(""), "c");
}

// The engine's path: a bar's work in one claim-set row per strategy. A
// second instance claiming the same bar waits for the first one's outcome:
// nothing when it committed (except symbols the first lacked), everything
// when it died.
TEST(EngineClaims, ClaimBarTakesEachKeyOnceAcrossInstancesAndReleasesItOnDeath) {
  auto pool = MakePool(sf::testing::PgCluster::Shared().CreateMigratedDatabase("claimbar"));
  SeedStore(pool.get(), {{"AAA", "X"}, {"BBB", "Y"}, {"CCC", "Z"}}, 2);
  auto s1 = store::StrategiesRepository(pool.get()).EnsureVersion("s1", "0123456789abcdef", "src");
  auto s2 = store::StrategiesRepository(pool.get()).EnsureVersion("s2", "fedcba9876543210", "src");
  ASSERT_TRUE(s1.ok() && s2.ok());
  const std::vector<int64_t> ids = {s1->strategy_id, s2->strategy_id};
  store::ClaimsRepository claims(pool.get());
  std::map<std::string, store::ClaimInstrument> inst;
  auto listed = store::InstrumentsRepository(pool.get()).List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  for (const auto& i : *listed) inst[i.symbol] = {i.symbol, i.id};
  auto of = [&](std::vector<std::string> symbols) {
    std::vector<store::ClaimInstrument> out;
    for (const auto& s : symbols) out.push_back(inst[s]);
    return out;
  };
  const auto tf = market::Timeframe::k1d;
  const int64_t bar = BarEnd(7);
  auto a = claims.ClaimBar(ids, of({"AAA", "BBB"}), tf, bar, "a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->keys().size(), 4u) << "2 strategies x 2 symbols";
  // `b` (which also has CCC) must not take a's keys while `a` evaluates.
  auto b = std::async(std::launch::async, [&] { return claims.ClaimBar(ids, of({"AAA", "BBB", "CCC"}), tf, bar, "b"); });
  EXPECT_EQ(b.wait_for(std::chrono::milliseconds(400)), std::future_status::timeout)
      << "a second instance waits for the first one's claim to finish";
  ASSERT_TRUE((*a)->Complete().ok());
  auto got = b.get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::set<std::string> b_symbols;
  for (const auto& k : (*got)->keys()) b_symbols.insert(k.symbol);
  EXPECT_EQ((*got)->keys().size(), 2u) << "only CCC, for both strategies";
  EXPECT_EQ(b_symbols, std::set<std::string>{"CCC"});
  ASSERT_TRUE((*got)->Complete().ok());
  EXPECT_EQ(claims.DoneBy(s1->strategy_id, "AAA", tf, bar)->value_or(""), "a");
  EXPECT_EQ(claims.DoneBy(s2->strategy_id, "CCC", tf, bar)->value_or(""), "b");
  auto again = claims.ClaimBar(ids, of({"AAA", "BBB", "CCC"}), tf, bar, "c");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->keys().empty()) << "done work is never claimed again";
  again->reset();

  // An instance dies mid-bar: its claim rolls back and the waiting one gets it all.
  const int64_t bar2 = BarEnd(8);
  auto d = claims.ClaimBar(ids, of({"AAA", "BBB"}), tf, bar2, "d");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ((*d)->keys().size(), 4u);
  auto e = std::async(std::launch::async, [&] { return claims.ClaimBar(ids, of({"AAA", "BBB"}), tf, bar2, "e"); });
  EXPECT_EQ(e.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  d->reset();  // rollback, as when its session ends
  auto taken = e.get();
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ((*taken)->keys().size(), 4u);
  ASSERT_TRUE((*taken)->Complete().ok());
  EXPECT_EQ(claims.DoneBy(s1->strategy_id, "BBB", tf, bar2)->value_or(""), "e");
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM evaluation_claims"), 2) << "only b's two remainder keys are rows";
}

// regime_v1 live: a strategy echoing ctx.features("regime_v1") into its
// intent's features gets, for its symbol and bar, exactly what
// RegimeColumns computes over the universe's whole stored history.
TEST_F(EngineLiveTest, RegimeV1ReachesStrategiesWithTheValuesRegimeColumnsComputes) {
  SeedStore(pool_.get(), {{"SYMA", "Technology"}, {"SYMB", "Health Care"}, {"SYMC", "Energy"}}, 300);
  dir_.Write("scripts/marker.lua", R"(
return {
  name = "regime_echo",
  timeframe = "1d",
  universe = { type = "equity" },
  evaluate = function(ctx, symbol)
    local f = ctx.features("regime_v1")
    if f == nil or f.vol_index_pct_252 == nil then return nil end
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.9, entry = c, target = c * 1.10, stop = c * 0.95, expiry = 3,
             summary = "regime echo", features = f }
  end,
}
)");
  rt_->LoadAll();
  auto st = rt_->FindStatus(marker_path_);
  ASSERT_TRUE(st && st->state == "running") << (st ? st->last_error : "no status");
  LiveEngineOptions o;
  o.pool = pool_.get();
  o.runtime = rt_.get();
  o.instance = "regime";
  o.risk.max_sector_pct = 100;
  o.risk.correlation_penalty = 0;
  int64_t now = BarEnd(300) + 60'000'000LL;  // just after the close
  o.cadence = {{"regime_echo", "every 15 min always"}};
  o.clock = [&now] { return now; };
  auto live = std::make_shared<app::RegimeV1Live>();
  o.bar_features = [live](const BarFeaturesInput& in) { return (*live)(in); };
  auto e = LiveEngine::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<market::CompletedBar> bars = {Bar("SYMA", 300, 100, 104, 99, 103), Bar("SYMB", 300, 100, 101, 96, 97),
                                            Bar("SYMC", 300, 100, 101, 99, 100.5)};
  CycleReport r = Day(**e, 300, bars);
  ASSERT_GT(r.signals_created, 0) << r.ToJson().dump();
  // The reference: the full stored history (the engine's closed bar included).
  std::vector<market::BarSeries> universe;
  std::vector<std::string> sectors = {"Technology", "Health Care", "Energy"};
  for (const auto& sym : {"SYMA", "SYMB", "SYMC"}) {
    auto s = store::BarsRepository(pool_.get()).Load(sym, market::Timeframe::k1d, 0, BarEnd(299));
    ASSERT_TRUE(s.ok());
    for (const auto& b : bars)
      if (b.symbol == sym) s->Append(b.ts_end, b.open, b.high, b.low, b.close, b.volume);
    ASSERT_EQ(s->size(), 301u);
    universe.push_back(std::move(*s));
  }
  const auto regime = app::ComputeRegime(universe, sectors);
  const auto& names = app::FeatureNames({"regime_v1", 1});
  int checked = 0;
  for (size_t u = 0; u < universe.size(); ++u) {
    const std::string text = QueryText(*pool_,
                                       "SELECT s.features::text FROM signals s JOIN instruments i ON i.id = s.instrument_id"
                                       " WHERE i.symbol = $1",
                                       store::Params().Add(universe[u].symbol));
    if (text.empty()) continue;  // refused by risk
    const auto got = nlohmann::json::parse(text);
    const auto cols = app::RegimeColumns(regime, universe[u], sectors[u]);
    for (size_t c = 0; c < names.size(); ++c) {
      const double want = cols[c].back();
      ASSERT_TRUE(std::isfinite(want)) << names[c] << " is warm after 300 bars";
      ASSERT_TRUE(got.contains(names[c])) << universe[u].symbol << " lacks " << names[c] << ": " << text;
      EXPECT_NEAR(got[names[c]].get<double>(), want, 1e-9 * std::max(1.0, std::fabs(want)))
          << universe[u].symbol << " " << names[c];
      ++checked;
    }
  }
  EXPECT_GE(checked, 5);
  EXPECT_GT(r.features_ms, 0);

  // A cadence tick between bar closes has no bar of its own: the strategy
  // reads the values of the newest close (it gives an intent only then).
  now = BarEnd(300) + 16 * 60'000'000LL;
  auto ticks = (*e)->ProcessPending();
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_TRUE(ticks[0].cadence);
  EXPECT_EQ(ticks[0].evaluated, 3);
  EXPECT_EQ(ticks[0].intents, 3) << ticks[0].ToJson().dump();
}

// The incremental regime_v1 (one cross-section per bar) gives, bar after
// bar, what ComputeRegime + RegimeColumns give over the whole history.
TEST(EngineRegime, IncrementalRegimeEqualsTheFullComputationBarAfterBar) {
  const std::vector<std::string> syms = {"AAA", "BBB", "CCC", "DDD"}, sectors = {"Tech", "Tech", "Energy", ""};
  std::vector<market::BarSeries> full(syms.size());
  uint32_t x = 11;
  for (size_t u = 0; u < syms.size(); ++u) {
    full[u].symbol = syms[u];
    double price = 50 + 10 * static_cast<double>(u);
    for (int d = 0; d < 330; ++d) {
      x = x * 1664525u + 1013904223u;
      const double r = (static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.04;
      const double open = price;
      price *= 1 + r;
      full[u].Append(BarEnd(d), open, std::max(open, price), std::min(open, price), price, 1000);
    }
  }
  app::RegimeV1Live live;
  const auto& names = app::FeatureNames({"regime_v1", 1});
  int compared = 0;
  for (int d = 300; d < 330; ++d) {
    std::vector<market::BarSeries> upto(full.size());
    for (size_t u = 0; u < full.size(); ++u) {
      upto[u] = full[u];
      for (auto* v : {&upto[u].open, &upto[u].high, &upto[u].low, &upto[u].close, &upto[u].volume}) v->resize(d + 1);
      upto[u].ts.resize(d + 1);
    }
    BarFeaturesInput in{market::Timeframe::k1d, BarEnd(d), syms, {}, sectors};
    for (const auto& s : upto) in.universe.push_back(&s);
    const auto got = live(in);
    const auto regime = app::ComputeRegime(upto, sectors);
    for (size_t u = 0; u < upto.size(); ++u) {
      const auto cols = app::RegimeColumns(regime, upto[u], sectors[u]);
      const auto& values = got[syms[u]]["regime_v1"];
      for (size_t c = 0; c < names.size(); ++c) {
        const double want = cols[c].back();
        if (!std::isfinite(want)) {
          EXPECT_FALSE(values.contains(names[c])) << syms[u] << " " << names[c] << " day " << d;
          continue;
        }
        ASSERT_TRUE(values.contains(names[c])) << syms[u] << " " << names[c] << " day " << d;
        EXPECT_NEAR(values[names[c]].get<double>(), want, 1e-9 * std::max(1.0, std::fabs(want)))
            << syms[u] << " " << names[c] << " day " << d;
        ++compared;
      }
    }
  }
  EXPECT_EQ(live.rebuilds(), 1) << "after the first bar, each bar only adds its cross-section";
  EXPECT_GE(compared, 30 * 4 * 4) << "DDD has no sector: its strength is left out";
}

TEST(EngineLeader, OneLeaderAtATimeAndTakeoverWhenItGoes) {
  const std::string conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase("leader");
  std::atomic<int> changes{0};
  LeaderElector a({conninfo, 4242, std::chrono::milliseconds(100), "a"}, [&](bool) { changes++; });
  LeaderElector b({conninfo, 4242, std::chrono::milliseconds(100), "b"}, nullptr);
  a.Start();
  auto wait = [](const std::function<bool()>& f) {
    for (int i = 0; i < 100 && !f(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return f();
  };
  ASSERT_TRUE(wait([&] { return a.is_leader(); }));
  b.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(b.is_leader()) << "the lock is held by a";
  const auto t0 = std::chrono::steady_clock::now();
  a.Stop();
  ASSERT_TRUE(wait([&] { return b.is_leader(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(a.is_leader());
  EXPECT_EQ(changes.load(), 2);  // became leader, then stepped down
  EXPECT_EQ(b.Health()["terms"], 1);
}

TEST(EngineScheduler, BarClosesWhenUniverseCompleteGraceOrSuperseded) {
  using Clock = BarCloseTracker::Clock;
  BarCloseTracker t(std::chrono::milliseconds(1000));
  const auto t0 = Clock::now();
  const auto tf = market::Timeframe::k1d;
  t.Add("A", tf, 100, t0);
  t.Add("B", tf, 100, t0);
  EXPECT_TRUE(t.TakeDue(t0).empty()) << "first bar: universe unknown, waits for grace";
  auto due = t.TakeDue(t0 + std::chrono::milliseconds(1000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].symbols, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(t.UniverseSize(tf), 2u);
  // Next bar: complete as soon as both delivered, no waiting.
  t.Add("B", tf, 200, t0);
  EXPECT_TRUE(t.TakeDue(t0).empty());
  t.Add("A", tf, 200, t0);
  due = t.TakeDue(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].complete);
  // A straggler-less bar closes when the next one starts arriving.
  t.Add("A", tf, 300, t0);
  t.Add("A", tf, 400, t0);
  due = t.TakeDue(t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].bar_ts, 300);
  EXPECT_FALSE(due[0].complete);
  ASSERT_TRUE(t.NextDeadline().has_value());
}

}  // namespace
}  // namespace sf::engine::test
