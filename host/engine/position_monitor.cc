#include "engine/position_monitor.h"

#include <algorithm>

#include "base/logging.h"
#include "store/bars_repository.h"
#include "store/signal_lifecycle_repository.h"

namespace sf::engine {

namespace {

constexpr double kUsPerDay = 86'400'000'000.0;

BarView ViewAt(const market::BarSeries& s, size_t i) {
  return {s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i]};
}

store::SignalClose CloseOf(const LifecycleStep& step) {
  store::SignalClose close;
  close.status = step.status;
  close.exit_price = step.exit_price;
  close.exit_reason = step.exit_reason;
  close.exit_at = step.exit_at;
  close.realized_pnl_pct = step.realized_pnl_pct;
  close.max_favorable_excursion_pct = step.mfe_pct;
  close.max_adverse_excursion_pct = step.mae_pct;
  return close;
}

// The closing bar's own snapshot.
store::PerformanceSnapshot SnapshotOf(const TrackedSignal& t, const LifecycleStep& step) {
  return {step.exit_at, step.exit_price, step.realized_pnl_pct,
          static_cast<double>(step.exit_at - t.open.opened_at) / kUsPerDay};
}

}  // namespace

StatusOr<std::vector<MonitorClose>> PositionMonitor::Recover(const SeriesFn& memory, int64_t now_us) {
  store::SignalLifecycleRepository lifecycle(pool_);
  store::BarsRepository bars(pool_);
  auto active = lifecycle.ListActive();
  if (!active.ok()) return active.status();
  active_.clear();
  std::vector<MonitorClose> closes;
  auto log = base::Logger("engine");
  for (const auto& a : *active) {
    const auto tf = store::TimeframeFromSqlName(a.signal.timeframe).value_or(market::Timeframe::k1d);
    TrackedSignal t;
    t.open.id = a.signal.id;
    t.open.symbol = a.signal.symbol;
    t.open.side = a.signal.side;
    t.open.entry = a.signal.entry_price;
    t.open.target = a.signal.target_price;
    t.open.stop = a.signal.stop_price;
    t.open.expires_at = a.signal.expires_at;
    t.open.opened_at = a.signal.bar_ts;
    t.open.last_price = a.signal.current_price;
    t.strategy_id = a.signal.strategy_id;
    t.strategy = a.strategy;
    t.timeframe = tf;
    t.sector = a.sector;
    t.size_pct = a.position_size_pct.value_or(0);
    t.confidence = a.signal.confidence;
    // Bars after the signal's own: the store's, then newer ones in memory.
    auto stored = bars.Load(a.signal.symbol, tf, a.signal.bar_ts + 1, now_us);
    market::BarSeries replay;
    if (stored.ok()) {
      replay = std::move(*stored);
    } else if (stored.status().code() != SF_ERR_NOT_FOUND) {
      return stored.status();
    }
    if (const market::BarSeries* mem = memory ? memory(a.signal.symbol, tf) : nullptr) {
      const int64_t after = replay.size() ? replay.ts.back() : a.signal.bar_ts;
      for (size_t i = 0; i < mem->size(); ++i) {
        if (mem->ts[i] > after && mem->ts[i] <= now_us) {
          replay.Append(mem->ts[i], mem->open[i], mem->high[i], mem->low[i], mem->close[i], mem->volume[i]);
        }
      }
    }
    bool closed = false;
    for (size_t i = 0; i < replay.size() && !closed; ++i) {
      const bool write = !a.last_snapshot_ts || replay.ts[i] > *a.last_snapshot_ts;
      MonitorClose c;
      closed = Apply(t, ViewAt(replay, i), write, &c);
      if (closed) {
        log->info("engine: recovery closed signal {} ({} {}) {} at {} on the bar ending {}", t.open.id,
                  t.strategy, t.open.symbol, c.step.status, c.step.exit_price,
                  store::FormatTimestamp(c.step.exit_at));
        closes.push_back(std::move(c));
      }
    }
    if (!closed) active_[t.open.id] = std::move(t);
  }
  return closes;
}

void PositionMonitor::Track(TrackedSignal s) {
  std::string id = s.open.id;
  active_[id] = std::move(s);
}

bool PositionMonitor::Apply(TrackedSignal& t, const BarView& bar, bool write_snapshot, MonitorClose* out) {
  if (bar.ts_end <= t.open.opened_at) return false;
  OpenSignal before = t.open;
  LifecycleStep step = Advance(t.open, bar);
  auto log = base::Logger("engine");
  const double days = static_cast<double>(bar.ts_end - t.open.opened_at) / kUsPerDay;
  if (step.closed) {
    Status s = PersistClose(t, step);
    if (!s.ok() && s.code() != SF_ERR_CONFLICT) {
      // Keep it open in memory (state as before this bar) so the next bar retries.
      log->warn("engine: closing signal {}: {}", t.open.id, s.ToString());
      t.open = before;
      return false;
    }
    out->signal = t;
    out->step = step;
    return true;
  }
  if (write_snapshot) {
    store::SignalsRepository signals(pool_);
    Status s = signals.RecordPerformance(t.open.id, bar.ts_end, bar.close, step.unrealized_pnl_pct, days);
    if (!s.ok()) log->warn("engine: snapshot of signal {}: {}", t.open.id, s.ToString());
  }
  return false;
}

Status PositionMonitor::PersistClose(const TrackedSignal& t, const LifecycleStep& step) {
  return store::SignalLifecycleRepository(pool_).CloseWithSnapshot(t.open.id, CloseOf(step), SnapshotOf(t, step));
}

std::vector<MonitorClose> PositionMonitor::OnBars(const std::vector<const market::BarSeries*>& series) {
  std::vector<MonitorClose> closes;
  if (active_.empty()) return closes;
  std::map<std::pair<std::string, market::Timeframe>, const market::BarSeries*> by_key;
  for (const market::BarSeries* s : series)
    if (s != nullptr && s->size() > 0) by_key[{s->symbol, s->timeframe}] = s;
  struct Pending {
    TrackedSignal* signal;
    OpenSignal before;
    LifecycleStep step;
  };
  std::vector<Pending> closing;
  std::vector<store::SnapshotWrite> snapshots;
  std::vector<store::CloseWrite> close_writes;
  for (auto& [id, t] : active_) {
    auto it = by_key.find({t.open.symbol, t.timeframe});
    if (it == by_key.end()) continue;
    const BarView bar = ViewAt(*it->second, it->second->size() - 1);
    if (bar.ts_end <= t.open.opened_at) continue;
    OpenSignal before = t.open;
    LifecycleStep step = Advance(t.open, bar);
    const double days = static_cast<double>(bar.ts_end - t.open.opened_at) / kUsPerDay;
    if (step.closed) {
      close_writes.push_back({id, CloseOf(step), SnapshotOf(t, step)});
      closing.push_back({&t, before, step});
    } else {
      snapshots.push_back({id, {bar.ts_end, bar.close, step.unrealized_pnl_pct, days}});
    }
  }
  auto written = store::SignalLifecycleRepository(pool_).Advance(snapshots, close_writes);
  if (!written.ok()) {
    base::Logger("engine")->warn("engine: lifecycle writes of {} snapshots and {} closes: {}", snapshots.size(),
                                 close_writes.size(), written.status().ToString());
    for (auto& p : closing) p.signal->open = p.before;  // retried on the next bar
    return closes;
  }
  // A close the store skipped (the signal was not active anymore) is gone
  // all the same.
  for (auto& p : closing) {
    closes.push_back({*p.signal, p.step});
    active_.erase(p.signal->open.id);
  }
  return closes;
}

StatusOr<MonitorClose> PositionMonitor::CloseOpposite(const std::string& id, int64_t ts_end, double price) {
  auto it = active_.find(id);
  if (it == active_.end()) return NotFound("signal " + id + " is not tracked as active");
  TrackedSignal t = it->second;
  LifecycleStep step = CloseAt(t.open, ts_end, price, kStatusManuallyClosed, "opposite_signal");
  Status s = PersistClose(t, step);
  if (!s.ok() && s.code() != SF_ERR_CONFLICT) return s;
  active_.erase(it);
  return MonitorClose{std::move(t), std::move(step)};
}

const TrackedSignal* PositionMonitor::Find(int64_t strategy_id, const std::string& symbol) const {
  for (const auto& [id, t] : active_)
    if (t.strategy_id == strategy_id && t.open.symbol == symbol) return &t;
  return nullptr;
}

double PositionMonitor::UnrealizedContributionPct() const {
  double sum = 0;
  for (const auto& [id, t] : active_) {
    if (t.open.last_price > 0) sum += t.size_pct * SignedReturnPct(t.open.side, t.open.entry, t.open.last_price) / 100;
  }
  return sum;
}

}  // namespace sf::engine
