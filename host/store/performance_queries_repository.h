// Performance statistics of strategies in PostgreSQL: the closed signals
// they are computed from, and the persisted results (table
// strategy_performance, migration 0007) the API serves.
//
// The engine computes the statistics (engine/performance.h) after signals
// close and saves one JSON document per (strategy, period); readers get
// them with StrategyPerformanceJson without recomputing anything:
//
//   store::PerformanceQueriesRepository perf(&pool);
//   StatusOr<nlohmann::json> j = perf.StrategyPerformanceJson("mean_reversion", "30d");
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_PERFORMANCE_QUERIES_REPOSITORY_H_
#define SF_STORE_PERFORMANCE_QUERIES_REPOSITORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

inline constexpr const char* kPerformancePeriods[] = {"7d", "30d", "90d", "all"};

struct ClosedSignalRow {
  std::string id;
  int64_t strategy_id = 0;
  std::string strategy, symbol, side, timeframe, status, exit_reason;
  int64_t bar_ts = 0, exit_at = 0;
  double entry_price = 0, exit_price = 0, return_pct = 0;
  double size_pct = 0;  // position_size_pct, 0 when unknown
};

struct StrategyRef {
  int64_t id = 0;
  std::string name;
};

class PerformanceQueriesRepository {
 public:
  explicit PerformanceQueriesRepository(Pool* pool) : pool_(pool) {}

  // Closed signals of `strategy` (name; every strategy when empty) in exit
  // order.
  StatusOr<std::vector<ClosedSignalRow>> ClosedSignals(const std::string& strategy = "");
  // Every strategy, by name.
  StatusOr<std::vector<StrategyRef>> Strategies();
  // Saves the statistics of one strategy and period ("7d" | "30d" | "90d" |
  // "all"); `document` is what StrategyPerformanceJson returns under "stats".
  Status SaveStats(int64_t strategy_id, const std::string& period, int64_t as_of_us,
                   const nlohmann::json& document);

  // {"strategy", "period", "as_of", "computed_at", "stats": {...} | null,
  //  "open_signals": n}. `period` must be one of kPerformancePeriods
  // (SF_ERR_INVALID_ARGUMENT names the allowed values); an unknown strategy
  // is SF_ERR_NOT_FOUND. "stats" is null until the engine first computed it.
  StatusOr<nlohmann::json> StrategyPerformanceJson(const std::string& strategy, const std::string& period);
  // The same for every strategy: {"period", "strategies": [ ... ]}.
  StatusOr<nlohmann::json> AllPerformanceJson(const std::string& period);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_PERFORMANCE_QUERIES_REPOSITORY_H_
