// Row counts of the main tables, for `signalforge db status` and health
// pages. Lives in the store room because it is SQL.
// Thread-safety: uses the given connection only; callers own it.
#ifndef SF_STORE_TABLE_STATS_H_
#define SF_STORE_TABLE_STATS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/pg.h"

namespace sf::store {

// (table, rows) for each main table that exists yet, in a fixed order.
StatusOr<std::vector<std::pair<std::string, int64_t>>> CountMainTables(Connection& conn);

}  // namespace sf::store

#endif  // SF_STORE_TABLE_STATS_H_
