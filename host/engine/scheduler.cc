#include "engine/scheduler.h"

#include <algorithm>

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

}  // namespace sf::engine
