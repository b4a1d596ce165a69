// Routes: performance of closed signals per period (7d/30d/90d/all), grouped
// daily or weekly, overall and per strategy, plus the engine's persisted
// statistics (Sharpe, Sortino, drawdown...; engine/performance.h computes
// them, store/performance_queries_repository.h serves them). Every tier may
// read performance summaries.
#include "api/router.h"
#include "api/routes_common.h"
#include "store/performance_queries_repository.h"
#include "store/signal_queries_repository.h"

namespace sf::api {
namespace {

using nlohmann::json;

json StatsJson(const store::PerformanceStats& s) {
  return {{"key", s.key},
          {"count", s.count},
          {"wins", s.wins},
          {"losses", s.losses},
          {"win_rate", s.win_rate},
          {"avg_return_pct", s.avg_return_pct},
          {"median_return_pct", s.median_return_pct},
          {"total_return_pct", s.total_return_pct},
          {"best_pct", s.best_pct},
          {"worst_pct", s.worst_pct},
          {"stddev_pct", s.stddev_pct},
          {"avg_days_held", s.avg_days_held}};
}

int64_t PeriodDays(const std::string& period) {
  if (period == "7d") return 7;
  if (period == "30d") return 30;
  if (period == "90d") return 90;
  return 0;
}

ApiResponse Performance(ApiRequest& r) {
  std::string period = r.QueryEnum("period", "30d", {"7d", "30d", "90d", "all"});
  std::string grouping = r.QueryEnum("grouping", "daily", {"daily", "weekly"});
  store::PerformanceQuery q;
  q.grouping = grouping;
  if (int64_t days = PeriodDays(period)) q.since = NowMicros() - days * 86'400'000'000LL;
  if (r.Query("strategy")) q.strategy = r.QueryString("strategy", "", 100);
  auto rep = ValueOrThrow(store::SignalQueriesRepository(r.pool).Performance(q));
  json strategies = json::array();
  for (const auto& s : rep.by_strategy) strategies.push_back(StatsJson(s));
  json series = json::array();
  for (const auto& s : rep.buckets) series.push_back(StatsJson(s));
  // The engine's statistics (null until it has computed them).
  store::PerformanceQueriesRepository engine(r.pool);
  json engine_stats;
  if (q.strategy) {
    auto one = engine.StrategyPerformanceJson(*q.strategy, period);
    if (!one.ok() && one.status().code() != SF_ERR_NOT_FOUND) OkOrThrow(one.status());
    engine_stats = one.ok() ? json::array({*one}) : json::array();
  } else {
    auto all = engine.AllPerformanceJson(period);
    OkOrThrow(all.status());
    engine_stats = all->value("strategies", json::array());
  }
  json body = {{"period", period},
               {"grouping", grouping},
               {"strategy", OrNull(q.strategy)},
               {"since", TimeOrNull(q.since)},
               {"overall", StatsJson(rep.overall)},
               {"strategies", std::move(strategies)},
               {"series", std::move(series)},
               {"active_signals", rep.active},
               {"engine_stats", std::move(engine_stats)}};
  return {.body = std::move(body)};
}

const RouteRegistrar kPerformanceRoutes({
    {.method = "GET",
     .pattern = "/api/v1/performance",
     .min_tier = Tier::kFree,
     .scope = "performance:read",
     .openapi = Operation(
         "Performance of closed signals", "performance", 200,
         "Overall and per-strategy statistics, a daily or weekly series, and the engine's "
         "risk statistics",
         {{"period", {{"type", "string"}, {"enum", {"7d", "30d", "90d", "all"}}}, "default 30d"},
          {"grouping", {{"type", "string"}, {"enum", {"daily", "weekly"}}}, "default daily"},
          {"strategy", {{"type", "string"}}, "one strategy only"}}),
     .handler = Performance},
});

}  // namespace
}  // namespace sf::api
