// Bulk bar ingest against a real cluster: IngestMany (many series in one
// transaction, direct COPY and merge paths mixed), BarsBulkLoader (parallel
// loaders, errors attributed to their series) and the statement-level
// reference from bars to instruments that replaced the per-row foreign key
// (migration 0016), including its locking and cascade, and the migration of
// a database that already holds bars.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/instruments_repository.h"
#include "store/migrator.h"
#include "test_util.h"

namespace sf::store {
namespace {

namespace fs = std::filesystem;
using test::DailyBars;
using test::kDayUs;
using test::MakePool;
using test::QueryInt;

class BulkIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = MakePool(testing::PgCluster::Shared().CreateMigratedDatabase("bulk"));
    ASSERT_TRUE(pool_);
    repo_ = std::make_unique<BarsRepository>(pool_.get());
  }
  std::string Checksum(BarsRepository& r) {
    auto c = r.Checksum();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : "";
  }
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<BarsRepository> repo_;
};

TEST_F(BulkIngest, ManySeriesInOneTransactionMixDirectAndMergePaths) {
  ASSERT_TRUE(repo_->Ingest(DailyBars("OLD", 0, 50)).ok());
  std::vector<BarBatch> group;
  group.push_back(DailyBars("NEW1", 0, 30));  // empty window: direct COPY
  group.push_back(DailyBars("OLD", 40, 20));  // overlaps 10 stored bars: merge
  group.back().close[0] += 1;                 // day 40 revised
  group.back().high[0] += 1;
  group.push_back(DailyBars("NEW2", 5, 7));
  IngestTimings t;
  auto r = repo_->IngestMany(group, {}, &t);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].inserted, 30);
  EXPECT_EQ((*r)[1].inserted, 10);
  EXPECT_EQ((*r)[1].updated, 1);
  EXPECT_EQ((*r)[1].unchanged, 9);
  EXPECT_EQ((*r)[2].inserted, 7);
  EXPECT_GT(t.copy_us, 0);
  EXPECT_GT(t.merge_us, 0);
  EXPECT_EQ(*repo_->Count(), 50 + 10 + 30 + 7);

  // The same end state, loaded once and cleanly elsewhere.
  auto clean_pool = MakePool(testing::PgCluster::Shared().CreateMigratedDatabase("bulkclean"));
  BarsRepository clean(clean_pool.get());
  BarBatch old_all = DailyBars("OLD", 0, 60);
  old_all.close[40] += 1;
  old_all.high[40] += 1;
  ASSERT_TRUE(clean.IngestMany(std::vector<BarBatch>{DailyBars("NEW1", 0, 30), old_all,
                                                     DailyBars("NEW2", 5, 7)})
                  .ok());
  EXPECT_EQ(Checksum(*repo_), Checksum(clean));
}

TEST_F(BulkIngest, OneBadSeriesRefusesTheWholeCall) {
  std::vector<BarBatch> group = {DailyBars("GA", 0, 10), DailyBars("GB", 0, 10)};
  group[1].low[4] = group[1].open[4] + 5;
  auto r = repo_->IngestMany(group);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), SF_ERR_BAD_DATA);
  EXPECT_NE(r.status().message().find("GB"), std::string::npos) << r.status().message();
  EXPECT_EQ(*repo_->Count(), 0);

  std::vector<BarBatch> twice = {DailyBars("GA", 0, 10), DailyBars("GA", 5, 10)};
  auto d = repo_->IngestMany(twice);
  EXPECT_EQ(d.status().code(), SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(d.status().message().find("GA/1d"), std::string::npos) << d.status().message();

  // A database-side failure (unknown instrument, no auto-create) rolls back
  // the series that were fine too.
  InstrumentsRepository inst(pool_.get());
  ASSERT_TRUE(inst.Upsert({.symbol = "KNOWN"}).ok());
  IngestOptions o;
  o.create_missing_instrument = false;
  auto nf = repo_->IngestMany(std::vector<BarBatch>{DailyBars("KNOWN", 0, 5), DailyBars("GHOST", 0, 5)}, o);
  EXPECT_EQ(nf.status().code(), SF_ERR_NOT_FOUND);
  EXPECT_NE(nf.status().message().find("GHOST"), std::string::npos);
  EXPECT_EQ(*repo_->Count(), 0);
}

TEST_F(BulkIngest, LoaderWithOverlapsAndRepeatsEqualsOneCleanLoad) {
  BulkLoadOptions o;
  o.loaders = 2;
  o.rows_per_transaction = 250;  // many transactions
  // Windows of 60 symbols; each symbol comes three times (overlapping and
  // repeated windows, one revision) in one stream.
  {
    BarsBulkLoader loader(repo_.get(), o);
    for (int pass = 0; pass < 3; ++pass) {
      for (int s = 0; s < 60; ++s) {
        BarBatch b = DailyBars("L" + std::to_string(s), pass * 40, 100);
        if (pass == 2 && s == 7) {
          b.close[10] += 0.5;
          b.high[10] += 0.5;
        }
        ASSERT_TRUE(loader.Add(std::move(b)).ok());
      }
    }
    BulkLoadResult r = loader.Finish();
    EXPECT_TRUE(r.errors.empty()) << r.errors[0].first << ": " << r.errors[0].second.ToString();
    EXPECT_EQ(r.series, 180);
    EXPECT_GT(r.transactions, 10);
    EXPECT_EQ(r.counts.inserted, 60 * 180);
    EXPECT_EQ(r.counts.updated, 1);
    EXPECT_EQ(r.counts.inserted + r.counts.updated + r.counts.unchanged, 180 * 100);
    EXPECT_EQ(loader.Snapshot().series, 180);
  }
  auto clean_pool = MakePool(testing::PgCluster::Shared().CreateMigratedDatabase("loadclean"));
  BarsRepository clean(clean_pool.get());
  std::vector<BarBatch> once;
  for (int s = 0; s < 60; ++s) {
    once.push_back(DailyBars("L" + std::to_string(s), 0, 180));
    if (s == 7) {
      once.back().close[90] += 0.5;
      once.back().high[90] += 0.5;
    }
  }
  ASSERT_TRUE(clean.IngestMany(once).ok());
  EXPECT_EQ(Checksum(*repo_), Checksum(clean));
}

TEST_F(BulkIngest, LoaderReportsTheFailingSeriesByNameAndLoadsTheRest) {
  InstrumentsRepository inst(pool_.get());
  for (const char* s : {"OK1", "OK2", "OK3"}) ASSERT_TRUE(inst.Upsert({.symbol = s}).ok());
  BulkLoadOptions o;
  o.loaders = 2;
  o.ingest.create_missing_instrument = false;
  BarsBulkLoader loader(repo_.get(), o);
  BarBatch bad = DailyBars("OK2", 0, 5);
  bad.volume[2] = -1;
  Status refused = loader.Add(bad);
  EXPECT_EQ(refused.code(), SF_ERR_BAD_DATA);
  EXPECT_NE(refused.message().find("volume"), std::string::npos);
  // In one transaction-sized group with good series: the group fails on
  // the unknown instrument and is retried series by series.
  ASSERT_TRUE(loader.Add(DailyBars("OK1", 0, 20)).ok());
  ASSERT_TRUE(loader.Add(DailyBars("NOPE", 0, 20)).ok());
  ASSERT_TRUE(loader.Add(DailyBars("OK3", 0, 20)).ok());
  BulkLoadResult r = loader.Finish();
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].first, "NOPE/1d");
  EXPECT_EQ(r.errors[0].second.code(), SF_ERR_NOT_FOUND);
  EXPECT_EQ(r.series, 2);
  EXPECT_EQ(r.counts.inserted, 40);
  EXPECT_EQ(*repo_->Count(), 40);
  EXPECT_EQ(loader.Add(DailyBars("OK1", 30, 2)).code(), SF_ERR_INTERNAL);  // after Finish
}

TEST_F(BulkIngest, ReferenceToInstrumentsIsEnforcedLockedAndCascades) {
  ASSERT_TRUE(repo_->Ingest(DailyBars("REFA", 0, 10)).ok());
  ASSERT_TRUE(repo_->Ingest(DailyBars("REFB", 0, 10)).ok());
  const int64_t a = QueryInt(*pool_, "SELECT id FROM instruments WHERE symbol = 'REFA'");
  auto c1 = pool_->Acquire();
  auto c2 = pool_->Acquire();
  ASSERT_TRUE(c1.ok() && c2.ok());
  // A bar of an instrument that does not exist: refused, as a foreign key would.
  Status orphan = (*c1)->Run(
      "INSERT INTO bars (instrument_id, timeframe, ts_start, ts_end, open, high, low, close, source)"
      " VALUES (987654, '1d', now(), now() + interval '1 day', 10, 11, 9, 10, 'x')");
  EXPECT_EQ(orphan.code(), SF_ERR_INVALID_ARGUMENT) << orphan.ToString();
  EXPECT_NE(orphan.message().find("987654"), std::string::npos) << orphan.message();
  Status moved = (*c1)->Run("UPDATE bars SET instrument_id = 987654 WHERE instrument_id = $1",
                            Params().Add(a));
  EXPECT_EQ(moved.code(), SF_ERR_INVALID_ARGUMENT) << moved.ToString();
  Status renumber = (*c1)->Run("UPDATE instruments SET id = DEFAULT WHERE id = $1", Params().Add(a));
  EXPECT_FALSE(renumber.ok());

  // A writer's new bars lock their instrument until it commits: a delete waits.
  ASSERT_TRUE((*c1)->Run("BEGIN").ok());
  ASSERT_TRUE((*c1)->Run("INSERT INTO bars (instrument_id, timeframe, ts_start, ts_end, open, high,"
                         " low, close, source) VALUES ($1, '1h', now(), now() + interval '1 hour',"
                         " 10, 11, 9, 10, 'x')",
                         Params().Add(a))
                  .ok());
  ASSERT_TRUE((*c2)->Run("SET lock_timeout = '300ms'").ok());
  Status blocked = (*c2)->Run("DELETE FROM instruments WHERE id = $1", Params().Add(a));
  EXPECT_FALSE(blocked.ok());
  EXPECT_NE(blocked.message().find("lock timeout"), std::string::npos) << blocked.ToString();
  ASSERT_TRUE((*c1)->Run("COMMIT").ok());
  // After the commit the delete goes through and takes every bar with it,
  // including the one just committed.
  ASSERT_TRUE((*c2)->Run("DELETE FROM instruments WHERE id = $1", Params().Add(a)).ok());
  EXPECT_EQ(QueryInt(*pool_, "SELECT count(*) FROM bars WHERE instrument_id = $1", Params().Add(a)), 0);
  EXPECT_EQ(*repo_->Count(), 10);  // REFB's
}

TEST(BulkIngestMigration, ExistingBarsSurviveMigration0016) {
  // A database at the schema before 0016, holding bars, then migrated.
  char tmpl[] = "/tmp/sfmig16-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path before = tmpl;
  for (const auto& e : fs::directory_iterator(testing::PgCluster::MigrationsDir())) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.substr(0, 4) < "0016") fs::copy_file(e.path(), before / name);
  }
  auto pool = MakePool(testing::PgCluster::Shared().CreateDatabase("mig16"));
  ASSERT_TRUE(pool);
  ASSERT_TRUE(Migrator(pool.get(), before.string()).Migrate().ok());
  BarsRepository repo(pool.get());
  auto c = pool->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Run("INSERT INTO instruments (symbol) VALUES ('PRE')").ok());
  ASSERT_TRUE((*c)->Run("INSERT INTO bars (instrument_id, timeframe, ts_start, ts_end, open, high,"
                        " low, close, source) SELECT i.id, '1d', d, d + interval '1 day', 10, 11,"
                        " 9, 10, 'old' FROM instruments i, generate_series(timestamptz"
                        " '2020-01-01', '2020-03-01', interval '1 day') d")
                  .ok());
  const int64_t rows = QueryInt(*pool, "SELECT count(*) FROM bars");
  auto sum = repo.Checksum();
  ASSERT_TRUE(sum.ok());
  auto m = Migrator(pool.get(), testing::PgCluster::MigrationsDir()).Migrate();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM bars"), rows);
  EXPECT_EQ(*repo.Checksum(), *sum);
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM pg_constraint WHERE conname = 'bars_instrument_id_fkey'"), 0);
  // Re-ingest over the migrated rows: merge path, rows identical except source.
  BarBatch b = DailyBars("PRE", 0, 3);
  auto r = repo.Ingest(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted + r->updated, 3);
  ASSERT_TRUE((*c)->Run("DELETE FROM instruments WHERE symbol = 'PRE'").ok());
  EXPECT_EQ(QueryInt(*pool, "SELECT count(*) FROM bars"), 0);
  std::error_code ec;
  fs::remove_all(before, ec);
}

}  // namespace
}  // namespace sf::store
