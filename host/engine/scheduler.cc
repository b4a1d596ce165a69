#include "engine/scheduler.h"

#include <algorithm>
#include <cctype>

namespace sf::engine {

void BarCloseTracker::Add(const std::string& symbol, market::Timeframe tf, int64_t bar_ts,
                          Clock::time_point now) {
  auto [it, inserted] = pending_.try_emplace({tf, bar_ts});
  if (inserted) it->second.first_seen = now;
  it->second.symbols.insert(symbol);
}

std::vector<DueBar> BarCloseTracker::TakeDue(Clock::time_point now) {
  std::vector<DueBar> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto [tf, ts] = it->first;
    const Pending& p = it->second;
    const auto& known = universe_[tf];
    const bool complete =
        !known.empty() && std::includes(p.symbols.begin(), p.symbols.end(), known.begin(), known.end());
    // A newer bar of this timeframe already arriving means this one is final.
    auto next = std::next(it);
    const bool superseded = next != pending_.end() && next->first.first == tf;
    if (complete || superseded || now - p.first_seen >= grace_) {
      DueBar d{tf, ts, std::vector<std::string>(p.symbols.begin(), p.symbols.end()), complete};
      // The universe grows with every symbol seen; a late straggler bar for
      // an old timestamp does not shrink it.
      if (ts >= last_due_[tf]) {
        universe_[tf].insert(p.symbols.begin(), p.symbols.end());
        last_due_[tf] = ts;
      }
      due.push_back(std::move(d));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(due.begin(), due.end(), [](const DueBar& a, const DueBar& b) {
    return a.bar_ts != b.bar_ts ? a.bar_ts < b.bar_ts : a.timeframe < b.timeframe;
  });
  return due;
}

std::optional<BarCloseTracker::Clock::time_point> BarCloseTracker::NextDeadline() const {
  std::optional<Clock::time_point> best;
  for (const auto& [key, p] : pending_) {
    auto d = p.first_seen + grace_;
    if (!best || d < *best) best = d;
  }
  return best;
}

size_t BarCloseTracker::UniverseSize(market::Timeframe tf) const {
  auto it = universe_.find(tf);
  return it == universe_.end() ? 0 : it->second.size();
}

namespace {

constexpr int64_t kMinuteUs = 60'000'000LL;

// "15m", "15 min", "1h", "2 hours", "1d": minutes, or 0 when not a duration.
int64_t ParseInterval(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 6) return 0;
  const int64_t n = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  unit.erase(0, unit.find_first_not_of(' '));
  if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes") return n;
  if (unit == "h" || unit == "hour" || unit == "hours") return n * 60;
  if (unit == "d" || unit == "day" || unit == "days") return n * 1440;
  return 0;
}

}  // namespace

StatusOr<Cadence> ParseCadence(const nlohmann::json& spec, const std::string& what) {
  const std::string rule =
      " (expected \"15m\", \"every 15 min during market hours\", \"every 1 hour always\" or "
      "{every = \"15m\", market_hours = true}; intervals 1 minute to 1 day)";
  Cadence c;
  std::string every;
  if (spec.is_string()) {
    std::string t = spec.get<std::string>();
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t.rfind("every ", 0) == 0) t = t.substr(6);
    for (const auto& [suffix, hours] : {std::pair<std::string, bool>{" during market hours", true},
                                        {" always", false}}) {
      if (t.size() > suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
        t = t.substr(0, t.size() - suffix.size());
        c.market_hours = hours;
      }
    }
    every = t;
  } else if (spec.is_object()) {
    for (const auto& [k, v] : spec.items()) {
      if (k != "every" && k != "market_hours") return InvalidArgument(what + ": unknown field '" + k + "'" + rule);
    }
    if (!spec.contains("every") || !spec["every"].is_string())
      return InvalidArgument(what + ": 'every' must be a duration string like \"15m\"" + rule);
    every = spec["every"].get<std::string>();
    if (spec.contains("market_hours")) {
      if (!spec["market_hours"].is_boolean()) return InvalidArgument(what + ": 'market_hours' must be true or false");
      c.market_hours = spec["market_hours"].get<bool>();
    }
  } else {
    return InvalidArgument(what + ": must be a string or an object, got " + spec.dump() + rule);
  }
  const int64_t minutes = ParseInterval(every);
  if (minutes < 1 || minutes > 1440) return InvalidArgument(what + ": '" + every + "' is not an interval" + rule);
  c.every_us = minutes * kMinuteUs;
  return c;
}

void CadenceClock::Set(const std::string& strategy, std::optional<Cadence> cadence, int64_t now_us) {
  if (!cadence) {
    entries_.erase(strategy);
    return;
  }
  auto it = entries_.find(strategy);
  if (it != entries_.end() && it->second.cadence == *cadence) return;
  entries_[strategy] = {*cadence, now_us - now_us % cadence->every_us};  // the current tick has passed
}

std::vector<std::pair<std::string, int64_t>> CadenceClock::TakeDue(int64_t now_us, const OpenFn& open) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto& [name, e] : entries_) {
    const int64_t tick = now_us - now_us % e.cadence.every_us;
    if (tick <= e.last_tick) continue;
    e.last_tick = tick;  // handed out or skipped (market closed): never again
    if (e.cadence.market_hours && open && !open(tick)) continue;
    out.push_back({name, tick});
  }
  return out;
}

}  // namespace sf::engine
