// Live performance statistics per strategy: computes, from the store's
// closed signals, the statistics of engine/performance.h for the periods
// 7d / 30d / 90d / all (ending at `now`) and a daily grouping, and saves them
// (store/performance_queries_repository.h) where the API reads them.
//
// Trades are the closed signals (return = realized_pnl_pct, size = the
// signal's position_size_pct, 100 when unknown); the equity curve compounds
// them (EquityFromTrades); the benchmark is the equal-weight index of the
// universe series the engine holds, unless the caller passes another.
//
// Thread-safety: stateless functions; safe from any thread.
#ifndef SF_ENGINE_STRATEGY_STATS_H_
#define SF_ENGINE_STRATEGY_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "engine/performance.h"
#include "store/pool.h"

namespace sf::engine {

// The saved document of one period: ComputeStats' JSON plus
// "daily": [GroupDaily rows of the period].
nlohmann::json PeriodDocument(const PerformanceStats& stats, const std::vector<DailyPerformance>& daily,
                              int64_t from_us);

// Recomputes and saves every period of `strategy` (every strategy when
// empty); returns how many (strategy, period) documents were saved.
StatusOr<int> RefreshStrategyPerformance(store::Pool* pool, const std::vector<EquityPoint>& benchmark,
                                         int64_t now_us, const std::string& strategy = "");

}  // namespace sf::engine

#endif  // SF_ENGINE_STRATEGY_STATS_H_
