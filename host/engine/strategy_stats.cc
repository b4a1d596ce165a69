#include "engine/strategy_stats.h"

#include <map>

#include "store/performance_queries_repository.h"

namespace sf::engine {

namespace {

constexpr int64_t kUsPerDay = 86'400'000'000;

int64_t PeriodStart(Period p, int64_t now) {
  switch (p) {
    case Period::k7d: return now - 7 * kUsPerDay;
    case Period::k30d: return now - 30 * kUsPerDay;
    case Period::k90d: return now - 90 * kUsPerDay;
    case Period::kAll: break;
  }
  return INT64_MIN;
}

}  // namespace

nlohmann::json PeriodDocument(const PerformanceStats& stats, const std::vector<DailyPerformance>& daily,
                              int64_t from_us) {
  nlohmann::json doc = stats.ToJson();
  nlohmann::json rows = nlohmann::json::array();
  const int64_t from_day = from_us == INT64_MIN ? INT64_MIN : from_us / kUsPerDay;
  for (const auto& d : daily) {
    if (d.day < from_day) continue;
    rows.push_back({{"date", d.date},
                    {"trades_closed", d.trades_closed},
                    {"wins", d.wins},
                    {"trade_return_sum_pct", d.trade_return_sum_pct},
                    {"equity", d.equity},
                    {"return_pct", d.return_pct}});
  }
  doc["daily"] = std::move(rows);
  return doc;
}

StatusOr<int> RefreshStrategyPerformance(store::Pool* pool, const std::vector<EquityPoint>& benchmark,
                                         int64_t now_us, const std::string& strategy) {
  store::PerformanceQueriesRepository repo(pool);
  auto closed = repo.ClosedSignals(strategy);
  if (!closed.ok()) return closed.status();
  std::map<int64_t, std::vector<ClosedTrade>> by_strategy;
  if (strategy.empty()) {
    auto all = repo.Strategies();
    if (!all.ok()) return all.status();
    for (const auto& s : *all) by_strategy[s.id];
  }
  for (const auto& c : *closed) {
    by_strategy[c.strategy_id].push_back(
        {c.symbol, c.side, c.bar_ts, c.exit_at, c.return_pct, c.size_pct > 0 ? c.size_pct : 100.0});
  }
  int saved = 0;
  for (const auto& [id, trades] : by_strategy) {
    const auto equity = EquityFromTrades(trades, 100.0);
    const auto daily = GroupDaily(trades, equity);
    const auto periods = ComputePeriods(trades, equity, benchmark, now_us);
    for (Period p : {Period::k7d, Period::k30d, Period::k90d, Period::kAll}) {
      const std::string name(PeriodName(p));
      auto it = periods.find(name);
      if (it == periods.end()) continue;
      SF_RETURN_IF_ERROR(repo.SaveStats(id, name, now_us, PeriodDocument(it->second, daily, PeriodStart(p, now_us))));
      ++saved;
    }
  }
  return saved;
}

}  // namespace sf::engine
