// The live signal engine: turns completed market bars into tracked signals.
//
//   market bar ─▶ OnBar (any thread, queued) ─▶ scheduler thread:
//     series (history loaded from the store on first sight) ─▶ strategy arena
//     bar closed for the universe (engine/scheduler.h) ─▶
//       position monitor: every active signal advances (engine/position_monitor.h)
//       evaluation claims (store/claims_repository.h) ─▶ StrategyRuntime::OnBarClose
//       intents ─▶ RiskManager ─▶ SignalsRepository::InsertSignalWithOutbox
//                 (refusals ─▶ signal_rejections)
//       paper portfolios follow / mark to market (engine/paper_trading.h)
//       statistics of strategies whose signals closed (engine/strategy_stats.h)
//
// Only the leader (engine/leader.h; `is_leader`) evaluates and writes;
// followers keep their series current so a takeover starts warm. Becoming
// leader (and starting) runs recovery: active signals are replayed over the
// bars that arrived meanwhile.
//
// The house portfolio the risk manager judges is the set of active signals
// (each its position_size_pct of equity); its equity is 100 × (1 + realized
// + unrealized contributions of signals), its peak the highest seen since
// the first signal.
//
// Ownership: borrows the Pool and the StrategyRuntime (both must outlive the
// engine). Thread-safety: OnBar, OnNews, OnLeadershipChange and Health are
// safe from any thread. ProcessPending runs on the engine's own thread once
// Start() was called; without Start() (tests, benchmarks) the caller calls it
// from one thread.
#ifndef SF_ENGINE_LIVE_ENGINE_H_
#define SF_ENGINE_LIVE_ENGINE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/paper_trading.h"
#include "engine/position_monitor.h"
#include "engine/risk.h"
#include "engine/scheduler.h"
#include "lua/strategy_runtime.h"
#include "market/bar_series.h"
#include "market/bar_sink.h"
#include "market/resample.h"
#include "store/pool.h"
#include "store/claims_repository.h"
#include "store/rejections_repository.h"
#include "store/signals_repository.h"

namespace sf::engine {

// What a per-bar feature hook sees (valid for the duration of the call).
struct BarFeaturesInput {
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;
  std::vector<std::string> symbols;                 // evaluated at this bar
  std::vector<const market::BarSeries*> universe;   // every series of the timeframe held
  std::vector<std::string> sectors;                 // aligned with universe; "" = unknown
};

struct LiveEngineOptions {
  store::Pool* pool = nullptr;                // required
  lua::StrategyRuntime* runtime = nullptr;    // required
  RiskLimits risk;
  std::string instance = "local";             // names this host in claims and logs
  std::chrono::milliseconds grace{3000};      // wait for stragglers of a bar
  int history_bars = 500;                     // bars kept per series in memory
  bool paper = true;                          // paper portfolios follow signals
  market::Timeframe mark_timeframe = market::Timeframe::k1d;  // portfolio snapshots
  int returns_lookback = 60;                  // returns for the correlation penalty
  // Leadership; null means this engine always leads (a single host).
  std::function<bool()> is_leader;
  // Outbox rows for a new signal (the notify service); null or an error:
  // a single "log" row.
  std::function<StatusOr<std::vector<store::OutboxItem>>(const store::NewSignal&, const std::string&)> outbox;
  // Host-computed feature sets per bar (e.g. regime_v1; app/engine_regime.h):
  // returns {SYMBOL: {set: {name: value}}}, which strategies read as
  // ctx.features(set). Runs on its own thread while the bar's store work
  // (position monitor, claims) goes on; the series it reads are not
  // modified meanwhile. Null: no host features.
  std::function<nlohmann::json(const BarFeaturesInput&)> bar_features;
  // Cadence: evaluations on a clock besides bar closes (engine/scheduler.h),
  // per strategy file stem or name, e.g. {"news_react": "every 15 min during
  // market hours"}; a strategy's declaration field `cadence` applies when
  // this names none. A tick evaluates that strategy only (others keep their
  // state), over its universe's newest bars, with the news and positions of
  // that moment and the feature sets of the timeframe's newest bar close;
  // its signals carry the tick's time as bar_ts.
  nlohmann::json cadence = nlohmann::json::object();
  // Whether the market is open at a time (µs); null: always open.
  std::function<bool(int64_t)> market_open;
  // Wall clock, µs since the epoch (tests control it); null: the system clock.
  std::function<int64_t()> clock;
  // Told about every closed signal (e.g. signal.closed deliveries).
  std::function<void(const store::StoredSignal&, const std::string& strategy)> on_close;
};

// What one bar close did.
struct CycleReport {
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;
  int symbols = 0;            // symbols that delivered the bar
  bool complete = false;      // the whole universe delivered it
  bool leader = false;        // false: only series were updated
  bool cadence = false;       // a cadence tick (bar_ts = the tick), not a bar close
  int evaluated = 0;          // symbols handed to strategies (claimed)
  int intents = 0;
  int signals_created = 0;
  int duplicates = 0;         // intents whose signal existed already
  int rejected = 0;           // risk refusals + invalid intents
  int closed = 0;             // signals closed by this bar
  int errors = 0;             // strategy errors and store failures
  double latency_ms = 0;      // close processing, start to last commit
  double strategy_ms = 0;     // of which inside StrategyRuntime::OnBarClose
  double monitor_ms = 0;      //   advancing active signals (one transaction)
  double claims_ms = 0;       //   claiming the bar's (strategy, symbol) work
  double commit_ms = 0;       //   risk, signals, rejections, claims commit
  double features_ms = 0;     //   host feature sets (in parallel with the store work)
  nlohmann::json ToJson() const;
};

class LiveEngine {
 public:
  static StatusOr<std::unique_ptr<LiveEngine>> Create(LiveEngineOptions options);
  ~LiveEngine();  // Stop()
  LiveEngine(const LiveEngine&) = delete;
  LiveEngine& operator=(const LiveEngine&) = delete;

  // Starts the scheduler thread (recovery runs on it first when leading).
  void Start();
  void Stop();

  // A completed bar from the market (any thread; never blocks for long).
  void OnBar(const market::CompletedBar& bar);
  // A news item (any thread); strategies see the items of their bar.
  void OnNews(const market::NewsItem& item);
  // Leadership changed (any thread): recovery runs before the next bar.
  void OnLeadershipChange(bool leader);

  // Handles queued bars and closes the bars that are due (all pending ones
  // with `force`). Returns what each close did.
  std::vector<CycleReport> ProcessPending(bool force = false);
  // Reloads active signals and replays them (see position_monitor.h).
  Status Recover();

  // {"ready","leader","instance","strategies":n,"bars_received","bar_closes",
  //  "signals_created","rejections","signals_closed","active_signals","errors",
  //  "cycle_ms":{"last","p50","p99","max"},"last_cycle":{...}}
  nlohmann::json Health() const;
  // The series the engine holds for (symbol, timeframe), or nullptr.
  const market::BarSeries* Series(const std::string& symbol, market::Timeframe tf) const;
  const PositionMonitor& monitor() const { return monitor_; }

 private:
  struct StrategyRef {
    std::string name;
    int64_t strategy_id = 0, version_id = 0;
    market::Timeframe timeframe = market::Timeframe::k1d;
  };
  explicit LiveEngine(LiveEngineOptions o);
  void Run();
  bool Leading() const { return !opt_.is_leader || opt_.is_leader(); }
  void AddBar(const market::CompletedBar& bar);
  CycleReport CloseBar(const DueBar& due);
  std::vector<StrategyRef> SyncStrategies(market::Timeframe tf, CycleReport* report);
  void RefreshInstruments();
  // Claims (strategies × symbols) at (tf, ts) on its own thread.
  std::future<StatusOr<std::unique_ptr<store::Claim>>> StartClaim(const std::vector<StrategyRef>& strategies,
                                                                  const std::vector<std::string>& symbols,
                                                                  market::Timeframe tf, int64_t ts,
                                                                  CycleReport* report);
  // Evaluates the claimed work (symbols whose newest bar is `ts` when
  // `at_bar`, else their newest bars), handles intents, records refusals,
  // commits the claim.
  void EvaluateClaimed(StatusOr<std::unique_ptr<store::Claim>> claim, const std::vector<StrategyRef>& strategies,
                       market::Timeframe tf, int64_t ts, bool at_bar,
                       const std::function<nlohmann::json()>& features, CycleReport* report,
                       std::set<std::string>* closed_strategies);
  // Cadence ticks due now (engine/scheduler.h CadenceClock).
  std::vector<CycleReport> RunCadence();
  void UpdateCadences(int64_t now_us);
  void HandleIntent(const lua::Intent& intent, const StrategyRef& ref, const market::BarSeries& series,
                    CycleReport* report, std::vector<store::NewRejection>* rejections,
                    std::set<std::string>* closed_strategies);
  void AfterClose(const MonitorClose& c, std::set<std::string>* closed_strategies);
  PortfolioState HousePortfolio() const;
  std::vector<double> Returns(const std::string& symbol, market::Timeframe tf) const;
  nlohmann::json ExtrasFor(const std::vector<std::string>& symbols, market::Timeframe tf, int64_t bar_ts,
                           nlohmann::json features);
  double Mark(const std::string& symbol) const;
  void UpdateWantedTimeframes();
  void RecordCycle(const CycleReport& r);

  LiveEngineOptions opt_;
  RiskManager risk_;
  PositionMonitor monitor_;
  PaperTrader paper_;
  BarCloseTracker tracker_;
  CadenceClock cadence_;
  std::set<std::string> cadence_errors_;  // logged once each
  // Per timeframe, the feature sets of its newest bar close: cadence ticks
  // between bar closes give strategies these (engine thread only).
  std::map<market::Timeframe, nlohmann::json> last_features_;

  // Scheduler-thread state.
  std::map<std::string, market::BarSeries> series_;  // "SYMBOL@tf"
  std::map<std::string, lua::InstrumentInfo> instruments_;
  std::map<std::string, int64_t> instrument_ids_;  // symbol -> instruments.id
  std::map<std::string, StrategyRef> versions_;  // by content hash
  double realized_pct_ = 0;
  double peak_equity_ = 100;
  bool recovered_ = false;
  int closes_until_prune_ = 0;  // finished claims are pruned every so many closes

  // Shared with other threads.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<market::CompletedBar> queue_;
  std::deque<market::NewsItem> news_;
  std::atomic<uint32_t> wanted_tf_mask_{~0u};
  std::atomic<bool> need_recovery_{true};
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex stats_mu_;
  int64_t bars_received_ = 0, bar_closes_ = 0, signals_created_ = 0, rejections_ = 0, closes_ = 0, errors_ = 0;
  size_t active_signals_ = 0, strategies_ = 0;
  std::deque<double> cycle_ms_;
  CycleReport last_cycle_;
  std::string last_error_;
};

}  // namespace sf::engine

#endif  // SF_ENGINE_LIVE_ENGINE_H_
