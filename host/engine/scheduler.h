// Bar-close scheduling for the live engine: decides WHEN a bar of a
// timeframe is closed for the universe, so strategies evaluate every symbol
// of one bar together.
//
// Completed bars arrive one symbol at a time (the market releases each bar
// once its period ended). A (timeframe, bar end) becomes due when
//   - every symbol seen on the previous bar of that timeframe has delivered
//     it (the universe is complete), or
//   - `grace` passed since its first symbol arrived (stragglers are left
//     out; a bar that arrives later for that timestamp is evaluated alone), or
//   - a newer bar of the same timeframe started arriving (the feed moved on).
// Each (timeframe, bar end) is handed out once, oldest first.
//
// Thread-safety: not thread-safe; the engine's scheduler thread owns it.
#ifndef SF_ENGINE_SCHEDULER_H_
#define SF_ENGINE_SCHEDULER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "market/bar_series.h"

namespace sf::engine {

struct DueBar {
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;                // bar END, µs
  std::vector<std::string> symbols;  // sorted
  bool complete = false;             // the whole known universe delivered it
};

class BarCloseTracker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit BarCloseTracker(std::chrono::milliseconds grace) : grace_(grace) {}

  // A completed bar of `symbol` arrived at `now`.
  void Add(const std::string& symbol, market::Timeframe tf, int64_t bar_ts, Clock::time_point now);
  // Bars that became due by `now`, oldest first; each is returned once.
  std::vector<DueBar> TakeDue(Clock::time_point now);
  // When the oldest pending bar's grace ends (to sleep until then).
  std::optional<Clock::time_point> NextDeadline() const;
  // Symbols known for `tf` (those that delivered its last due bar).
  size_t UniverseSize(market::Timeframe tf) const;

 private:
  struct Pending {
    std::set<std::string> symbols;
    Clock::time_point first_seen;
  };
  std::chrono::milliseconds grace_;
  std::map<std::pair<market::Timeframe, int64_t>, Pending> pending_;
  std::map<market::Timeframe, std::set<std::string>> universe_;
  std::map<market::Timeframe, int64_t> last_due_;  // newest bar end handed out
};

}  // namespace sf::engine

#endif  // SF_ENGINE_SCHEDULER_H_
