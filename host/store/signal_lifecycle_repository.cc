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
        "WITH p AS (INSERT INTO signal_performance (signal_id, bar_ts, price, unrealized_pnl_pct, days_held)"
        " VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (signal_id, bar_ts) DO UPDATE SET"
        " price = EXCLUDED.price, unrealized_pnl_pct = EXCLUDED.unrealized_pnl_pct,"
        " days_held = EXCLUDED.days_held)"
        " SELECT pg_notify($6, $1::text)",
        Params().Add(id).AddTimestamp(snap.bar_ts).Add(snap.price).Add(snap.unrealized_pnl_pct)
            .Add(snap.days_held).Add(kSignalsChannel));
  });
}

StatusOr<std::vector<std::string>> SignalLifecycleRepository::Advance(const std::vector<SnapshotWrite>& snapshots,
                                                                       const std::vector<CloseWrite>& closes) {
  std::vector<std::string> closed;
  if (snapshots.empty() && closes.empty()) return closed;
  nlohmann::json snaps = nlohmann::json::array(), rows = nlohmann::json::array();
  for (const auto& w : snapshots) {
    snaps.push_back({{"id", w.signal_id}, {"ts", w.snapshot.bar_ts}, {"price", w.snapshot.price},
                     {"pnl", w.snapshot.unrealized_pnl_pct}, {"days", w.snapshot.days_held}});
  }
  for (const auto& w : closes) {
    if (w.close.status == "active") return InvalidArgument("signal close: status must not be 'active'");
    nlohmann::json row = {{"id", w.signal_id},           {"status", w.close.status},
                          {"exit_price", w.close.exit_price}, {"reason", w.close.exit_reason},
                          {"exit_at", w.close.exit_at},  {"pnl", w.close.realized_pnl_pct},
                          {"ts", w.snapshot.bar_ts},     {"price", w.snapshot.price},
                          {"snap_pnl", w.snapshot.unrealized_pnl_pct}, {"days", w.snapshot.days_held}};
    row["mfe"] = w.close.max_favorable_excursion_pct ? nlohmann::json(*w.close.max_favorable_excursion_pct)
                                                     : nlohmann::json();
    row["mae"] = w.close.max_adverse_excursion_pct ? nlohmann::json(*w.close.max_adverse_excursion_pct)
                                                   : nlohmann::json();
    rows.push_back(std::move(row));
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  // One statement, so one round trip and atomic on its own: open signals'
  // snapshots; closes applied to rows still active, with their closing
  // snapshot and a NOTIFY each (delivered when the statement commits).
  auto r = (*conn)->ExecPrepared(
      "sf_lifecycle_advance",
      "WITH snaps AS ("
      "  INSERT INTO signal_performance (signal_id, bar_ts, price, unrealized_pnl_pct, days_held)"
      "  SELECT x.id, timestamptz 'epoch' + x.ts * interval '1 microsecond', x.price, x.pnl, x.days"
      "  FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, ts bigint, price float8, pnl float8, days float8)"
      "  JOIN signals s ON s.id = x.id"
      "  ON CONFLICT (signal_id, bar_ts) DO UPDATE SET price = EXCLUDED.price,"
      "  unrealized_pnl_pct = EXCLUDED.unrealized_pnl_pct, days_held = EXCLUDED.days_held),"
      " x AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, status text, exit_price float8,"
      "   reason text, exit_at bigint, pnl float8, mfe float8, mae float8, ts bigint, price float8,"
      "   snap_pnl float8, days float8)),"
      " c AS (UPDATE signals s SET status = x.status, exit_price = x.exit_price, exit_reason = x.reason,"
      "   exit_at = timestamptz 'epoch' + x.exit_at * interval '1 microsecond', realized_pnl_pct = x.pnl,"
      "   max_favorable_excursion_pct = x.mfe, max_adverse_excursion_pct = x.mae,"
      "   current_price = x.exit_price, updated_at = now()"
      "   FROM x WHERE s.id = x.id AND s.status = 'active' RETURNING s.id),"
      " p AS (INSERT INTO signal_performance (signal_id, bar_ts, price, unrealized_pnl_pct, days_held)"
      "   SELECT x.id, timestamptz 'epoch' + x.ts * interval '1 microsecond', x.price, x.snap_pnl, x.days"
      "   FROM x JOIN c ON c.id = x.id"
      "   ON CONFLICT (signal_id, bar_ts) DO UPDATE SET price = EXCLUDED.price,"
      "   unrealized_pnl_pct = EXCLUDED.unrealized_pnl_pct, days_held = EXCLUDED.days_held)"
      " SELECT c.id::text, pg_notify($3, c.id::text) FROM c ORDER BY 1",
      Params().Add(snaps.dump()).Add(rows.dump()).Add(kSignalsChannel));
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) closed.push_back(r->GetString(i, 0));
  return closed;
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
