// bench-engine-live: the live cycle at full size. 500 symbols of the
// synthetic market (the real synthetic provider plugin, seed 42) with a year
// of daily history in a real PostgreSQL, the three seed strategies
// (scripts/*.lua) in real Lua workers with the real indicator plugin. Each
// simulated day, every symbol's bar is handed to the engine and the bar
// close runs: position monitor, claims, strategies, risk, signals committed
// with their outbox rows, paper mark-to-market. Reports the close latency
// (p50/p99/max over the timed days; target p99 <= 50 ms) and, for scale, the
// split: strategy evaluation, claims, position monitor, regime_v1 features
// and the commit phase, measured in the same run.
//
// Usage: bench_engine_live [timed_days=40] [no-regime]  (no-regime: without
// the regime_v1 hook, for the ratio)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "app/engine_regime.h"
#include "engine/live_engine.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/provider_bars.h"
#include "plugins/loader.h"
#include "plugins/plugin_call.h"
#include "plugins/registry.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/rejections_repository.h"
#include "support/pg_cluster.h"

namespace {

using namespace sf;
constexpr int64_t kDayUs = 86'400'000'000LL;

double Pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

int Fail(const std::string& what, const Status& s) {
  fprintf(stderr, "bench-engine-live: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int timed_days = argc > 1 ? std::max(5, atoi(argv[1])) : 40;
  const int history_days = 400;  // calendar days of history stored first

  // The synthetic market through its real plugin.
  plugins::Registry registry;
  plugins::Loader loader(registry);
  auto loaded = loader.LoadFile(std::string(SF_PLUGIN_DIR) + "/sf_synthetic.so");
  if (!loaded.loaded) return Fail("loading the synthetic plugin", Internal(loaded.reason));
  const plugins::Provider* provider = registry.FindProvider("synthetic");
  if (provider == nullptr) return Fail("synthetic provider", NotFound("not registered"));
  auto inst = plugins::ProviderInstance::Create(*provider, R"({"seed": 42, "symbols": 500, "epoch": "2023-01-02"})");
  if (!inst.ok()) return Fail("synthetic instance", inst.status());
  auto calendars = market::CalendarSet::LoadDirectory(std::string(SF_SOURCE_DIR) + "/config/calendars");
  if (!calendars.ok()) return Fail("calendars", calendars.status());
  auto nyse = calendars->Find("nyse");

  const int64_t from = 19359 * kDayUs;  // 2023-01-02
  const int64_t to = from + (history_days + timed_days * 7 / 5 + 10) * kDayUs;
  market::BarSink sink("synthetic");
  sink.ExpectTimeframe(market::Timeframe::k1d);
  sf_fetch_request req{};
  req.struct_size = sizeof(req);
  req.timeframe = "1d";
  req.from_us = from;
  req.to_us = to;
  if (Status s = (*inst)->FetchBars(req, *sink.sink()); !s.ok()) return Fail("fetching bars", s);
  auto by_symbol = sink.TakeBars(market::Timeframe::k1d);

  auto& cluster = testing::PgCluster::Shared();
  store::PoolOptions po;
  po.conninfo = cluster.CreateMigratedDatabase("bench");
  po.size = 8;
  auto pool = store::Pool::Create(po);
  if (!pool.ok()) return Fail("pool", pool.status());

  // Instruments with their sectors, then the history.
  auto list = (*inst)->ListInstruments();
  std::vector<store::Instrument> rows;
  for (const auto& i : nlohmann::json::parse(list.ok() ? *list : "[]")) {
    store::Instrument row;
    row.symbol = i.value("symbol", "");
    if (i.contains("sector") && i["sector"].is_string() && !i["sector"].get<std::string>().empty())
      row.sector = i["sector"].get<std::string>();
    rows.push_back(row);
  }
  if (Status s = store::InstrumentsRepository(pool->get()).UpsertAll(rows); !s.ok()) return Fail("instruments", s);
  const int64_t live_from = from + history_days * kDayUs;
  std::map<int64_t, std::vector<market::CompletedBar>> live;  // by bar end
  for (auto& [sym, pb] : by_symbol) {
    market::AssignBarEnds(&pb, *nyse);
    store::BarBatch b;
    b.symbol = sym;
    b.source = "synthetic";
    for (size_t i = 0; i < pb.size(); ++i) {
      if (pb.ts_end[i] == 0) continue;
      if (pb.ts_end[i] < live_from) {
        b.ts_start.push_back(pb.ts_start[i]);
        b.ts_end.push_back(pb.ts_end[i]);
        b.open.push_back(pb.open[i]);
        b.high.push_back(pb.high[i]);
        b.low.push_back(pb.low[i]);
        b.close.push_back(pb.close[i]);
        b.volume.push_back(pb.volume[i]);
      } else {
        live[pb.ts_end[i]].push_back({sym, market::Timeframe::k1d, pb.ts_start[i], pb.ts_end[i], pb.open[i],
                                      pb.high[i], pb.low[i], pb.close[i], pb.volume[i]});
      }
    }
    if (auto r = store::BarsRepository(pool->get()).Ingest(b); !r.ok()) return Fail("ingest " + sym, r.status());
  }

  // The seed strategies, as `serve` runs them.
  char tmpl[] = "/tmp/sf-bench-engine-XXXXXX";
  std::string plugdir = mkdtemp(tmpl);
  symlink((std::string(SF_PLUGIN_DIR) + "/indicators.so").c_str(), (plugdir + "/indicators.so").c_str());
  lua::RuntimeOptions ro;
  ro.scripts_dir = std::string(SF_SOURCE_DIR) + "/scripts";
  ro.lib_dir = ro.scripts_dir + "/lib";
  ro.worker_path = SF_LUA_WORKER;
  ro.plugin_dirs = {plugdir};
  ro.history_bars = 300;
  auto rt = lua::StrategyRuntime::Create(ro);
  if (!rt.ok()) return Fail("runtime", rt.status());
  (*rt)->LoadAll();
  int running = 0;
  for (const auto& st : (*rt)->Statuses()) {
    if (st.state == "running") ++running;
    else fprintf(stderr, "strategy %s: %s %s\n", st.file.c_str(), st.state.c_str(), st.last_error.c_str());
  }

  engine::LiveEngineOptions eo;
  eo.pool = pool->get();
  eo.runtime = rt->get();
  eo.instance = "bench";
  eo.history_bars = 300;
  eo.risk.min_risk_reward = 1.0;  // as config/signalforge.json: the seeds' ATR targets pass, signals commit
  const bool regime = !(argc > 2 && std::string(argv[2]) == "no-regime");
  auto live_regime = std::make_shared<app::RegimeV1Live>();
  if (regime) eo.bar_features = [live_regime](const engine::BarFeaturesInput& in) { return (*live_regime)(in); };  // as serve
  auto eng = engine::LiveEngine::Create(eo);
  if (!eng.ok()) return Fail("engine", eng.status());
  auto& e = **eng;

  std::vector<double> cycle_ms, e2e_ms, strategy_ms, monitor_ms, claims_ms, commit_ms, features_ms;
  int days = 0, signals = 0, rejected = 0, closed = 0, errors = 0, evaluated = 0;
  for (auto& [ts, bars] : live) {
    if (days > timed_days) break;
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& b : bars) e.OnBar(b);
    auto reports = e.ProcessPending(true);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (reports.size() != 1) return Fail("day " + std::to_string(days), Internal("expected one bar close"));
    const auto& r = reports[0];
    if (days++ == 0) continue;  // warm-up: history of 500 series loaded from the store
    cycle_ms.push_back(r.latency_ms);
    e2e_ms.push_back(ms);
    strategy_ms.push_back(r.strategy_ms);
    monitor_ms.push_back(r.monitor_ms);
    claims_ms.push_back(r.claims_ms);
    commit_ms.push_back(r.commit_ms);
    features_ms.push_back(r.features_ms);
    signals += r.signals_created;
    rejected += r.rejected;
    closed += r.closed;
    errors += r.errors;
    evaluated += r.evaluated;
  }
  printf("bench-engine-live: %zu symbols x %d strategies, %zu timed bar closes (after 1 warm-up), regime_v1 %s\n",
         live.begin()->second.size(), running, cycle_ms.size(), regime ? "on" : "off");
  printf("  bar close (monitor + claims + strategies + risk + commits): p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
         Pct(cycle_ms, 0.5), Pct(cycle_ms, 0.99), Pct(cycle_ms, 1.0));
  printf("  including queueing 500 bars into the engine:               p50 %.1f ms  p99 %.1f ms\n",
         Pct(e2e_ms, 0.5), Pct(e2e_ms, 0.99));
  printf("  of which strategy evaluation (3 Lua workers in parallel):  p50 %.1f ms  p99 %.1f ms\n",
         Pct(strategy_ms, 0.5), Pct(strategy_ms, 0.99));
  printf("  claiming the bar's work (one statement, parallel to monitor): p50 %.1f ms  p99 %.1f ms\n",
         Pct(claims_ms, 0.5), Pct(claims_ms, 0.99));
  printf("  regime_v1 over the universe (parallel to monitor + claims): p50 %.1f ms  p99 %.1f ms\n",
         Pct(features_ms, 0.5), Pct(features_ms, 0.99));
  printf("  of which position monitor (one statement):                 p50 %.1f ms  p99 %.1f ms\n",
         Pct(monitor_ms, 0.5), Pct(monitor_ms, 0.99));
  printf("  of which risk + signals + rejections + claims commit:      p50 %.1f ms  p99 %.1f ms\n",
         Pct(commit_ms, 0.5), Pct(commit_ms, 0.99));
  std::map<std::string, int> rules;
  if (auto rej = store::RejectionsRepository(pool->get()).ListRecent(10000); rej.ok())
    for (const auto& r : *rej) rules[r.rule]++;
  printf("  rejections by rule:");
  for (const auto& [rule, n] : rules) printf(" %s=%d", rule.c_str(), n);
  printf("\n");
  printf("  signals %d, rejections %d, closes %d, errors %d, symbols evaluated %d\n", signals, rejected,
         closed, errors, evaluated);
  printf("  target p99 <= 50 ms: %s\n", Pct(cycle_ms, 0.99) <= 50 ? "met" : "NOT met");
  std::error_code ec;
  std::filesystem::remove_all(plugdir, ec);
  return errors == 0 ? 0 : 1;
}
