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
// Cadence: a strategy may also run on a clock, e.g. "every 15 min during
// market hours", in addition to its bar closes. Ticks fall on multiples of
// the interval since midnight UTC (09:30, 09:45... New York time for 15 min);
// with market_hours only those inside an open session of the calendar count.
// A tick is handed out once; ticks missed while the host was busy or down
// are skipped, only the newest due one runs.
//
// Thread-safety: not thread-safe; the engine's scheduler thread owns it.
#ifndef SF_ENGINE_SCHEDULER_H_
#define SF_ENGINE_SCHEDULER_H_

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
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

struct Cadence {
  int64_t every_us = 0;      // > 0
  bool market_hours = true;  // only ticks inside an open session
  bool operator==(const Cadence&) const = default;
};

// "15m", "1h", "every 15 min during market hours", "every 2 hours always",
// or {every = "15m", market_hours = true}. Intervals from 1 minute to 1 day.
// Errors name `what` (e.g. "engine.cadence.momentum") and the rule.
StatusOr<Cadence> ParseCadence(const nlohmann::json& spec, const std::string& what);

class CadenceClock {
 public:
  // `open(ts)`: whether the market is open at ts (null: always).
  using OpenFn = std::function<bool(int64_t)>;
  // Sets (or with nullopt removes) the cadence of `strategy`; a new or
  // changed cadence starts with the next tick after `now_us`.
  void Set(const std::string& strategy, std::optional<Cadence> cadence, int64_t now_us);
  // (strategy, tick time) due by `now_us`, each once.
  std::vector<std::pair<std::string, int64_t>> TakeDue(int64_t now_us, const OpenFn& open);
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    Cadence cadence;
    int64_t last_tick = 0;  // newest tick handed out (or skipped)
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace sf::engine

#endif  // SF_ENGINE_SCHEDULER_H_
