// Helpers shared by the live engine tests: a throwaway migrated database,
// a scripts folder with real Lua strategies run by the real worker and the
// real indicator plugin, and daily bars written to the real store.
#ifndef SF_TESTS_ENGINE_ENGINE_TEST_UTIL_H_
#define SF_TESTS_ENGINE_ENGINE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lua/strategy_runtime.h"
#include "market/resample.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf::engine::test {

namespace fs = std::filesystem;

inline constexpr int64_t kDayUs = 86'400'000'000LL;
// Bars end at 21:00 UTC; day 18300 is 2020-02-08.
inline constexpr int64_t kFirstDay = 18300;
inline int64_t BarEnd(int day) { return (kFirstDay + day) * kDayUs + 21 * 3600LL * 1000000; }

class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/sf-engine-test-XXXXXX";
    path_ = mkdtemp(tmpl);
    fs::create_directories(path_ + "/scripts");
    fs::create_directories(path_ + "/plugins");
    fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/indicators.so", path_ + "/plugins/indicators.so");
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string scripts() const { return path_ + "/scripts"; }
  std::string Write(const std::string& rel, const std::string& text) const {
    const std::string p = path_ + "/" + rel;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string path_;
};

inline std::unique_ptr<store::Pool> MakePool(const std::string& conninfo, int size = 6) {
  store::PoolOptions o;
  o.conninfo = conninfo;
  o.size = size;
  auto p = store::Pool::Create(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

inline lua::RuntimeOptions RuntimeFor(const ScratchDir& dir, const std::string& scripts_dir = "") {
  lua::RuntimeOptions o;
  o.scripts_dir = scripts_dir.empty() ? dir.scripts() : scripts_dir;
  o.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  o.worker_path = SF_LUA_WORKER;
  o.plugin_dirs = {dir.path() + "/plugins"};
  o.history_bars = 300;
  o.max_series = 1024;
  return o;
}

// A quiet daily bar around `price` (no strategy trigger).
inline market::CompletedBar Bar(const std::string& symbol, int day, double open, double high, double low,
                                double close, double volume = 1000) {
  market::CompletedBar b;
  b.symbol = symbol;
  b.timeframe = market::Timeframe::k1d;
  b.ts_end = BarEnd(day);
  b.ts_start = b.ts_end - 6 * 3600LL * 1000000 - 30 * 60LL * 1000000;
  b.open = open;
  b.high = high;
  b.low = low;
  b.close = close;
  b.volume = volume;
  return b;
}

// Stores instruments (with sectors) and `days` quiet daily bars per symbol
// (days 0..days-1), so the engine loads history on first sight.
inline void SeedStore(store::Pool* pool, const std::vector<std::pair<std::string, std::string>>& symbols,
                      int days) {
  std::vector<store::Instrument> rows;
  for (const auto& [sym, sector] : symbols) {
    store::Instrument i;
    i.symbol = sym;
    i.sector = sector;
    rows.push_back(i);
  }
  ASSERT_TRUE(store::InstrumentsRepository(pool).UpsertAll(rows).ok());
  uint32_t x = 7;
  for (const auto& [sym, sector] : symbols) {
    store::BarBatch b;
    b.symbol = sym;
    b.timeframe = market::Timeframe::k1d;
    b.source = "test";
    double price = 100;
    for (int d = 0; d < days; ++d) {
      x = x * 1664525u + 1013904223u;
      const double r = (static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.01;
      const double open = price;
      price *= 1 + r;
      b.ts_end.push_back(BarEnd(d));
      b.ts_start.push_back(BarEnd(d) - 23400LL * 1000000);
      b.open.push_back(open);
      b.high.push_back(std::max(open, price) * 1.002);
      b.low.push_back(std::min(open, price) * 0.998);
      b.close.push_back(price);
      b.volume.push_back(1000);
    }
    auto r = store::BarsRepository(pool).Ingest(b);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

inline int64_t QueryInt(store::Pool& pool, const std::string& sql, const store::Params& p = store::Params()) {
  auto c = pool.Acquire();
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return -1;
  auto r = (*c)->Exec(sql, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->rows() > 0 && !r->IsNull(0, 0) ? r->GetInt64(0, 0) : -1;
}

inline std::string QueryText(store::Pool& pool, const std::string& sql, const store::Params& p = store::Params()) {
  auto c = pool.Acquire();
  if (!c.ok()) return "";
  auto r = (*c)->Exec(sql, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->rows() > 0 ? r->GetString(0, 0) : "";
}

}  // namespace sf::engine::test

#endif  // SF_TESTS_ENGINE_ENGINE_TEST_UTIL_H_
