#include "store/backtests_repository.h"

#include <cmath>

#include "store/bars_repository.h"

namespace sf::store {
namespace {

#define SF_BT_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kRunColumns =
    "id::text, user_id, strategy_name, params::text, universe::text, timeframe, "
    SF_BT_US("period_start") ", " SF_BT_US("period_end") ", status, metrics::text, "
    "coalesce(error, '')";

BacktestRunRow RunFrom(const Result& r, int i) {
  BacktestRunRow run;
  run.id = r.GetString(i, 0);
  if (!r.IsNull(i, 1)) run.user_id = r.GetInt64(i, 1);
  run.strategy_name = r.GetString(i, 2);
  run.params = nlohmann::json::parse(r.Get(i, 3), nullptr, false);
  run.universe = nlohmann::json::parse(r.Get(i, 4), nullptr, false);
  run.timeframe = r.GetString(i, 5);
  run.period_start = r.GetInt64(i, 6);
  run.period_end = r.GetInt64(i, 7);
  run.status = r.GetString(i, 8);
  run.metrics = nlohmann::json::parse(r.Get(i, 9), nullptr, false);
  run.error = r.GetString(i, 10);
  return run;
}

// JSON has no NaN/inf; metrics that are not finite are stored as null.
nlohmann::json Finite(const nlohmann::json& j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return nullptr;
  if (j.is_structured()) {
    nlohmann::json out = j;
    for (auto it = out.begin(); it != out.end(); ++it) *it = Finite(*it);
    return out;
  }
  return j;
}

}  // namespace

StatusOr<std::string> BacktestsRepository::Start(const BacktestRunRow& run) {
  if (run.period_end <= run.period_start)
    return InvalidArgument("backtest run: period_end must be after period_start");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "INSERT INTO backtest_runs (user_id, strategy_name, params, universe, timeframe, "
      "period_start, period_end, status, started_at) "
      "VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, 'running', now()) RETURNING id::text",
      Params().Add(run.user_id).Add(run.strategy_name).Add(Finite(run.params).dump())
          .Add(run.universe.dump()).Add(run.timeframe).AddTimestamp(run.period_start)
          .AddTimestamp(run.period_end));
  if (!r.ok()) return r.status();
  return r->GetString(0, 0);
}

Status BacktestsRepository::Finish(const std::string& run_id, const nlohmann::json& metrics,
                                   const std::vector<BacktestTradeRow>& trades) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : trades) {
    nlohmann::json j = {{"symbol", t.symbol},          {"side", t.side},
                        {"quantity", t.quantity},      {"entry_us", t.entry_ts},
                        {"entry_price", t.entry_price}, {"fees", t.fees},
                        {"exit_reason", t.exit_reason.empty() ? nlohmann::json() : nlohmann::json(t.exit_reason)}};
    j["exit_us"] = t.exit_ts ? nlohmann::json(*t.exit_ts) : nlohmann::json();
    j["exit_price"] = t.exit_price ? nlohmann::json(*t.exit_price) : nlohmann::json();
    j["pnl_pct"] = t.pnl_pct && std::isfinite(*t.pnl_pct) ? nlohmann::json(*t.pnl_pct) : nlohmann::json();
    rows.push_back(std::move(j));
  }
  return pool_->InTransaction([&](Connection& c) -> Status {
    auto ins = c.Exec(
        "INSERT INTO backtest_trades (run_id, instrument_id, symbol, side, quantity, entry_ts, "
        "entry_price, exit_ts, exit_price, exit_reason, pnl_pct, fees) "
        "SELECT $1::uuid, i.id, x.symbol, x.side, x.quantity, to_timestamp(x.entry_us / 1e6), "
        "x.entry_price, to_timestamp(x.exit_us / 1e6), x.exit_price, x.exit_reason, x.pnl_pct, "
        "x.fees FROM json_to_recordset($2::json) AS x(symbol text, side text, quantity float8, "
        "entry_us bigint, entry_price float8, exit_us bigint, exit_price float8, "
        "exit_reason text, pnl_pct float8, fees float8) "
        "LEFT JOIN instruments i ON i.symbol = x.symbol",
        Params().Add(run_id).Add(rows.dump()));
    if (!ins.ok()) return ins.status();
    auto up = c.Exec(
        "UPDATE backtest_runs SET status = 'done', metrics = $2::jsonb, finished_at = now() "
        "WHERE id = $1::uuid",
        Params().Add(run_id).Add(Finite(metrics).dump()));
    if (!up.ok()) return up.status();
    if (up->AffectedRows() != 1) return NotFound("backtest run " + run_id + " does not exist");
    return Status::Ok();
  });
}

Status BacktestsRepository::Fail(const std::string& run_id, const std::string& error,
                                 bool cancelled) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "UPDATE backtest_runs SET status = $2, error = $3, finished_at = now() WHERE id = $1::uuid",
      Params().Add(run_id).Add(cancelled ? "cancelled" : "failed").Add(error));
}

StatusOr<BacktestRunRow> BacktestsRepository::Get(const std::string& run_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kRunColumns +
                             " FROM backtest_runs WHERE id::text = $1",
                         Params().Add(run_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("backtest run " + run_id + " does not exist");
  return RunFrom(*r, 0);
}

StatusOr<std::vector<BacktestTradeRow>> BacktestsRepository::Trades(const std::string& run_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT symbol, side, quantity, " SF_BT_US("entry_ts") ", entry_price, " SF_BT_US("exit_ts")
      ", exit_price, coalesce(exit_reason, ''), pnl_pct, fees FROM backtest_trades "
      "WHERE run_id::text = $1 ORDER BY entry_ts, id",
      Params().Add(run_id));
  if (!r.ok()) return r.status();
  std::vector<BacktestTradeRow> out;
  for (int i = 0; i < r->rows(); ++i) {
    BacktestTradeRow t;
    t.symbol = r->GetString(i, 0);
    t.side = r->GetString(i, 1);
    t.quantity = r->GetDouble(i, 2);
    t.entry_ts = r->GetInt64(i, 3);
    t.entry_price = r->GetDouble(i, 4);
    if (!r->IsNull(i, 5)) t.exit_ts = r->GetInt64(i, 5);
    t.exit_price = r->GetOptionalDouble(i, 6);
    t.exit_reason = r->GetString(i, 7);
    t.pnl_pct = r->GetOptionalDouble(i, 8);
    t.fees = r->GetDouble(i, 9);
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<std::vector<BacktestRunRow>> BacktestsRepository::List(int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kRunColumns +
                             " FROM backtest_runs ORDER BY created_at DESC LIMIT $1",
                         Params().Add(std::max(1, std::min(limit, 1000))));
  if (!r.ok()) return r.status();
  std::vector<BacktestRunRow> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(RunFrom(*r, i));
  return out;
}

StatusOr<market::BarSeries> BacktestsRepository::LoadAdjustedBars(const std::string& symbol,
                                                                  market::Timeframe timeframe,
                                                                  int64_t from_us, int64_t to_us) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT " SF_BT_US("b.ts_end") ", b.open * f, b.high * f, b.low * f, b.close * f, b.volume "
      "FROM instruments i JOIN bars b ON b.instrument_id = i.id "
      "CROSS JOIN LATERAL (SELECT coalesce(b.adj_factor, 1.0) AS f) x "
      "WHERE i.symbol = $1 AND b.timeframe = $2 "
      "AND b.ts_start BETWEEN $3::timestamptz - interval '7 days' AND $4 "
      "AND b.ts_end BETWEEN $3 AND $4 ORDER BY b.ts_start",
      Params().Add(symbol).Add(TimeframeSqlName(timeframe)).AddTimestamp(from_us).AddTimestamp(to_us));
  if (!r.ok()) return r.status();
  market::BarSeries s;
  s.symbol = symbol;
  s.timeframe = timeframe;
  if (r->rows() == 0) {
    auto known = (*conn)->Exec("SELECT 1 FROM instruments WHERE symbol = $1", Params().Add(symbol));
    if (!known.ok()) return known.status();
    if (known->rows() == 0) return NotFound("unknown instrument '" + symbol + "'");
    return s;
  }
  s.Reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i)
    s.Append(r->GetInt64(i, 0), r->GetDouble(i, 1), r->GetDouble(i, 2), r->GetDouble(i, 3),
             r->GetDouble(i, 4), r->GetDouble(i, 5));
  return s;
}

}  // namespace sf::store
