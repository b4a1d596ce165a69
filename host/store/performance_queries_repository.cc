#include "store/performance_queries_repository.h"

#include <algorithm>

namespace sf::store {

namespace {

#define SF_PQ_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

Status CheckPeriod(const std::string& period) {
  for (const char* p : kPerformancePeriods)
    if (period == p) return Status::Ok();
  return InvalidArgument("performance period '" + period + "' must be one of 7d, 30d, 90d, all");
}

constexpr const char* kPerformanceSelect =
    "SELECT st.name, p.period, to_char(p.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(p.computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), p.stats::text,"
    " (SELECT count(*) FROM signals s WHERE s.strategy_id = st.id AND s.status = 'active')"
    " FROM strategies st LEFT JOIN strategy_performance p ON p.strategy_id = st.id AND p.period = $1";

nlohmann::json RowJson(const Result& r, int i, const std::string& period) {
  nlohmann::json j = {{"strategy", r.GetString(i, 0)}, {"period", period}};
  const bool has = !r.IsNull(i, 1);
  j["as_of"] = has ? nlohmann::json(r.GetString(i, 2)) : nlohmann::json();
  j["computed_at"] = has ? nlohmann::json(r.GetString(i, 3)) : nlohmann::json();
  j["stats"] = has ? nlohmann::json::parse(r.GetString(i, 4), nullptr, false) : nlohmann::json();
  j["open_signals"] = r.GetInt64(i, 5);
  return j;
}

}  // namespace

StatusOr<std::vector<ClosedSignalRow>> PerformanceQueriesRepository::ClosedSignals(const std::string& strategy) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT s.id, s.strategy_id, st.name, i.symbol, s.side, s.timeframe, s.status, coalesce(s.exit_reason, ''), "
      SF_PQ_US("s.bar_ts") ", " SF_PQ_US("s.exit_at")
      ", s.entry_price, s.exit_price, s.realized_pnl_pct, coalesce(s.position_size_pct, 0)"
      " FROM signals s JOIN strategies st ON st.id = s.strategy_id JOIN instruments i ON i.id = s.instrument_id"
      " WHERE s.status <> 'active' AND s.exit_price IS NOT NULL AND s.realized_pnl_pct IS NOT NULL"
      " AND ($1 = '' OR st.name = $1) ORDER BY s.exit_at, s.id",
      Params().Add(strategy));
  if (!r.ok()) return r.status();
  std::vector<ClosedSignalRow> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    ClosedSignalRow c;
    c.id = r->GetString(i, 0);
    c.strategy_id = r->GetInt64(i, 1);
    c.strategy = r->GetString(i, 2);
    c.symbol = r->GetString(i, 3);
    c.side = r->GetString(i, 4);
    c.timeframe = r->GetString(i, 5);
    c.status = r->GetString(i, 6);
    c.exit_reason = r->GetString(i, 7);
    c.bar_ts = r->GetInt64(i, 8);
    c.exit_at = r->GetInt64(i, 9);
    c.entry_price = r->GetDouble(i, 10);
    c.exit_price = r->GetDouble(i, 11);
    c.return_pct = r->GetDouble(i, 12);
    c.size_pct = r->GetDouble(i, 13);
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::vector<StrategyRef>> PerformanceQueriesRepository::Strategies() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT id, name FROM strategies ORDER BY name");
  if (!r.ok()) return r.status();
  std::vector<StrategyRef> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->GetInt64(i, 0), r->GetString(i, 1)});
  return out;
}

Status PerformanceQueriesRepository::SaveStats(int64_t strategy_id, const std::string& period,
                                               int64_t as_of_us, const nlohmann::json& document) {
  SF_RETURN_IF_ERROR(CheckPeriod(period));
  if (!document.is_object()) return InvalidArgument("performance stats must be a JSON object");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "INSERT INTO strategy_performance (strategy_id, period, as_of, stats) VALUES ($1, $2, $3, $4::jsonb)"
      " ON CONFLICT (strategy_id, period) DO UPDATE SET as_of = EXCLUDED.as_of, stats = EXCLUDED.stats,"
      " computed_at = now()",
      Params().Add(strategy_id).Add(period).AddTimestamp(as_of_us).Add(document.dump()));
}

StatusOr<nlohmann::json> PerformanceQueriesRepository::StrategyPerformanceJson(const std::string& strategy,
                                                                               const std::string& period) {
  SF_RETURN_IF_ERROR(CheckPeriod(period));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string(kPerformanceSelect) + " WHERE st.name = $2",
                         Params().Add(period).Add(strategy));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("unknown strategy '" + strategy + "'");
  return RowJson(*r, 0, period);
}

StatusOr<nlohmann::json> PerformanceQueriesRepository::AllPerformanceJson(const std::string& period) {
  SF_RETURN_IF_ERROR(CheckPeriod(period));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string(kPerformanceSelect) + " ORDER BY st.name", Params().Add(period));
  if (!r.ok()) return r.status();
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < r->rows(); ++i) list.push_back(RowJson(*r, i, period));
  return nlohmann::json{{"period", period}, {"strategies", list}};
}

}  // namespace sf::store
