// StrategyRuntime: the Lua strategy host the engine calls on every bar close.
//
// It owns the series arena, one worker process per strategy (strategy code
// never runs in the host process), the scripts/ watcher and the status of
// every strategy file. The engine's part is small:
//
//   auto rt = StrategyRuntime::Create(options);      // once
//   rt->LoadAll(); rt->StartWatching();              // at start
//   rt->UpdateSeries(series);                        // after bars arrive
//   BarResult r = rt->OnBarClose({tf, bar_ts});      // per closed bar
//   for (const Intent& i : r.intents) ...            // to risk / signals
//
// Hot reload: a changed scripts/*.lua is compiled and checked in a fresh
// worker by the watcher thread and becomes the strategy's *pending* version;
// OnBarClose swaps pending versions in before it evaluates anything, so a bar
// is never evaluated by a mix of versions. A bad file is refused (file:line
// in the status), the running version keeps running.
//
// Limits: each OnBarClose gives every strategy `eval_budget` of wall time
// (strategies run in parallel, one process each). A strategy that overruns is
// killed (SIGKILL), reported, and disabled until its file changes; one that
// exceeds its memory cap or dies is treated the same. Others are unaffected.
//
// Thread-safety: every public method may be called from any thread; one
// mutex serialises them (OnBarClose holds it for the whole bar).
#ifndef SF_LUA_STRATEGY_RUNTIME_H_
#define SF_LUA_STRATEGY_RUNTIME_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lua/range_wire.h"
#include "lua/series_arena.h"
#include "lua/worker_process.h"
#include "market/bar_series.h"

namespace sf::lua {

struct RuntimeOptions {
  std::string scripts_dir;                 // strategies: scripts_dir/*.lua
  std::string lib_dir;                     // default scripts_dir/lib
  std::string worker_path;                 // default: sf_lua_worker beside the executable
  std::vector<std::string> plugin_dirs;    // indicator/model plugins for workers
  nlohmann::json models = nlohmann::json::object();  // name -> {component, config}
  int history_bars = 500;                  // bars a strategy can see per series
  uint32_t max_series = 2048;              // (symbol, timeframe) slots in the arena
  // Bars the arena keeps per series (indicators are computed from the first
  // kept bar). 0: 2 * history_bars. Backtests using EvaluateRange set it to
  // their longest series so each series fits whole. The arena's size is
  // max_series * series_capacity * 56 bytes of (sparse) shared memory.
  int series_capacity = 0;
  std::chrono::milliseconds eval_budget{2000};  // per strategy per bar
  std::chrono::milliseconds load_budget{5000};  // compile + declaration
  // EvaluateRange runs in chunks of about range_chunk_bars symbol-bars; each
  // chunk may take eval_budget + its symbol-bars * range_budget_per_bar
  // before the worker is killed.
  int64_t range_chunk_bars = 20000;
  std::chrono::microseconds range_budget_per_bar{200};
  // Workers EvaluateRange may split a strategy's symbols across when the
  // strategy declares `independent = true`, for ranges of at least
  // range_shard_min_bars symbol-bars (each extra worker costs a start).
  int range_workers = 1;
  int64_t range_shard_min_bars = 200000;
  size_t memory_mb = 256;                  // Lua heap per strategy
  int max_intents_per_symbol = 3;
  int max_intents_per_bar = 100;
  int atr_period = 14;
  // Operator parameter values: file stem -> {param: value}.
  nlohmann::json params = nlohmann::json::object();
  std::map<std::string, std::vector<std::string>> watchlists;
};

// What a strategy asked for on one bar, after validation.
struct Intent {
  std::string strategy;   // declared name
  std::string version;    // SHA-256 of the source that produced it (hex)
  std::string file;
  std::string symbol;
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;     // µs, the bar that closed
  std::string side;       // "buy" | "sell"
  double confidence = 0;  // 0..1
  double entry = 0, target = 0, stop = 0;
  int expiry_bars = 0;
  int64_t expires_at = 0; // bar_ts + expiry_bars * timeframe length
  std::string summary;
  // Name -> number; null when the strategy gave none (ToJson shows {}):
  // a backtest holds every intent, and an empty object costs an allocation.
  nlohmann::json features;
  nlohmann::json ToJson() const;
};

// An intent refused by validation, or a runtime error inside evaluate.
struct StrategyProblem {
  std::string strategy;
  std::string version;
  std::string symbol;     // empty when the whole strategy failed
  std::string message;
};

struct BarClose {
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;                 // µs; the bar every listed series just closed
  std::vector<std::string> symbols;   // empty: every series of this timeframe
  nlohmann::json extras = nlohmann::json::object();  // SYMBOL -> {news, sentiment, positions, signals}
};

struct BarResult {
  std::vector<Intent> intents;
  std::vector<StrategyProblem> rejected;  // intents refused by validation
  std::vector<StrategyProblem> errors;    // evaluate errors, kills, deaths
  std::vector<std::string> logs;          // print()/ctx.log lines, "name: line"
  std::vector<std::string> swapped;       // strategies whose new version took over at this bar
  double worker_seconds = 0;              // wall time inside the workers (sum over strategies)
  double worker_cpu_seconds = 0;          // CPU time inside the workers (sum)
};

// Values a feature set has over time (what ctx.features(set) reads).
struct FeatureSeries {
  std::string set;               // e.g. "regime_v1"
  std::string name;              // e.g. "vol_index"
  std::string scope;             // "" every symbol | "sector:<Sector>" | "symbol:<SYM>"
  std::vector<int64_t> ts;       // µs, ascending; a bar at time t sees the last point <= t
  std::vector<double> values;
};

// A backtest's question: evaluate one strategy at every bar time of a range.
struct RangeRequest {
  std::string file;              // the strategy file (must be loaded and running)
  market::Timeframe timeframe = market::Timeframe::k1d;
  std::vector<std::string> symbols;  // series previously given whole to UpdateSeries
  int64_t from_ts = INT64_MIN, to_ts = INT64_MAX;  // bar times evaluated (earlier = history)
  std::vector<FeatureSeries> features;  // for this range only (besides SetFeatureSeries)
  std::function<void(double)> progress;             // share done, 0..1, after each chunk
  const std::atomic<bool>* cancel = nullptr;        // checked between chunks
  // When set, each chunk's output goes here as soon as it is decoded (on
  // the caller's thread, while the worker evaluates the next chunk) instead
  // of into RangeResult::bars: the bars with output, ascending, and `upto`,
  // the chunk's last bar time (no later chunk has a bar at or before it).
  // Returning false stops the range (EvaluateRange then gives
  // SF_ERR_CANCELLED). It must not call back into the runtime.
  std::function<bool(int64_t upto, std::vector<std::pair<int64_t, BarResult>>& bars)> on_chunk;
  // false: intents leave `version` and `file` empty (a range is one version
  // of one file, and the caller knows both), which spares two string copies
  // per intent when a backtest holds tens of thousands of them.
  bool intent_identity = true;
};

struct RangeResult {
  std::vector<std::pair<int64_t, BarResult>> bars;  // ascending bar time; only bars with output
  int64_t evaluated = 0;         // symbol-bars evaluated
  int64_t bar_times = 0;         // distinct bar times evaluated
  int workers = 1;               // worker processes the symbols were split across
  double worker_seconds = 0;     // wall time inside the worker (sum over chunks)
  double worker_cpu_seconds = 0; // CPU time inside the worker (sum over chunks)
};

struct StrategyStatus {
  std::string file;
  std::string name;
  // "running" | "disabled" (killed or died; until its file changes) |
  // "failed" (never loaded; fix the file)
  std::string state;
  std::string version;          // active version hash
  std::string pending_version;  // checked, waits for the next bar boundary
  std::string last_error;       // "file:line: message" of the last refused load, or the kill reason
  int64_t loaded_at_us = 0;
  int reloads = 0;              // versions that replaced a running one
  int refused = 0;              // versions refused (syntax, load, declaration errors)
  int kills = 0;                // times a worker was killed or died
  nlohmann::json declaration;
  // What the running worker loaded: {"pid", "indicators": [...], "models": [...],
  // "model_errors": [...]}.
  nlohmann::json worker;
  nlohmann::json ToJson() const;
};

struct InstrumentInfo {
  std::string type = "equity";
  std::string sector;
  std::string name;
};

class StrategyRuntime {
 public:
  static StatusOr<std::unique_ptr<StrategyRuntime>> Create(RuntimeOptions options);
  ~StrategyRuntime();
  StrategyRuntime(const StrategyRuntime&) = delete;
  StrategyRuntime& operator=(const StrategyRuntime&) = delete;

  // Market data: makes the arena show the newest bars of `series` (up to
  // index `upto`, exclusive, when given; backtests pass the simulated now).
  Status UpdateSeries(const market::BarSeries& series, int64_t upto = -1);
  // UpdateSeries of every bar of many series (a backtest's), the copying
  // spread over up to `threads` threads. The first failure is returned.
  Status UpdateSeriesMany(const std::vector<market::BarSeries>& series, int threads);
  void SetInstrument(const std::string& symbol, const InstrumentInfo& info);

  // Loads every scripts_dir/*.lua now (each becomes running or failed).
  void LoadAll();
  // Compiles and checks one file in a fresh worker. With `activate`, a good
  // version replaces the running one at once (start-up, tools); otherwise it
  // becomes pending until the next OnBarClose.
  StrategyStatus LoadFile(const std::string& path, bool activate);
  // Watches scripts_dir (and lib/) with inotify; changes load as pending.
  Status StartWatching();
  void StopWatching();

  // `strategies`: the declared names to evaluate; empty: every running
  // strategy of the bar's timeframe. (A cadence tick is one strategy's, and
  // an instance evaluates only the strategies whose work it claimed: the
  // others must not run evaluate, which may change their state.)
  BarResult OnBarClose(const BarClose& bar, const std::vector<std::string>& strategies = {});

  // Evaluates the strategy at every bar time in [from_ts, to_ts] of the union
  // of the symbols' bar times, exactly as if OnBarClose({tf, t, symbols
  // closing at t}) had been called after UpdateSeries(series, index_of(t)+1)
  // for each t in order - same intents, same validation, same ctx (bars
  // visible: only those complete at t, the newest history_bars of them) -
  // but inside the worker, in chunks, without per-bar IPC. Strategy state
  // persists across bars. Pending versions swap in first (as at a bar
  // boundary). Each chunk has its own deadline; a strategy that overruns is
  // killed and disabled (the error says at which bar and symbol).
  // Errors: SF_ERR_NOT_FOUND (file not loaded), SF_ERR_UNAVAILABLE (the
  // strategy is not running, or was killed/disabled during the range; the
  // message says why, where), SF_ERR_INVALID_ARGUMENT (a symbol without a
  // series, a timeframe the strategy does not declare), SF_ERR_CANCELLED.
  // Evaluate errors inside the strategy are per-bar BarResult.errors, as in
  // OnBarClose.
  StatusOr<RangeResult> EvaluateRange(const RangeRequest& request);

  // Feature series for live use: ctx.features(set) at a bar gives {name =
  // value at the bar's time}, symbol scope over sector scope over universe,
  // then what BarClose extras[SYM].features[set] gives. Replaces the series
  // of the same (set, name, scope); an empty ts removes it.
  Status SetFeatureSeries(const FeatureSeries& series);

  std::vector<StrategyStatus> Statuses() const;
  std::optional<StrategyStatus> FindStatus(const std::string& file) const;
  // Source text of a version seen by this runtime (for the store/API).
  std::optional<std::string> VersionSource(const std::string& hash) const;
  // Called (under the runtime's lock) for every version that loaded.
  void OnVersion(std::function<void(const std::string& file, const std::string& hash,
                                    const std::string& source)> fn);

  const SeriesArena& arena() const { return *arena_; }
  const RuntimeOptions& options() const { return opt_; }

 private:
  struct Version {
    std::string hash, source;
    nlohmann::json declaration;
    std::unique_ptr<WorkerProcess> worker;
    int64_t loaded_at_us = 0;
  };
  struct Entry {
    std::string file;
    Version active;          // worker null when not running
    std::optional<Version> pending;
    StrategyStatus status;
    std::string disabled_hash;  // hash of the version that was killed
    bool remove_pending = false;
  };

  explicit StrategyRuntime(RuntimeOptions o) : opt_(std::move(o)) {}
  StatusOr<Version> Compile(const std::string& path, const std::string& source);
  // A worker with `source` loaded and the instruments sent (not the feature
  // series); takes no lock. The declaration goes to *declaration if given.
  StatusOr<std::unique_ptr<WorkerProcess>> SpawnWorker(const std::string& path,
                                                       const std::string& source,
                                                       nlohmann::json* declaration);
  void Activate(Entry& e, Version v, bool carry_state);
  void Disable(Entry& e, const std::string& reason);
  std::vector<std::string> UniverseOf(const Entry& e, const std::vector<std::string>& batch) const;
  nlohmann::json InstrumentsJson() const;
  // Replaces one feature layer ("live" or "range") of a worker.
  Status SendFeatures(WorkerProcess& w, const std::string& layer,
                      const std::vector<const FeatureSeries*>& series);
  void SwapPending(BarResult* result);
  nlohmann::json TimeframesJson(const Entry& e, const std::vector<std::string>& symbols) const;
  void CollectReply(const Entry& e, const nlohmann::json& reply, market::Timeframe tf,
                    int64_t bar_ts, BarResult* out) const;
  // Appends a worker's output for one bar (its strings moved out of `b`).
  void AppendBatch(const Entry& e, BatchOutput& b, market::Timeframe tf, int64_t bar_ts,
                   BarResult* out, bool identity = true) const;
  std::string SymbolOfSlot(int32_t slot) const;
  // Why a worker's reply (or its absence) ends the strategy; "" when it is fine.
  std::string FailureReason(const WorkerProcess& worker, const StatusOr<nlohmann::json>& reply,
                            const std::function<std::string()>& timeout) const;
  void WatchLoop();
  void Refresh(const std::string& file, bool force);
  StrategyStatus LoadFileImpl(const std::string& path, bool activate, bool force);
  Entry& EntryFor(const std::string& file);

  RuntimeOptions opt_;
  WorkerConfig wcfg_;
  std::unique_ptr<SeriesArena> arena_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by file path
  // Extra range workers of the last EvaluateRange: left idle (stopping a
  // process with a large heap is not free) and killed at the start of the
  // next EvaluateRange or with the runtime.
  std::vector<std::unique_ptr<WorkerProcess>> retired_;
  std::map<std::string, InstrumentInfo> instruments_;
  std::map<std::string, std::string> sources_;  // hash -> source
  // (set, name, scope) -> series; sent to workers as they start and change.
  std::map<std::tuple<std::string, std::string, std::string>, FeatureSeries> features_;
  std::function<void(const std::string&, const std::string&, const std::string&)> on_version_;
  std::thread watcher_;
  std::atomic<bool> stop_{false};
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
};

// SHA-256 of `data`, lowercase hex.
std::string Sha256Hex(const std::string& data);

}  // namespace sf::lua

#endif  // SF_LUA_STRATEGY_RUNTIME_H_
