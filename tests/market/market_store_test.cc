// What the market room hands to the store, against a real throwaway
// PostgreSQL (tests/support): news items (multi-ticker, de-duplicated,
// refused with reasons, read back by symbol without peeking past t), and
// provider bars whose vwap is known for some rows only.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "market/bar_sink.h"
#include "market/provider_bars.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/news_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf::market {
namespace {

constexpr int64_t kUsPerMinute = 60'000'000;
constexpr int64_t kMar4 = 1'709'510'400'000'000;  // 2024-03-04T00:00:00Z

class MarketStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = store::Pool::Create({.conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase("mstore")});
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pool_ = std::move(*pool);
    store::InstrumentsRepository instruments(pool_.get());
    for (const char* s : {"AAPL", "MSFT", "TSLA"}) {
      store::Instrument i;
      i.symbol = s;
      ASSERT_TRUE(instruments.Upsert(i).ok());
    }
  }
  int64_t Scalar(const std::string& sql) {
    auto conn = pool_->Acquire();
    EXPECT_TRUE(conn.ok());
    auto r = (*conn)->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r->GetInt64(0, 0);
  }
  std::unique_ptr<store::Pool> pool_;
};

store::NewsEvent Item(const std::string& id, const std::string& url, const std::string& headline,
                      int64_t published_us, std::vector<std::string> symbols, const std::string& source = "Wire") {
  store::NewsEvent e;
  e.headline = headline;
  if (!id.empty()) e.external_id = id;
  if (!url.empty()) e.url = url;
  e.source = source;
  e.published_us = published_us;
  e.symbols = std::move(symbols);
  return e;
}

TEST_F(MarketStoreTest, MultiTickerNewsIsOneItemFoundUnderEachSymbol) {
  store::NewsRepository repo(pool_.get());
  auto e = Item("g1", "https://news.example/apple-microsoft", "Apple and Microsoft sign a cloud deal",
                kMar4 + 15 * 3600'000'000LL, {"AAPL", "MSFT", "ZZZZ"});
  e.score = 120;
  e.upvote_ratio = 0.93;
  e.comments = 45;
  e.extra_json = R"({"author":"someone"})";
  auto r = repo.Insert({e});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted, 1);
  EXPECT_EQ(r->mentions, 2);
  EXPECT_EQ(r->unknown_symbols, std::vector<std::string>{"ZZZZ"});
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_events"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_event_instruments"), 2);
  for (const char* sym : {"AAPL", "MSFT"}) {
    auto got = repo.RecentForSymbol(sym, 0, kMar4 + 86'400'000'000LL, 10);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), 1u) << sym;
    const auto& n = (*got)[0];
    EXPECT_EQ(n.headline, "Apple and Microsoft sign a cloud deal");
    EXPECT_EQ(n.symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
    EXPECT_EQ(n.published_us, kMar4 + 15 * 3600'000'000LL);
    EXPECT_EQ(n.external_id.value_or(""), "g1");
    EXPECT_DOUBLE_EQ(n.score.value_or(0), 120);
    EXPECT_DOUBLE_EQ(n.upvote_ratio.value_or(0), 0.93);
    EXPECT_EQ(n.comments.value_or(0), 45);
    EXPECT_NE(n.extra_json.value_or("").find("someone"), std::string::npos);
  }
  auto tsla = repo.RecentForSymbol("TSLA", 0, kMar4 + 86'400'000'000LL, 10);
  ASSERT_TRUE(tsla.ok());
  EXPECT_TRUE(tsla->empty());
  EXPECT_EQ(repo.RecentForSymbol("NOPE", 0, kMar4, 10).status().code(), SF_ERR_NOT_FOUND);
}

TEST_F(MarketStoreTest, NewsIsDeduplicatedBySourceAndUrlOrId) {
  store::NewsRepository repo(pool_.get());
  const int64_t t = kMar4 + 14 * 3600'000'000LL;
  auto first = repo.Insert({Item("g1", "https://news.example/a", "Story A", t, {"AAPL"}),
                            Item("reddit:t3_abc", "", "A post without a link", t, {"TSLA"}, "r/stocks")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->inserted, 2);
  // Same URL under another id, same id under another URL, and the same again:
  // all duplicates. A second poll naming one more ticker adds that mention.
  auto again = repo.Insert({Item("g2", "https://news.example/a", "Story A (updated)", t, {"AAPL", "MSFT"}),
                            Item("g1", "https://news.example/a?utm=x", "Story A", t, {"AAPL"}),
                            Item("reddit:t3_abc", "", "A post without a link", t, {"TSLA"}, "r/stocks")});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->inserted, 0);
  EXPECT_EQ(again->duplicates, 3);
  EXPECT_EQ(again->mentions, 1);  // MSFT
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_events"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_events WHERE headline = 'Story A'"), 1);  // not rewritten
  // The same URL from another source is that source's item.
  auto other = repo.Insert({Item("g1", "https://news.example/a", "Story A", t, {"AAPL"}, "Other wire")});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->inserted, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_events"), 3);
}

TEST_F(MarketStoreTest, InvalidNewsIsRefusedWithItsRuleAndTheRestIsStored) {
  store::NewsRepository repo(pool_.get());
  const int64_t t = kMar4 + 14 * 3600'000'000LL;
  std::vector<store::NewsEvent> items;
  items.push_back(Item("ok", "https://news.example/ok", "Fine", t, {"AAPL"}));
  items.push_back(Item("empty", "https://news.example/1", "", t, {}));
  items.push_back(Item("epoch", "https://news.example/2", "Zero time", 0, {}));
  items.push_back(Item("future", "https://news.example/3", "Far future", 4'102'444'800'000'000LL, {}));  // 2100
  items.push_back(Item("utf8", "https://news.example/4", std::string("bad \xC3\x28 bytes"), t, {}));
  items.push_back(Item("nul", "https://news.example/5", std::string("nul\0inside", 10), t, {}));
  items.push_back(Item("sql", "https://news.example/6", "Tickers", t, {"AAPL';DROP TABLE news_events;--"}));
  items.push_back(Item("ctl", "https://news.example/7", "Tickers", t, {"AA\x01PL"}));
  items.push_back(Item("js", "javascript:alert(1)", "Link", t, {}));
  items.push_back(Item("", "", "No key", t, {}));
  auto ratio = Item("ratio", "https://news.example/8", "Ratio", t, {});
  ratio.upvote_ratio = 1.5;
  items.push_back(ratio);
  auto extra = Item("extra", "https://news.example/9", "Extra", t, {});
  extra.extra_json = "[1,2]";
  items.push_back(extra);
  auto score = Item("score", "https://news.example/10", "Score", t, {});
  score.score = std::numeric_limits<double>::infinity();
  items.push_back(score);
  items.push_back(Item("long", "https://news.example/11", std::string(1001, 'x'), t, {}));
  auto r = repo.Insert(items);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted, 1);
  ASSERT_EQ(r->refused.size(), items.size() - 1);
  const std::vector<std::string> rules = {"headline must be 1..1000", "outside 1990-01-01", "outside 1990-01-01",
                                          "not valid UTF-8", "not valid UTF-8", "symbol", "symbol",
                                          "absolute http(s) URL", "url or an external_id", "upvote_ratio",
                                          "extra_json must be a JSON object", "score must be finite",
                                          "headline must be 1..1000"};
  for (size_t i = 0; i < rules.size(); ++i) {
    EXPECT_NE(r->refused[i].reason.find(rules[i]), std::string::npos)
        << r->refused[i].what << ": " << r->refused[i].reason;
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM news_events"), 1);
}

TEST_F(MarketStoreTest, RecentNewsNeverShowsTheFuture) {
  store::NewsRepository repo(pool_.get());
  std::vector<store::NewsEvent> items;
  for (int i = 0; i < 5; ++i) {
    items.push_back(Item("n" + std::to_string(i), "https://news.example/n" + std::to_string(i),
                         "Tesla story " + std::to_string(i), kMar4 + i * 3600'000'000LL, {"TSLA"}));
  }
  ASSERT_TRUE(repo.Insert(items).ok());
  // At 02:30 a backtest sees stories 0, 1, 2, newest first.
  auto seen = repo.RecentForSymbol("TSLA", 0, kMar4 + 150 * kUsPerMinute, 10);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_EQ((*seen)[0].headline, "Tesla story 2");
  EXPECT_EQ((*seen)[2].headline, "Tesla story 0");
  auto limited = repo.RecentForSymbol("TSLA", kMar4 + 3600'000'000LL, kMar4 + 10 * 3600'000'000LL, 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[0].headline, "Tesla story 4");
  auto all = repo.Recent(0, kMar4 + 86'400'000'000LL, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  EXPECT_EQ(repo.Recent(0, kMar4, 0).status().code(), SF_ERR_INVALID_ARGUMENT);
}

TEST(NewsEventFromItemTest, AbsentValuesStayAbsent) {
  NewsItem n;
  n.id = "reddit:t3_x";
  n.title = "Post";
  n.source = "r/stocks";
  n.symbols = "TSLA, AAPL,TSLA";
  n.published_us = kMar4;
  n.score = std::numeric_limits<double>::quiet_NaN();
  n.upvote_ratio = 0.5;
  n.comments = -1;
  store::NewsEvent e = store::NewsEventFromItem(n);
  EXPECT_FALSE(e.url.has_value());
  EXPECT_FALSE(e.snippet.has_value());
  EXPECT_FALSE(e.score.has_value());
  EXPECT_FALSE(e.comments.has_value());
  EXPECT_DOUBLE_EQ(e.upvote_ratio.value_or(0), 0.5);
  EXPECT_EQ(e.symbols, (std::vector<std::string>{"TSLA", "AAPL"}));
}

// Two provider batches, one with vwap and one without, in both orders: the
// rows without one carry NaN (stored as NULL), never 0 (which the store would
// refuse as a price).
TEST_F(MarketStoreTest, MixedVwapBatchesStoreNullForTheUnknownRows) {
  auto batch = [](int64_t t0, int n, const double* vwap, std::vector<std::vector<double>>* keep,
                  std::vector<int64_t>* ts) {
    ts->clear();
    keep->assign(5, {});
    for (int i = 0; i < n; ++i) {
      ts->push_back(t0 + i * kUsPerMinute);
      (*keep)[0].push_back(10 + i);  // open
      (*keep)[1].push_back(11 + i);  // high
      (*keep)[2].push_back(9 + i);   // low
      (*keep)[3].push_back(10.5 + i);
      (*keep)[4].push_back(100);
    }
    sf_bar_batch b{};
    b.struct_size = sizeof(b);
    b.symbol = "MSFT";
    b.timeframe = "1m";
    b.count = n;
    b.ts_start = ts->data();
    b.open = (*keep)[0].data();
    b.high = (*keep)[1].data();
    b.low = (*keep)[2].data();
    b.close = (*keep)[3].data();
    b.volume = (*keep)[4].data();
    b.vwap = vwap;
    return b;
  };
  const int64_t t0 = kMar4 + 15 * 3600'000'000LL;
  const double vw[2] = {10.2, 11.3};
  std::vector<std::vector<double>> cols;
  std::vector<int64_t> ts;
  ProviderBars bars;
  bars.AppendBatch(batch(t0, 2, nullptr, &cols, &ts));       // no vwap yet
  bars.AppendBatch(batch(t0 + 2 * kUsPerMinute, 2, vw, &cols, &ts));
  bars.AppendBatch(batch(t0 + 4 * kUsPerMinute, 1, nullptr, &cols, &ts));
  ASSERT_EQ(bars.vwap.size(), 5u);
  EXPECT_TRUE(std::isnan(bars.vwap[0]) && std::isnan(bars.vwap[1]) && std::isnan(bars.vwap[4]));
  EXPECT_DOUBLE_EQ(bars.vwap[2], 10.2);
  ProviderBars more;  // Append (the live path's buffer) pads the same way
  more.symbol = "MSFT";
  more.timeframe = Timeframe::k1m;
  more.Append(bars);
  ProviderBars plain;
  plain.AppendBatch(batch(t0 + 5 * kUsPerMinute, 1, nullptr, &cols, &ts));
  more.Append(plain);
  ASSERT_EQ(more.vwap.size(), 6u);
  EXPECT_TRUE(std::isnan(more.vwap[5]));
  for (size_t i = 0; i < more.size(); ++i) more.ts_end.at(i) = more.ts_start[i] + kUsPerMinute;

  store::BarBatch stored = store::BarBatchFromProvider(std::move(more), "test");
  EXPECT_EQ(stored.source, "test");
  auto r = store::BarsRepository(pool_.get()).Ingest(stored);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inserted, 6);
  EXPECT_EQ(Scalar("SELECT count(*) FROM bars WHERE vwap IS NULL"), 4);
  EXPECT_EQ(Scalar("SELECT count(*) FROM bars WHERE vwap IS NOT NULL AND vwap > 0"), 2);
}

}  // namespace
}  // namespace sf::market
