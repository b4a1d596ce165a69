#include "store/signals_repository.h"

#include <cctype>
#include <cmath>

#include "store/bars_repository.h"

namespace sf::store {

namespace {

#define SF_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kSignalColumns =
    "s.id, s.strategy_id, s.strategy_version_id, i.symbol, s.side, s.timeframe, " SF_US("s.bar_ts")
    ", " SF_US("s.created_at") ", " SF_US("s.expires_at")
    ", s.entry_price, s.current_price, s.confidence, s.target_price, s.stop_price, s.status,"
    " s.exit_price, " SF_US("s.exit_at") ", s.realized_pnl_pct";

StoredSignal SignalFromRow(const Result& r, int row) {
  StoredSignal s;
  s.id = r.GetString(row, 0);
  s.strategy_id = r.GetInt64(row, 1);
  s.strategy_version_id = r.GetInt64(row, 2);
  s.symbol = r.GetString(row, 3);
  s.side = r.GetString(row, 4);
  s.timeframe = r.GetString(row, 5);
  s.bar_ts = r.GetInt64(row, 6);
  s.created_at = r.GetInt64(row, 7);
  if (!r.IsNull(row, 8)) s.expires_at = r.GetInt64(row, 8);
  s.entry_price = r.GetDouble(row, 9);
  s.current_price = r.GetDouble(row, 10);
  s.confidence = r.GetDouble(row, 11);
  s.target_price = r.GetOptionalDouble(row, 12);
  s.stop_price = r.GetOptionalDouble(row, 13);
  s.status = r.GetString(row, 14);
  s.exit_price = r.GetOptionalDouble(row, 15);
  if (!r.IsNull(row, 16)) s.exit_at = r.GetInt64(row, 16);
  s.realized_pnl_pct = r.GetOptionalDouble(row, 17);
  return s;
}

Status ValidateSignal(const NewSignal& s) {
  auto bad = [&](const std::string& rule) {
    return InvalidArgument("signal " + s.symbol + " @" + FormatTimestamp(s.bar_ts) + ": " + rule);
  };
  if (s.side != "buy" && s.side != "sell") return bad("side '" + s.side + "' must be buy or sell");
  if (!(s.confidence >= 0 && s.confidence <= 1)) return bad("confidence must be within 0..1");
  if (!(std::isfinite(s.entry_price) && s.entry_price > 0)) return bad("entry_price must be > 0");
  if (!(std::isfinite(s.current_price) && s.current_price > 0))
    return bad("current_price must be > 0");
  if (s.target_price && !(*s.target_price > 0)) return bad("target_price must be > 0");
  if (s.stop_price && !(*s.stop_price > 0)) return bad("stop_price must be > 0");
  if (s.position_size_pct && !(*s.position_size_pct >= 0 && *s.position_size_pct <= 100))
    return bad("position_size_pct must be within 0..100");
  if (s.max_risk_pct && !(*s.max_risk_pct >= 0 && *s.max_risk_pct <= 100))
    return bad("max_risk_pct must be within 0..100");
  if (s.expires_at && *s.expires_at <= s.bar_ts) return bad("expires_at must be after bar_ts");
  if (!s.model_attribution.is_object() || !s.features.is_object())
    return bad("model_attribution and features must be JSON objects");
  return Status::Ok();
}

// 8-4-4-4-12 hex digits.
bool IsUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

StatusOr<StrategyVersionRef> StrategiesRepository::EnsureVersion(
    const std::string& name, const std::string& content_hash, const std::string& source,
    const nlohmann::json& params, const std::string& status,
    const std::optional<std::string>& load_errors) {
  StrategyVersionRef ref;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto st = c.Exec(
        "WITH ins AS (INSERT INTO strategies (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
        " RETURNING id) SELECT id FROM ins UNION ALL SELECT id FROM strategies WHERE name = $1",
        Params().Add(name));
    if (!st.ok()) return st.status();
    ref.strategy_id = st->GetInt64(0, 0);
    auto v = c.Exec(
        "INSERT INTO strategy_versions (strategy_id, content_hash, source, params, status,"
        " load_errors) VALUES ($1, $2, $3, $4::jsonb, $5, $6)"
        " ON CONFLICT (strategy_id, content_hash) DO UPDATE SET status = EXCLUDED.status,"
        " load_errors = EXCLUDED.load_errors RETURNING id, (xmax = 0)",
        Params().Add(ref.strategy_id).Add(content_hash).Add(source).Add(params.dump())
            .Add(status).Add(load_errors));
    if (!v.ok()) return v.status();
    ref.version_id = v->GetInt64(0, 0);
    ref.created = v->GetBool(0, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return ref;
}

StatusOr<InsertSignalResult> SignalsRepository::InsertSignalWithOutbox(
    const NewSignal& sig, const std::vector<OutboxItem>& outbox) {
  SF_RETURN_IF_ERROR(ValidateSignal(sig));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& o : outbox) {
    if (o.channel.empty()) return InvalidArgument("outbox item: channel is empty");
    if (!o.payload.is_object()) return InvalidArgument("outbox item: payload must be a JSON object");
    nlohmann::json row = {{"event_type", o.event_type},
                          {"channel", o.channel},
                          {"destination", o.destination},
                          {"payload", o.payload}};
    row["subscription_id"] = o.subscription_id ? nlohmann::json(*o.subscription_id) : nlohmann::json();
    rows.push_back(std::move(row));
  }
  InsertSignalResult result;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto refs = c.Exec(
        "SELECT (SELECT strategy_id FROM strategy_versions WHERE id = $1),"
        " (SELECT id FROM instruments WHERE symbol = $2)",
        Params().Add(sig.strategy_version_id).Add(sig.symbol));
    if (!refs.ok()) return refs.status();
    if (refs->IsNull(0, 0))
      return NotFound("signal: unknown strategy version " + std::to_string(sig.strategy_version_id));
    if (refs->IsNull(0, 1)) return NotFound("signal: unknown instrument '" + sig.symbol + "'");
    Params p;
    p.Add(refs->GetInt64(0, 0)).Add(sig.strategy_version_id).Add(refs->GetInt64(0, 1));
    p.Add(sig.side).Add(TimeframeSqlName(sig.timeframe)).AddTimestamp(sig.bar_ts);
    p.AddOptionalTimestamp(sig.expires_at).Add(sig.entry_price).Add(sig.current_price);
    p.Add(sig.target_price).Add(sig.stop_price).Add(sig.risk_reward).Add(sig.position_size_pct);
    p.Add(sig.max_risk_pct).Add(sig.confidence).Add(sig.model_attribution.dump());
    p.Add(sig.features.dump()).Add(sig.summary).Add(sig.triggering_news_id);
    auto ins = c.Exec(
        "INSERT INTO signals (strategy_id, strategy_version_id, instrument_id, side, timeframe,"
        " bar_ts, expires_at, entry_price, current_price, target_price, stop_price, risk_reward,"
        " position_size_pct, max_risk_pct, confidence, model_attribution, features, summary,"
        " triggering_news_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " $14, $15, $16::jsonb, $17::jsonb, $18, $19)"
        " ON CONFLICT ON CONSTRAINT signals_once_per_bar DO NOTHING RETURNING id",
        p);
    if (!ins.ok()) return ins.status();
    if (ins->rows() == 0) {
      // Already stored by an earlier run of this bar: report it, add nothing.
      auto existing = c.Exec(
          "SELECT id FROM signals WHERE strategy_id = $1 AND instrument_id = $2"
          " AND timeframe = $3 AND bar_ts = $4",
          Params().Add(refs->GetInt64(0, 0)).Add(refs->GetInt64(0, 1))
              .Add(TimeframeSqlName(sig.timeframe)).AddTimestamp(sig.bar_ts));
      if (!existing.ok()) return existing.status();
      if (existing->rows() == 0) return Internal("signal conflict without an existing row");
      result.signal_id = existing->GetString(0, 0);
      result.created = false;
      return Status::Ok();
    }
    result.signal_id = ins->GetString(0, 0);
    result.created = true;
    if (!rows.empty()) {
      // The idempotency key is stable for (signal, event, destination), so a
      // delivery keeps its id (webhook-id) across every retry.
      auto ob = c.Exec(
          "INSERT INTO deliveries (idempotency_key, event_type, signal_id, subscription_id,"
          " channel, destination, payload)"
          " SELECT $1 || ':' || (e->>'event_type') || ':' ||"
          "  coalesce(e->>'subscription_id', (e->>'channel') || ':' || (e->>'destination')),"
          "  e->>'event_type', $1::uuid, (e->>'subscription_id')::bigint, e->>'channel',"
          "  e->>'destination', (e->'payload') || jsonb_build_object('signal_id', $1::text)"
          " FROM jsonb_array_elements($2::jsonb) e"
          " ON CONFLICT (idempotency_key) DO NOTHING",
          Params().Add(result.signal_id).Add(rows.dump()));
      if (!ob.ok()) return ob.status();
      result.outbox_rows = static_cast<int>(ob->AffectedRows());
    }
    // Delivered to listeners only when this transaction commits.
    return c.Run("SELECT pg_notify($1, $2), pg_notify($3, $4)",
                 Params().Add(kSignalsChannel).Add(result.signal_id).Add(kOutboxChannel)
                     .Add(std::to_string(result.outbox_rows)));
  });
  if (!s.ok()) return s;
  return result;
}

StatusOr<StoredSignal> SignalsRepository::Find(const std::string& id) {
  // A malformed UUID is "not found", not a server error.
  if (!IsUuid(id)) return NotFound("unknown signal '" + id + "' (not a UUID)");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kSignalColumns +
                             " FROM signals s JOIN instruments i ON i.id = s.instrument_id"
                             " WHERE s.id = $1::uuid",
                         Params().Add(id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("unknown signal '" + id + "'");
  return SignalFromRow(*r, 0);
}

StatusOr<std::vector<StoredSignal>> SignalsRepository::ListActive() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kSignalColumns +
                         " FROM signals s JOIN instruments i ON i.id = s.instrument_id"
                         " WHERE s.status = 'active' ORDER BY s.created_at, s.id");
  if (!r.ok()) return r.status();
  std::vector<StoredSignal> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(SignalFromRow(*r, i));
  return out;
}

Status SignalsRepository::Close(const std::string& id, const SignalClose& close) {
  if (close.status == "active") return InvalidArgument("signal close: status must not be 'active'");
  if (!IsUuid(id)) return NotFound("unknown signal '" + id + "' (not a UUID)");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE signals SET status = $2, exit_price = $3, exit_reason = $4, exit_at = $5,"
      " realized_pnl_pct = $6, max_favorable_excursion_pct = $7, max_adverse_excursion_pct = $8,"
      " updated_at = now() WHERE id = $1::uuid AND status = 'active'",
      Params().Add(id).Add(close.status).Add(close.exit_price).Add(close.exit_reason)
          .AddTimestamp(close.exit_at).Add(close.realized_pnl_pct)
          .Add(close.max_favorable_excursion_pct).Add(close.max_adverse_excursion_pct));
  if (!r.ok()) return r.status();
  if (r->AffectedRows() == 0) return Conflict("signal '" + id + "' is not active (or unknown)");
  return Status::Ok();
}

Status SignalsRepository::RecordPerformance(const std::string& id, int64_t bar_ts, double price,
                                            double unrealized_pnl_pct, double days_held) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "INSERT INTO signal_performance (signal_id, bar_ts, price, unrealized_pnl_pct, days_held)"
      " VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (signal_id, bar_ts) DO UPDATE SET"
      " price = EXCLUDED.price, unrealized_pnl_pct = EXCLUDED.unrealized_pnl_pct,"
      " days_held = EXCLUDED.days_held",
      Params().Add(id).AddTimestamp(bar_ts).Add(price).Add(unrealized_pnl_pct).Add(days_held));
}

}  // namespace sf::store
