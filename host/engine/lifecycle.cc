#include "engine/lifecycle.h"

#include <algorithm>

namespace sf::engine {
namespace {

void Excursion(OpenSignal& s, double price) {
  double r = SignedReturnPct(s.side, s.entry, price);
  s.mfe_pct = std::max(s.mfe_pct, r);
  s.mae_pct = std::min(s.mae_pct, r);
}

LifecycleStep Close(OpenSignal& s, int64_t ts_end, double price, const char* status,
                    const std::string& reason) {
  Excursion(s, price);
  s.last_price = price;
  LifecycleStep step;
  step.closed = true;
  step.status = status;
  step.exit_reason = reason;
  step.exit_price = price;
  step.exit_at = ts_end;
  step.realized_pnl_pct = SignedReturnPct(s.side, s.entry, price);
  step.mfe_pct = s.mfe_pct;
  step.mae_pct = s.mae_pct;
  return step;
}

}  // namespace

double SignedReturnPct(const std::string& side, double entry, double exit) {
  if (!(entry > 0)) return 0;
  return side == "sell" ? (1.0 - exit / entry) * 100.0 : (exit / entry - 1.0) * 100.0;
}

LifecycleStep CloseAt(OpenSignal& s, int64_t ts_end, double price, const std::string& status,
                      const std::string& reason) {
  return Close(s, ts_end, price, status.c_str(), reason);
}

LifecycleStep Advance(OpenSignal& s, const BarView& bar) {
  if (bar.ts_end <= s.opened_at) {
    LifecycleStep open;
    open.unrealized_pnl_pct = SignedReturnPct(s.side, s.entry, s.last_price);
    open.mfe_pct = s.mfe_pct;
    open.mae_pct = s.mae_pct;
    return open;
  }
  ++s.bars_held;
  const bool buy = s.side != "sell";
  // "Through" means at or beyond the level in the adverse (stop) or
  // favourable (target) direction for this side.
  auto stop_through = [&](double px) { return s.stop && (buy ? px <= *s.stop : px >= *s.stop); };
  auto target_through = [&](double px) {
    return s.target && (buy ? px >= *s.target : px <= *s.target);
  };

  // 1. Gaps at the open fill at the open.
  if (stop_through(bar.open)) return Close(s, bar.ts_end, bar.open, kStatusStoppedOut, "stop_gap");
  if (target_through(bar.open))
    return Close(s, bar.ts_end, bar.open, kStatusTargetReached, "target_gap");

  // 2. Inside the bar; both touched: assume the stop came first. The open is
  // the one intra-bar price certainly seen before any exit.
  Excursion(s, bar.open);
  bool stop_hit = stop_through(buy ? bar.low : bar.high);
  bool target_hit = target_through(buy ? bar.high : bar.low);
  if (stop_hit && target_hit) {
    LifecycleStep st = Close(s, bar.ts_end, *s.stop, kStatusStoppedOut, "stop_same_bar");
    st.ambiguous = true;
    return st;
  }
  if (stop_hit) return Close(s, bar.ts_end, *s.stop, kStatusStoppedOut, "stop");
  if (target_hit) return Close(s, bar.ts_end, *s.target, kStatusTargetReached, "target");

  Excursion(s, bar.high);
  Excursion(s, bar.low);
  s.last_price = bar.close;

  // 3. Expiry at the close of the first bar ending at or after expires_at.
  if (s.expires_at && bar.ts_end >= *s.expires_at)
    return Close(s, bar.ts_end, bar.close, kStatusExpired, "expiry");

  LifecycleStep open;
  open.unrealized_pnl_pct = SignedReturnPct(s.side, s.entry, bar.close);
  open.mfe_pct = s.mfe_pct;
  open.mae_pct = s.mae_pct;
  return open;
}

}  // namespace sf::engine
