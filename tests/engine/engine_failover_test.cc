// Scale-out: two real `signalforge serve` processes share one PostgreSQL
// (a throwaway cluster, given as database.url). One leads the scheduler
// (advisory lock); the test SIGKILLs it and proves the other takes over
// within seconds, keeps evaluating bars, and that no (strategy, symbol, bar)
// was evaluated twice and no signal exists twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine_test_util.h"
#include "process.h"

namespace sf::engine::test {
namespace {

using Clock = std::chrono::steady_clock;

bool WaitFor(const std::function<bool()>& f, std::chrono::seconds limit) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return f();
}

TEST(EngineFailover, SecondInstanceLeadsWithinSecondsAfterTheLeaderIsKilled) {
  sf::testing::PgCluster cluster;
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const std::string conninfo = cluster.CreateDatabase("failover");
  ScratchDir dir;
  // A small, fast synthetic market (a session every ~10 s) and a strategy
  // that evaluates every symbol on every daily bar.
  dir.Write("scripts/every_bar.lua", R"(
return { name = "every_bar", timeframe = "1d", universe = { type = "equity" },
  evaluate = function(ctx, symbol) return nil end }
)");
  nlohmann::json cfg = {
      {"http", {{"host", "127.0.0.1"}, {"port", 0}, {"threads", 2}}},
      {"plugins", {{"directories", {dir.path() + "/plugins"}}}},
      {"database", {{"url", conninfo}, {"migrations_dir", std::string(SF_SOURCE_DIR) + "/schemas/migrations"}}},
      {"market",
       {{"calendars_dir", std::string(SF_SOURCE_DIR) + "/config/calendars"},
        {"failover", {{"equity", {"synthetic"}}}},
        {"synthetic", {{"seed", 7}, {"symbols", 12}, {"speed", 2400}}},
        {"live", {{"backfill_days", 0}, {"timeframes", {"1d"}}, {"poll_interval_ms", 200}}}}},
      {"engine",
       {{"scripts_dir", dir.scripts()},
        {"lib_dir", std::string(SF_SOURCE_DIR) + "/scripts/lib"},
        {"worker_path", SF_LUA_WORKER},
        {"grace_ms", 500},
        {"leader_retry_ms", 200},
        {"watch", false}}}};
  const std::string config = dir.Write("serve.json", cfg.dump(2));
  fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/sf_synthetic.so", dir.path() + "/plugins/sf_synthetic.so");

  sf::test::ProcessOptions po{SF_SOURCE_DIR, {}, std::chrono::seconds(120)};
  sf::test::Server a(SF_BINARY, {"serve", "--config", config}, po);
  ASSERT_TRUE(a.WaitListening(std::chrono::seconds(60))) << a.err();
  ASSERT_TRUE(WaitFor([&] { return a.err().find("now leads the scheduler") != std::string::npos; },
                      std::chrono::seconds(10)))
      << a.err();
  sf::test::Server b(SF_BINARY, {"serve", "--config", config}, po);
  ASSERT_TRUE(b.WaitListening(std::chrono::seconds(60))) << b.err();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(b.err().find("now leads the scheduler"), std::string::npos) << "two leaders at once";

  auto pool = MakePool(conninfo, 2);
  ASSERT_NE(pool, nullptr);
  // Work done, per (strategy, instrument, bar): claim sets (the engine's
  // path, store/claims_repository.h) expanded, plus rows claimed one by one.
  const std::string done =
      "(SELECT strategy_id, unnest(instrument_ids) AS instrument_id, bar_ts, claimed_by FROM evaluation_claim_sets"
      " UNION ALL SELECT strategy_id, instrument_id, bar_ts, claimed_by FROM evaluation_claims"
      " WHERE done_at IS NOT NULL) d";
  // The leader evaluates bars (claims done by it) before it dies.
  ASSERT_TRUE(WaitFor([&] { return QueryInt(*pool, "SELECT count(*) FROM " + done) > 0; }, std::chrono::seconds(60)))
      << a.err();
  const std::string leader_a = QueryText(*pool, "SELECT claimed_by FROM " + done + " LIMIT 1");

  a.Stop(SIGKILL);
  const auto killed = Clock::now();
  ASSERT_TRUE(WaitFor([&] { return b.err().find("now leads the scheduler") != std::string::npos; },
                      std::chrono::seconds(10)))
      << b.err();
  const double takeover_s = std::chrono::duration<double>(Clock::now() - killed).count();
  EXPECT_LT(takeover_s, 5.0);
  // ... and evaluates the bars that close after the takeover.
  ASSERT_TRUE(WaitFor([&] {
    return QueryInt(*pool, "SELECT count(*) FROM " + done + " WHERE claimed_by <> '" + leader_a + "'") > 0;
  }, std::chrono::seconds(60)))
      << b.err();
  // Every (strategy, symbol, bar) was evaluated by exactly one instance, and
  // each bar by one instance only (no bar split between two evaluators).
  EXPECT_EQ(QueryInt(*pool, "SELECT count(DISTINCT claimed_by) FROM " + done), 2);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM (SELECT 1 FROM " + done +
                                " GROUP BY strategy_id, instrument_id, bar_ts HAVING count(*) > 1) x"),
            0);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM (SELECT bar_ts FROM " + done +
                                " GROUP BY bar_ts HAVING count(DISTINCT claimed_by) > 1) x"),
            0);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM (SELECT 1 FROM signals GROUP BY strategy_id, instrument_id,"
                            " timeframe, bar_ts HAVING count(*) > 1) x"),
            0);
  RecordProperty("takeover_seconds", std::to_string(takeover_s));
  b.Stop(SIGTERM);
}

}  // namespace
}  // namespace sf::engine::test
