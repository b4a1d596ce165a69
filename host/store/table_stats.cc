#include "store/table_stats.h"

namespace sf::store {

StatusOr<std::vector<std::pair<std::string, int64_t>>> CountMainTables(Connection& conn) {
  std::vector<std::pair<std::string, int64_t>> counts;
  // Table names are code constants, never input; a table a later migration
  // adds is skipped until it exists.
  for (const char* table : {"instruments", "bars", "strategies", "signals", "deliveries", "users",
                            "backtest_runs"}) {
    auto exists = conn.Exec("SELECT to_regclass($1) IS NOT NULL", Params().Add(table));
    if (!exists.ok()) return exists.status();
    if (!exists->GetBool(0, 0)) continue;
    auto n = conn.Exec(std::string("SELECT count(*) FROM ") + table);
    if (!n.ok()) return n.status();
    counts.emplace_back(table, n->GetInt64(0, 0));
  }
  return counts;
}

}  // namespace sf::store
