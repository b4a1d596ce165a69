#include "store/signal_lifecycle_repository.h"

namespace sf::store {

namespace {
#define SF_LC_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
}  // namespace

StatusOr<std::vector<ActiveSignal>> SignalLifecycleRepository::ListActive(const std::string& timeframe) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT s.id, s.strategy_id, s.strategy_version_id, i.symbol, s.side, s.timeframe, " SF_LC_US("s.bar_ts")
      ", " SF_LC_US("s.created_at") ", " SF_LC_US("s.expires_at")
      ", s.entry_price, s.current_price, s.confidence, s.target_price, s.stop_price,"
      " st.name, coalesce(i.sector, ''), s.position_size_pct,"
      " (SELECT " SF_LC_US("max(p.bar_ts)") " FROM signal_performance p WHERE p.signal_id = s.id)"
      " FROM signals s JOIN instruments i ON i.id = s.instrument_id"
      " JOIN strategies st ON st.id = s.strategy_id"
      " WHERE s.status = 'active' AND ($1 = '' OR s.timeframe = $1)"
      " ORDER BY s.created_at, s.id",
      Params().Add(timeframe));
  if (!r.ok()) return r.status();
  std::vector<ActiveSignal> out;
  for (int i = 0; i < r->rows(); ++i) {
    ActiveSignal a;
    StoredSignal& s = a.signal;
    s.id = r->GetString(i, 0);
    s.strategy_id = r->GetInt64(i, 1);
    s.strategy_version_id = r->GetInt64(i, 2);
    s.symbol = r->GetString(i, 3);
    s.side = r->GetString(i, 4);
    s.timeframe = r->GetString(i, 5);
    s.bar_ts = r->GetInt64(i, 6);
    s.created_at = r->GetInt64(i, 7);
    if (!r->IsNull(i, 8)) s.expires_at = r->GetInt64(i, 8);
    s.entry_price = r->GetDouble(i, 9);
    s.current_price = r->GetDouble(i, 10);
    s.confidence = r->GetDouble(i, 11);
    s.target_price = r->GetOptionalDouble(i, 12);
    s.stop_price = r->GetOptionalDouble(i, 13);
    s.status = "active";
    a.strategy = r->GetString(i, 14);
    a.sector = r->GetString(i, 15);
    a.position_size_pct = r->GetOptionalDouble(i, 16);
    if (!r->IsNull(i, 17)) a.last_snapshot_ts = r->GetInt64(i, 17);
    out.push_back(std::move(a));
  }
  return out;
}

Status SignalLifecycleRepository::CloseWithSnapshot(const std::string& id, const SignalClose& close,
                                                    const PerformanceSnapshot& snap) {
  if (close.status == "active") return InvalidArgument("signal close: status must not be 'active'");
  return pool_->InTransaction([&](Connection& c) -> Status {
    auto r = c.Exec(
        "UPDATE signals SET status = $2, exit_price = $3, exit_reason = $4, exit_at = $5,"
        " realized_pnl_pct = $6, max_favorable_excursion_pct = $7, max_adverse_excursion_pct = $8,"
        " current_price = $3, updated_at = now() WHERE id = $1::uuid AND status = 'active'",
        Params().Add(id).Add(close.status).Add(close.exit_price).Add(close.exit_reason)
            .AddTimestamp(close.exit_at).Add(close.realized_pnl_pct)
            .Add(close.max_favorable_excursion_pct).Add(close.max_adverse_excursion_pct));
    if (!r.ok()) return r.status();
    if (r->AffectedRows() == 0) return Conflict("signal '" + id + "' is not active (or unknown)");
    return c.Run(
        "INSERT INTO signal_performance (signal_id, bar_ts, price, unrealized_pnl_pct, days_held)"
        " VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (signal_id, bar_ts) DO UPDATE SET"
        " price = EXCLUDED.price, unrealized_pnl_pct = EXCLUDED.unrealized_pnl_pct,"
        " days_held = EXCLUDED.days_held",
        Params().Add(id).AddTimestamp(snap.bar_ts).Add(snap.price).Add(snap.unrealized_pnl_pct)
            .Add(snap.days_held));
  });
}

StatusOr<double> SignalLifecycleRepository::RealizedContributionPct() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT coalesce(sum(coalesce(position_size_pct, 0) * realized_pnl_pct / 100), 0)"
      " FROM signals WHERE status <> 'active' AND realized_pnl_pct IS NOT NULL");
  if (!r.ok()) return r.status();
  return r->GetDouble(0, 0);
}

StatusOr<int64_t> SignalLifecycleRepository::CountSignals(const std::string& strategy,
                                                          const std::string& status) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT count(*) FROM signals s JOIN strategies st ON st.id = s.strategy_id"
      " WHERE ($1 = '' OR st.name = $1) AND ($2 = '' OR s.status = $2)",
      Params().Add(strategy).Add(status));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

}  // namespace sf::store
