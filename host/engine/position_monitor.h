// The live engine's position monitor: keeps every active signal's lifecycle
// state (engine/lifecycle.h) in memory and, on each new bar of the signal's
// symbol and timeframe, advances it: a snapshot per bar while it is open
// (signal_performance), and a close (target, stop with gap-through at the
// open, expiry) stamped with the END of the bar that caused it. A bar close
// advances every signal at once (OnBars): all snapshots and closes of that
// bar are written in one transaction (store/signal_lifecycle_repository.h),
// each close NOTIFYing the signals channel as it commits.
//
// Recovery: Recover() loads the active signals from the store and replays
// each one over the bars stored after it (plus any newer bars the engine
// holds in memory), so a signal whose stop was hit while the host was down
// closes at that bar's time and price, not at the restart. Replaying from
// the signal's own bar rebuilds its excursions exactly; snapshots are only
// written for bars after the newest stored one (writes are idempotent
// anyway).
//
// Thread-safety: not thread-safe; the engine's scheduler thread owns it.
#ifndef SF_ENGINE_POSITION_MONITOR_H_
#define SF_ENGINE_POSITION_MONITOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/lifecycle.h"
#include "market/bar_series.h"
#include "store/pool.h"

namespace sf::engine {

struct TrackedSignal {
  OpenSignal open;  // lifecycle state (id, symbol, side, levels, excursions)
  int64_t strategy_id = 0;
  std::string strategy;  // name
  market::Timeframe timeframe = market::Timeframe::k1d;
  std::string sector;
  double size_pct = 0;  // % of the house portfolio, 0 when unknown
  double confidence = 0;
};

struct MonitorClose {
  TrackedSignal signal;  // state after the closing bar
  LifecycleStep step;
};

class PositionMonitor {
 public:
  // The engine's bars of (symbol, timeframe), or nullptr.
  using SeriesFn = std::function<const market::BarSeries*(const std::string&, market::Timeframe)>;

  explicit PositionMonitor(store::Pool* pool) : pool_(pool) {}

  // Replaces the in-memory state with the store's active signals, replayed
  // over the bars that came after each (see the header comment). Returns the
  // signals that closed during the replay.
  StatusOr<std::vector<MonitorClose>> Recover(const SeriesFn& memory, int64_t now_us);

  void Track(TrackedSignal s);
  // Advances every tracked signal whose (symbol, timeframe) is one of
  // `series` with that series' newest bar; persists all snapshots and
  // closes in one transaction. A store failure leaves every signal tracked
  // as before the bar (the next bar retries its close).
  std::vector<MonitorClose> OnBars(const std::vector<const market::BarSeries*>& series);
  // Closes `id` at `price` on the bar ending at `ts_end` for an opposite
  // signal (status manually_closed, reason opposite_signal).
  StatusOr<MonitorClose> CloseOpposite(const std::string& id, int64_t ts_end, double price);

  // The active signal of (strategy, symbol), if any.
  const TrackedSignal* Find(int64_t strategy_id, const std::string& symbol) const;
  const std::map<std::string, TrackedSignal>& active() const { return active_; }
  // Unrealized contribution of the open signals to the house portfolio, in
  // percent of equity (Σ size_pct × unrealized return / 100).
  double UnrealizedContributionPct() const;

 private:
  // Applies one bar; persists; true when it closed the signal.
  bool Apply(TrackedSignal& t, const BarView& bar, bool write_snapshot, MonitorClose* out);
  Status PersistClose(const TrackedSignal& t, const LifecycleStep& step);

  store::Pool* pool_;
  std::map<std::string, TrackedSignal> active_;  // by signal id
};

}  // namespace sf::engine

#endif  // SF_ENGINE_POSITION_MONITOR_H_
