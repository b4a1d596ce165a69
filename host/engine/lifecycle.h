// Signal lifecycle: how an open signal reacts to each new bar. Pure logic
// shared by the live position monitor and the backtester, so an outcome is
// decided one way everywhere.
//
// Per bar, in this order:
//   1. Gap at the open. If the bar OPENS through the stop (buy: open <= stop,
//      sell: open >= stop) the signal is stopped out at the OPEN, not at the
//      stop; the loss is what a real stop order would have filled at. If it
//      opens through the target it is closed at the open too (a resting limit
//      fills at the better price).
//   2. Inside the bar. A stop within [low, high] fills at the stop, a target
//      at the target. When BOTH lie inside the same bar we cannot know which
//      came first from OHLC, so we assume the worse: the stop
//      (exit_reason "stop_same_bar"). A backtest therefore never flatters.
//   3. Expiry. A signal still open on a bar whose end is >= expires_at closes
//      at that bar's close with status "expired".
// Otherwise the signal stays open and its excursions are updated from the
// bar's high and low.
//
// Exit time is always the END of the bar that closed the signal. Returns are
// percent, signed from the signal's side: buy (exit/entry − 1)×100, sell
// (1 − exit/entry)×100, so +5 always means the signal made 5 %. MFE is >= 0 (best move in the signal's favour), MAE is
// <= 0 (worst move against it), both percent of entry.
//
// Statuses are exactly the store's signals.status values: active,
// target_reached, stopped_out, expired, manually_closed (an opposite signal
// closes the open one with status manually_closed, exit_reason
// "opposite_signal").
//
// Thread-safety: functions are pure; an OpenSignal is a value owned by the
// caller.
#ifndef SF_ENGINE_LIFECYCLE_H_
#define SF_ENGINE_LIFECYCLE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace sf::engine {

inline constexpr const char* kStatusActive = "active";
inline constexpr const char* kStatusTargetReached = "target_reached";
inline constexpr const char* kStatusStoppedOut = "stopped_out";
inline constexpr const char* kStatusExpired = "expired";
inline constexpr const char* kStatusManuallyClosed = "manually_closed";

struct OpenSignal {
  std::string id;              // the store's uuid, or a backtest's own id
  std::string symbol;
  std::string side;            // "buy" | "sell"
  double entry = 0;            // > 0
  std::optional<double> target;
  std::optional<double> stop;
  std::optional<int64_t> expires_at;  // µs; closes on the first bar ending at or after it
  int64_t opened_at = 0;       // µs, end of the bar that produced (or filled) it
  // Running state, updated by Advance.
  double mfe_pct = 0;          // >= 0
  double mae_pct = 0;          // <= 0
  double last_price = 0;       // close of the last bar seen
  int bars_held = 0;           // bars advanced while open
};

struct BarView {
  int64_t ts_end = 0;          // µs, END of the bar
  double open = 0, high = 0, low = 0, close = 0;
};

struct LifecycleStep {
  bool closed = false;
  std::string status = kStatusActive;  // one of the kStatus* values
  // "target", "target_gap", "stop", "stop_gap", "stop_same_bar", "expiry",
  // "opposite_signal"; empty while open.
  std::string exit_reason;
  double exit_price = 0;       // 0 while open
  int64_t exit_at = 0;         // µs, end of the closing bar; 0 while open
  double realized_pnl_pct = 0; // when closed
  double unrealized_pnl_pct = 0;  // at the bar's close while open
  double mfe_pct = 0, mae_pct = 0;  // after this bar
  bool ambiguous = false;      // target and stop both inside this bar
};

// Signed return of a move from entry to exit for `side`, percent.
double SignedReturnPct(const std::string& side, double entry, double exit);

// Applies one new bar to an open signal (see the header comment). Bars at or
// before opened_at are ignored (returns an open step, state unchanged), so
// re-running a bar is harmless.
LifecycleStep Advance(OpenSignal& s, const BarView& bar);

// Closes a signal at `price` on the bar ending at `ts_end` for a reason other
// than its own levels (opposite signal: status manually_closed, reason
// "opposite_signal"; end of a backtest: reason "end_of_data").
LifecycleStep CloseAt(OpenSignal& s, int64_t ts_end, double price, const std::string& status,
                      const std::string& reason);

}  // namespace sf::engine

#endif  // SF_ENGINE_LIFECYCLE_H_
