// Helpers shared by the store tests: pools on throwaway databases and
// synthetic bar batches.
#ifndef SF_TESTS_STORE_TEST_UTIL_H_
#define SF_TESTS_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "store/bars_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf::store::test {

inline constexpr int64_t kDayUs = 86'400'000'000LL;
// 2020-01-01T00:00:00Z
inline constexpr int64_t kEpoch2020Us = 1'577'836'800'000'000LL;

inline std::unique_ptr<Pool> MakePool(const std::string& conninfo, int size = 4) {
  PoolOptions o;
  o.conninfo = conninfo;
  o.size = size;
  auto p = Pool::Create(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

// `n` daily bars starting `first_day` days after 2020-01-01, with prices
// derived from the day index (so overlapping windows agree on shared days).
inline BarBatch DailyBars(const std::string& symbol, int first_day, int n, double bump = 0) {
  BarBatch b;
  b.symbol = symbol;
  b.timeframe = market::Timeframe::k1d;
  b.source = "test";
  for (int d = first_day; d < first_day + n; ++d) {
    int64_t start = kEpoch2020Us + d * kDayUs;
    double base = 100.0 + d * 0.25 + bump;
    b.ts_start.push_back(start);
    b.ts_end.push_back(start + kDayUs);
    b.open.push_back(base);
    b.high.push_back(base + 2.5);
    b.low.push_back(base - 1.75);
    b.close.push_back(base + 0.5);
    b.volume.push_back(1000.0 + d);
  }
  return b;
}

inline int64_t QueryInt(Pool& pool, const std::string& sql, const Params& p = Params()) {
  auto c = pool.Acquire();
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return -1;
  auto r = (*c)->Exec(sql, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->rows() > 0 ? r->GetInt64(0, 0) : -1;
}

}  // namespace sf::store::test

#endif  // SF_TESTS_STORE_TEST_UTIL_H_
