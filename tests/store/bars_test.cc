// Bar ingestion (COPY, idempotent merge) and loads against a real cluster.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "store/instruments_repository.h"
#include "test_util.h"

namespace sf::store {
namespace {

using test::DailyBars;
using test::kDayUs;
using test::kEpoch2020Us;
using test::MakePool;
using test::QueryInt;

class Bars : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = MakePool(testing::PgCluster::Shared().CreateMigratedDatabase("bars"));
    ASSERT_TRUE(pool_);
    repo_ = std::make_unique<BarsRepository>(pool_.get());
  }
  std::string Checksum() {
    auto c = repo_->Checksum();
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : "";
  }
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<BarsRepository> repo_;
};

TEST_F(Bars, IngestTwiceLeavesIdenticalTable) {
  auto a = repo_->Ingest(DailyBars("AAA", 0, 300));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->inserted, 300);
  ASSERT_TRUE(repo_->Ingest(DailyBars("BBB", 0, 50)).ok());
  const std::string sum1 = Checksum();
  const int64_t ingested_at_sum =
      QueryInt(*pool_, "SELECT sum(extract(epoch FROM ingested_at) * 1000000)::bigint FROM bars");

  auto b = repo_->Ingest(DailyBars("AAA", 0, 300));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->inserted, 0);
  EXPECT_EQ(b->updated, 0);
  EXPECT_EQ(b->unchanged, 300);
  EXPECT_EQ(Checksum(), sum1);
  EXPECT_EQ(*repo_->Count(), 350);
  // Unchanged rows were not rewritten at all.
  EXPECT_EQ(QueryInt(*pool_, "SELECT sum(extract(epoch FROM ingested_at) * 1000000)::bigint FROM bars"),
            ingested_at_sum);
}

TEST_F(Bars, OverlappingWindowsEqualOneCleanLoad) {
  ASSERT_TRUE(repo_->Ingest(DailyBars("OVL", 0, 100)).ok());
  auto second = repo_->Ingest(DailyBars("OVL", 60, 100));  // days 60..159
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->inserted, 60);
  EXPECT_EQ(second->unchanged, 40);
  auto third = repo_->Ingest(DailyBars("OVL", 20, 30));  // fully inside
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->unchanged, 30);
  const std::string overlapped = Checksum();

  // The same rows loaded once, cleanly, into another database.
  auto clean_pool = MakePool(testing::PgCluster::Shared().CreateMigratedDatabase("clean"));
  BarsRepository clean(clean_pool.get());
  ASSERT_TRUE(clean.Ingest(DailyBars("OVL", 0, 160)).ok());
  auto clean_sum = clean.Checksum();
  ASSERT_TRUE(clean_sum.ok());
  EXPECT_EQ(overlapped, *clean_sum);
  EXPECT_EQ(*repo_->Count(), 160);
}

TEST_F(Bars, RevisedBarsUpdateInPlace) {
  ASSERT_TRUE(repo_->Ingest(DailyBars("REV", 0, 10)).ok());
  BarBatch revised = DailyBars("REV", 5, 3);
  revised.close[1] += 1.0;  // day 6 revised
  revised.high[1] += 1.0;
  auto r = repo_->Ingest(revised);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted, 0);
  EXPECT_EQ(r->updated, 1);
  EXPECT_EQ(r->unchanged, 2);
  EXPECT_EQ(*repo_->Count(), 10);
  auto s = repo_->Load("REV", market::Timeframe::k1d, kEpoch2020Us, kEpoch2020Us + 100 * kDayUs);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->size(), 10u);
  EXPECT_EQ(s->close[6], revised.close[1]);
  EXPECT_EQ(s->close[5], revised.close[0]);
}

TEST_F(Bars, LoadReturnsBarEndTimesAndExactDoubles) {
  BarBatch b = DailyBars("EXA", 0, 5);
  b.close[2] = 0.1 + 0.2;  // not representable in short decimal form
  b.high[2] = std::max(b.high[2], b.close[2]);
  b.low[2] = std::min(b.low[2], b.close[2]);
  b.open[3] = 100.123456789012345;
  b.volume[4] = 1e15 + 1;
  auto in = repo_->Ingest(b);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  auto s = repo_->Load("EXA", market::Timeframe::k1d, b.ts_end[1], b.ts_end[3]);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->size(), 3u);
  EXPECT_EQ(s->symbol, "EXA");
  EXPECT_EQ(s->ts[0], b.ts_end[1]);
  EXPECT_EQ(s->ts[2], b.ts_end[3]);
  EXPECT_EQ(s->close[1], b.close[2]);  // bit-identical
  EXPECT_EQ(s->open[2], b.open[3]);
  auto all = repo_->Load("EXA", market::Timeframe::k1d, 0, std::numeric_limits<int64_t>::max() / 2);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->volume[4], 1e15 + 1);
  auto latest = repo_->LatestBarEnd("EXA", market::Timeframe::k1d);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->value(), b.ts_end[4]);
  // Other timeframe: empty, not an error. Unknown symbol: not found.
  auto hourly = repo_->Load("EXA", market::Timeframe::k1h, 0, b.ts_end[4]);
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ(hourly->size(), 0u);
  EXPECT_EQ(repo_->Load("NOPE", market::Timeframe::k1d, 0, 1).status().code(), SF_ERR_NOT_FOUND);
}

TEST_F(Bars, BadRowsRefuseTheWholeBatch) {
  struct Case {
    const char* rule;
    void (*edit)(BarBatch&);
  };
  const Case cases[] = {
      {"strictly increasing", [](BarBatch& b) { b.ts_start[3] = b.ts_start[2]; }},
      {"ts_end must be after", [](BarBatch& b) { b.ts_end[3] = b.ts_start[3]; }},
      {"at most 7 days", [](BarBatch& b) { b.ts_end[3] = b.ts_start[3] + 8 * kDayUs; }},
      {"finite and > 0", [](BarBatch& b) { b.close[3] = std::nan(""); }},
      {"finite and > 0", [](BarBatch& b) { b.open[3] = -1; }},
      {"low must be <=", [](BarBatch& b) { b.low[3] = b.open[3] + 1; }},
      {"high must be >=", [](BarBatch& b) { b.high[3] = b.close[3] - 1; }},
      {"volume must be", [](BarBatch& b) { b.volume[3] = -5; }},
      {"different lengths", [](BarBatch& b) { b.close.pop_back(); }},
      {"adj_factor", [](BarBatch& b) { b.adj_factor.assign(b.size(), 1.0); b.adj_factor[3] = 0; }},
      {"source is empty", [](BarBatch& b) { b.source.clear(); }},
  };
  for (const auto& c : cases) {
    BarBatch b = DailyBars("BAD", 0, 6);
    c.edit(b);
    auto r = repo_->Ingest(b);
    ASSERT_FALSE(r.ok()) << c.rule;
    EXPECT_EQ(r.status().code(), SF_ERR_BAD_DATA) << c.rule;
    EXPECT_NE(r.status().message().find(c.rule), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("BAD"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(*repo_->Count(), 0);
}

TEST_F(Bars, DatabaseChecksBackTheValidation) {
  // Even a writer that bypasses the repository cannot store an inverted bar.
  auto c = pool_->Acquire();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Run("INSERT INTO instruments (symbol) VALUES ('CHK')").ok());
  auto r = (*c)->Run(
      "INSERT INTO bars (instrument_id, timeframe, ts_start, ts_end, open, high, low, close, source)"
      " SELECT id, '1d', now(), now() + interval '1 day', 10, 9, 8, 10, 'x' FROM instruments"
      " WHERE symbol = 'CHK'");
  EXPECT_EQ(r.code(), SF_ERR_INVALID_ARGUMENT) << r.ToString();
  auto tf = (*c)->Run(
      "INSERT INTO bars (instrument_id, timeframe, ts_start, ts_end, open, high, low, close, source)"
      " SELECT id, '2d', now(), now() + interval '1 day', 10, 11, 9, 10, 'x' FROM instruments"
      " WHERE symbol = 'CHK'");
  EXPECT_EQ(tf.code(), SF_ERR_INVALID_ARGUMENT);
}

TEST_F(Bars, UnknownSymbolWithoutAutoCreateIsNotFound) {
  IngestOptions o;
  o.create_missing_instrument = false;
  auto r = repo_->Ingest(DailyBars("NEW", 0, 3), o);
  EXPECT_EQ(r.status().code(), SF_ERR_NOT_FOUND);
  InstrumentsRepository inst(pool_.get());
  Instrument i;
  i.symbol = "NEW";
  i.name = "New Corp";
  i.sector = "Industrials";
  ASSERT_TRUE(inst.Upsert(i).ok());
  EXPECT_TRUE(repo_->Ingest(DailyBars("NEW", 0, 3), o).ok());
  auto found = inst.FindBySymbol("NEW");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name.value_or(""), "New Corp");
  i.type = "bond";
  EXPECT_EQ(inst.Upsert(i).status().code(), SF_ERR_INVALID_ARGUMENT);
}

TEST_F(Bars, LargeBatchStreamsInChunks) {
  // > 4 MB of COPY data goes through several CopyData chunks.
  BarBatch b = DailyBars("BIG", 0, 60000);
  auto r = repo_->Ingest(b);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted, 60000);
  // Merge path with one revision among 60000 rows.
  b.close[59999] += 0.5;
  b.high[59999] += 0.5;
  auto again = repo_->Ingest(b);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->updated, 1);
  EXPECT_EQ(again->unchanged, 59999);
}

}  // namespace
}  // namespace sf::store
