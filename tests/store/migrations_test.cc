// Migrations against a real throwaway cluster: from empty, re-run as a
// no-op, refusal of an edited file, concurrent migrators.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "store/migrator.h"
#include "test_util.h"

namespace sf::store {
namespace {

namespace fs = std::filesystem;
using test::MakePool;
using test::QueryInt;

TEST(Migrations, FromEmptyThenNoOp) {
  auto pool = MakePool(testing::PgCluster::Shared().CreateDatabase("mig"));
  ASSERT_TRUE(pool);
  Migrator m(pool.get(), testing::PgCluster::MigrationsDir());
  auto files = m.ReadFiles();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_GE(files->size(), 5u);

  auto first = m.Migrate();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->applied.size(), files->size());
  EXPECT_EQ(first->current_version, files->back().version);
  // Every table the product needs exists.
  for (const char* t : {"instruments", "bars", "news_events", "news_analysis",
                        "computed_features", "strategies", "strategy_versions", "signals",
                        "signal_performance", "users", "api_keys", "watchlists",
                        "watchlist_items", "alert_subscriptions", "deliveries",
                        "delivery_attempts", "portfolios", "positions", "trades",
                        "backtest_runs", "backtest_trades", "models", "api_usage",
                        "audit_log"}) {
    EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = $1",
                       Params().Add(t)),
              1)
        << t;
  }
  auto second = m.Migrate();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->current_version, first->current_version);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(files->size()));

  auto status = m.Describe();
  ASSERT_TRUE(status.ok());
  for (const auto& s : *status) {
    EXPECT_TRUE(s.applied) << s.name;
    EXPECT_FALSE(s.checksum_changed) << s.name;
  }
}

class TempMigrations : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sfmig-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& sql) {
    std::ofstream(fs::path(dir_) / name) << sql;
  }
  std::string dir_;
};

TEST_F(TempMigrations, RefusesAnEditedAppliedMigrationNamingTheFile) {
  Write("0001_a.sql", "CREATE TABLE a (x int);");
  Write("0002_b.sql", "CREATE TABLE b (y int);");
  auto pool = MakePool(testing::PgCluster::Shared().CreateDatabase("chk"));
  ASSERT_TRUE(pool);
  Migrator m(pool.get(), dir_);
  ASSERT_TRUE(m.Migrate().ok());
  Write("0002_b.sql", "CREATE TABLE b (y bigint);");
  auto again = m.Migrate();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), SF_ERR_CONFLICT);
  EXPECT_NE(again.status().message().find("0002_b.sql"), std::string::npos)
      << again.status().message();
  EXPECT_NE(again.status().message().find("forward-only"), std::string::npos);
  auto st = m.Describe();
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE((*st)[0].checksum_changed);
  EXPECT_TRUE((*st)[1].checksum_changed);
}

TEST_F(TempMigrations, FailingMigrationRollsBackWholly) {
  Write("0001_a.sql", "CREATE TABLE a (x int);");
  Write("0002_bad.sql", "CREATE TABLE c (z int); INSERT INTO nope VALUES (1);");
  auto pool = MakePool(testing::PgCluster::Shared().CreateDatabase("bad"));
  ASSERT_TRUE(pool);
  Migrator m(pool.get(), dir_);
  auto r = m.Migrate();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0002_bad.sql"), std::string::npos) << r.status().message();
  // 0001 stays applied; 0002 left no table c and no record.
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM pg_tables WHERE tablename = 'c'"), 0);
}

TEST_F(TempMigrations, RejectsBadNamesAndDuplicateVersions) {
  Write("0001_a.sql", "SELECT 1;");
  Write("1_dup.sql", "SELECT 1;");
  auto pool = MakePool(testing::PgCluster::Shared().CreateDatabase("dup"));
  Migrator m(pool.get(), dir_);
  auto r = m.ReadFiles();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("share version 1"), std::string::npos) << r.status().message();
  fs::remove(fs::path(dir_) / "1_dup.sql");
  Write("abc.sql", "SELECT 1;");
  r = m.ReadFiles();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("NNNN_description.sql"), std::string::npos);
  Migrator missing(pool.get(), dir_ + "/nope");
  EXPECT_EQ(missing.ReadFiles().status().code(), SF_ERR_NOT_FOUND);
}

TEST(Migrations, ConcurrentMigratorsApplyEachFileOnce) {
  std::string conninfo = testing::PgCluster::Shared().CreateDatabase("conc");
  constexpr int kN = 4;
  std::vector<std::thread> threads;
  std::vector<Status> results(kN);
  std::vector<size_t> applied(kN, 0);
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      auto pool = Pool::Create({.conninfo = conninfo, .size = 1});
      if (!pool.ok()) {
        results[i] = pool.status();
        return;
      }
      Migrator m(pool->get(), testing::PgCluster::MigrationsDir());
      auto r = m.Migrate();
      results[i] = r.ok() ? Status::Ok() : r.status();
      if (r.ok()) applied[i] = r->applied.size();
    });
  }
  for (auto& t : threads) t.join();
  size_t total = 0;
  for (int i = 0; i < kN; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i].ToString();
    total += applied[i];
  }
  auto pool = MakePool(conninfo);
  int64_t files = QueryInt(*pool, "SELECT count(*) FROM schema_migrations");
  EXPECT_EQ(total, static_cast<size_t>(files));  // each file applied by exactly one migrator
}

}  // namespace
}  // namespace sf::store
