// `signalforge ingest` end to end: the real binary, real plugins, a real
// throwaway PostgreSQL cluster (tests/support). Checks what reaches the bars
// table, that bad input never does, and that re-ingesting is idempotent.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "store/bars_repository.h"
#include "store/instruments_repository.h"
#include "store/news_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf::market {
namespace {

using nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string out;
};

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = sf::testing::PgCluster::Shared().CreateMigratedDatabase("ingest");
    char tmpl[] = "/tmp/sf_ingest_XXXXXX";
    dir_ = mkdtemp(tmpl);
    json cfg = {{"plugins", {{"directories", {SF_PLUGIN_DIR}}, {"probe", false}}},
                {"database", {{"url", conninfo_}, {"migrations_dir", SF_MIGRATIONS_DIR}}},
                {"log", {{"level", "error"}}},
                {"market", {{"calendars_dir", SF_CALENDAR_DIR},
                            {"synthetic", {{"seed", 9}, {"symbols", 12}, {"epoch", "2022-01-03"}}},
                            {"universes", {{"two", {"AAPL", "MSFT"}}}}}}};
    // A news feed and an AlphaVantage, served on 127.0.0.1 by a test.
    feed_ = std::make_unique<sf::testing::FakeVendorServer>(
        [this](const sf::testing::RecordedRequest& req, auto&, auto& response, auto&) {
          if (req.path == "/query") {
            sf::testing::Reply(response, 200, vendor_bodies_[req.query.at("symbol")]);
          } else {
            sf::testing::Reply(response, 200, feed_body_, "application/rss+xml");
          }
        });
    cfg["market"]["providers"] = {
        {"wire", {{"provider", "rss"}, {"config", {{"feeds", {feed_->base_url() + "/feed.xml"}}, {"timeout_ms", 3000}}}}},
        {"av", {{"provider", "alphavantage"},
                {"config", {{"base_url", feed_->base_url()}, {"api_key", "k"}, {"timeout_ms", 3000}}}}}};
    std::ofstream(dir_ + "/config.json") << cfg.dump(2);
    auto pool = store::Pool::Create({.conninfo = conninfo_});
    ASSERT_TRUE(pool.ok()) << pool.status().ToString();
    pool_ = std::move(*pool);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult Ingest(const std::string& args) {
    const std::string cmd = std::string(SF_BINARY) + " ingest --config " + dir_ + "/config.json " + args +
                            " 2>" + dir_ + "/stderr.txt";
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  json IngestJson(const std::string& args) {
    RunResult r = Ingest(args + " --json");
    std::ifstream err(dir_ + "/stderr.txt");
    std::string err_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    EXPECT_EQ(r.exit_code, 0) << r.out << err_text;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << err_text;
    return j;
  }
  int64_t CountBars(const std::string& symbol, const std::string& tf) {
    store::BarsRepository repo(pool_.get());
    auto tfv = store::TimeframeFromSqlName(tf);
    auto s = repo.Load(symbol, *tfv, 0, INT64_MAX / 2);
    if (!s.ok()) return s.status().code() == SF_ERR_NOT_FOUND ? 0 : -1;
    return static_cast<int64_t>(s->size());
  }
  // Rows of a real file with a date in [from, to].
  static int64_t RowsInRange(const std::string& file, const std::string& from, const std::string& to) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    int64_t n = 0;
    while (std::getline(in, line)) {
      const std::string d = line.substr(0, 10);
      if (d >= from && d <= to) ++n;
    }
    return n;
  }

  std::string conninfo_, dir_;
  std::unique_ptr<store::Pool> pool_;
  std::string feed_body_;
  std::map<std::string, std::string> vendor_bodies_;  // AlphaVantage answer by symbol
  std::unique_ptr<sf::testing::FakeVendorServer> feed_;
};

TEST_F(IngestTest, CsvSubsetStoresGoodBarsRefusesBfbAndIsIdempotent) {
  const std::string args = "--provider csv --path " SF_SP500_DIR "/daily --symbols AAPL,MSFT,BF.B "
                           "--from 2019-01-01 --to 2020-12-31";
  json first = IngestJson(args);
  const int64_t expected = RowsInRange(SF_SP500_DIR "/daily/AAPL.csv", "2019-01-01", "2020-12-31") +
                           RowsInRange(SF_SP500_DIR "/daily/MSFT.csv", "2019-01-01", "2020-12-31");
  ASSERT_GT(expected, 1000);
  EXPECT_EQ(first["bars_stored"], expected) << first.dump(2);
  EXPECT_EQ(first["bars_new"], expected);
  EXPECT_EQ(first["bars_rejected"], 0);
  ASSERT_EQ(first["files_refused"].size(), 1u);
  EXPECT_EQ(first["files_refused"][0]["file"], "BF.B.csv");
  EXPECT_NE(first["files_refused"][0]["reason"].get<std::string>().find("not price data"), std::string::npos);
  EXPECT_EQ(CountBars("AAPL", "1d") + CountBars("MSFT", "1d"), expected);
  EXPECT_EQ(CountBars("BF.B", "1d"), 0);

  // Again: nothing new, everything skipped as identical.
  json second = IngestJson(args);
  EXPECT_EQ(second["bars_stored"], 0) << second.dump(2);
  EXPECT_EQ(second["bars_skipped"], expected);
  EXPECT_EQ(CountBars("AAPL", "1d") + CountBars("MSFT", "1d"), expected);
}

TEST_F(IngestTest, BadRowsNeverReachTheBarsTable) {
  const std::string data = dir_ + "/data";
  std::filesystem::create_directory(data);
  std::ofstream(data + "/BAD.csv") << "Date,Open,High,Low,Close,Adj Close,Volume\n"
                                      "2021-01-04,10,11,9,10,10,100\n"      // good
                                      "2021-01-05,10,11,9,-3,10,100\n"      // non-positive close
                                      "2021-01-06,10,8,9,10,10,100\n"       // high < low
                                      "2021-01-07,10,11,9,10,10,-100\n"     // negative volume
                                      "2021-01-08,nan,11,9,10,10,100\n"     // NaN
                                      "2021-01-09,10,11,9,10,10,100\n"      // Saturday
                                      "2100-01-04,10,11,9,10,10,100\n"      // far future
                                      "1970-01-01,10,11,9,10,10,100\n"      // 1970
                                      "2021-01-11,10,11,9,10,x,100\n"       // malformed
                                      "2021-01-13,10,inf,9,10,10,100\n"     // infinite
                                      "2021-01-12,10,11,9,10.5,10.5,100\n"; // good
  json r = IngestJson("--provider csv --path " + data);
  EXPECT_EQ(r["bars_stored"], 2) << r.dump(2);
  EXPECT_EQ(r["bars_rejected"], 8);
  EXPECT_EQ(r["rows_malformed"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["non_positive_price"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["high_below_low"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["negative_volume"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["not_finite"], 2);
  EXPECT_EQ(r["rejected_by_rule"]["off_calendar"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["timestamp_out_of_range"], 2);
  EXPECT_EQ(CountBars("BAD", "1d"), 2);
}

TEST_F(IngestTest, SyntheticIntradayAndUniverse) {
  json r = IngestJson("--provider synthetic --timeframe 1m --from 2022-03-01 --to 2022-03-02");
  EXPECT_EQ(r["symbols"], 13);  // 12 + the index
  EXPECT_EQ(r["bars_stored"], 13 * 2 * 390) << r.dump(2);
  EXPECT_EQ(r["bars_rejected"], 0);
  json again = IngestJson("--provider synthetic --timeframe 1m --from 2022-03-01 --to 2022-03-02");
  EXPECT_EQ(again["bars_stored"], 0);
  EXPECT_EQ(again["bars_skipped"], 13 * 2 * 390);
  json u = IngestJson("--provider csv --path " SF_SP500_DIR "/daily --universe two --from 2021-01-01");
  EXPECT_EQ(u["symbols"], 2);
}

TEST_F(IngestTest, UsageErrorsNameTheInput) {
  RunResult r = Ingest("--provider csv --timeframe 7m");
  EXPECT_EQ(r.exit_code, 2);
  r = Ingest("--provider nosuch");
  EXPECT_EQ(r.exit_code, 1);
  r = Ingest("--provider csv --path /nonexistent");
  EXPECT_EQ(r.exit_code, 1);
  r = Ingest("--provider csv --symbols 'A;DROP TABLE bars' --path /tmp");
  EXPECT_EQ(r.exit_code, 2);
}

std::string RssItem(const std::string& title, const std::string& link, const std::string& guid,
                    const std::string& date) {
  return "<item><title>" + title + "</title><link>" + link + "</link><guid isPermaLink=\"false\">" + guid +
         "</guid><pubDate>" + date + "</pubDate></item>";
}

TEST_F(IngestTest, RssNewsIsStoredOncePerItemUnderEveryTickerItNames) {
  for (const char* sym : {"AAPL", "MSFT"}) {
    store::Instrument i;
    i.symbol = sym;
    ASSERT_TRUE(store::InstrumentsRepository(pool_.get()).Upsert(i).ok());
  }
  feed_body_ =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Market Wire</title>" +
      RssItem("$AAPL and MSFT agree on a cloud deal", "http://news.example/deal", "g-1",
              "Tue, 05 Mar 2024 14:30:00 -0500") +
      RssItem("Microsoft (MSFT) beats estimates", "http://news.example/msft", "g-2",
              "Wed, 06 Mar 2024 09:00:00 GMT") +
      RssItem("Rumour about $ZZZZ", "http://news.example/zzzz", "g-3", "Wed, 06 Mar 2024 10:00:00 GMT") +
      RssItem("Epoch", "http://news.example/epoch", "g-4", "Thu, 01 Jan 1970 00:00:00 GMT") +
      RssItem("From the future", "http://news.example/future", "g-5", "Fri, 01 Jan 2100 00:00:00 GMT") +
      "</channel></rss>";
  json r = IngestJson("--provider wire");
  EXPECT_EQ(r["news_received"], 3) << r.dump(2);
  EXPECT_EQ(r["news_stored"], 3);
  EXPECT_EQ(r["news_skipped"], 0);
  EXPECT_EQ(r["news_rejected"], 2);  // 1970 and 2100, refused by the provider with reasons
  EXPECT_EQ(r["mentions"], 3);       // AAPL+MSFT, MSFT; ZZZZ is no instrument
  EXPECT_EQ(r["unknown_symbols"], json::array({"ZZZZ"}));
  store::NewsRepository news(pool_.get());
  auto aapl = news.RecentForSymbol("AAPL", 0, INT64_MAX / 2, 10);
  ASSERT_TRUE(aapl.ok()) << aapl.status().ToString();
  ASSERT_EQ(aapl->size(), 1u);
  EXPECT_EQ((*aapl)[0].headline, "$AAPL and MSFT agree on a cloud deal");
  EXPECT_EQ((*aapl)[0].symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ((*aapl)[0].source.value_or(""), "Market Wire");
  EXPECT_EQ((*aapl)[0].published_us, 1'709'667'000'000'000);  // 2024-03-05T19:30:00Z
  auto msft = news.RecentForSymbol("MSFT", 0, INT64_MAX / 2, 10);
  ASSERT_TRUE(msft.ok());
  EXPECT_EQ(msft->size(), 2u);

  // The same feed again: nothing new.
  json again = IngestJson("--provider wire");
  EXPECT_EQ(again["news_stored"], 0) << again.dump(2);
  EXPECT_EQ(again["news_skipped"], 3);
  auto all = news.Recent(0, INT64_MAX / 2, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

json AvRow(const std::string& o, const std::string& h, const std::string& l, const std::string& c,
          const std::string& v) {
  return {{"1. open", o},          {"2. high", h},       {"3. low", l},
          {"4. close", c},         {"5. adjusted close", c}, {"6. volume", v},
          {"7. dividend amount", "0.0000"}, {"8. split coefficient", "1.0"}};
}

std::string AvBody(const std::string& symbol, const json& series) {
  return json({{"Meta Data", {{"2. Symbol", symbol}, {"5. Time Zone", "US/Eastern"}}},
               {"Time Series (Daily)", series}})
      .dump();
}

// An HTTP vendor answering bad rows, a response for another symbol and a
// broken body: only the good rows reach the bars table.
TEST_F(IngestTest, HttpVendorBadInputNeverReachesTheBarsTable) {
  vendor_bodies_["IBM"] = AvBody("IBM", {{"2021-03-01", AvRow("10", "11", "9", "10.5", "1000")},  // good
                                         {"2021-03-02", AvRow("NaN", "11", "9", "10.5", "1000")},
                                         {"2021-03-03", AvRow("10", "Infinity", "9", "10.5", "1000")},
                                         {"2021-03-04", AvRow("-10", "11", "9", "10.5", "1000")},
                                         {"2021-03-05", AvRow("10", "9", "11", "10", "1000")},
                                         {"2021-03-08", AvRow("10", "11", "9", "10.5", "-5")},
                                         {"1970-01-01", AvRow("10", "11", "9", "10.5", "1000")},
                                         {"2100-01-04", AvRow("10", "11", "9", "10.5", "1000")},
                                         {"2021-03-09", AvRow("10.2", "11", "9", "10.4", "1000")}});  // good
  vendor_bodies_["MSFT"] = AvBody("MSFT'; DROP TABLE bars;--", {{"2021-03-01", AvRow("10", "11", "9", "10.5", "1")}});
  vendor_bodies_["AAPL"] = "{\"Meta Data\": {\"2. Symbol\": \"AAPL\"}, \"Time Series (Daily)\": {";  // cut off
  RunResult r = Ingest("--provider av --symbols IBM,MSFT,AAPL --json");
  EXPECT_EQ(r.exit_code, 1) << r.out;  // two symbols failed: reported, and the exit code says so
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["bars_stored"], 2) << j.dump(2);
  const std::string error = j["error"].get<std::string>();
  EXPECT_NE(error.find("2 of 3 symbols refused"), std::string::npos) << error;
  EXPECT_EQ(CountBars("IBM", "1d"), 2);
  EXPECT_EQ(CountBars("MSFT", "1d"), 0);
  EXPECT_EQ(CountBars("AAPL", "1d"), 0);
  auto conn = pool_->Acquire();
  ASSERT_TRUE(conn.ok());
  auto bad = (*conn)->Exec(
      "SELECT count(*) FROM bars WHERE NOT (open > 0 AND high >= low AND volume >= 0) OR ts_start < '1990-01-01'"
      " OR ts_start > now() + interval '1 day' OR open = 'NaN'::float8 OR high = 'Infinity'::float8");
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_EQ(bad->GetInt64(0, 0), 0);
}

}  // namespace
}  // namespace sf::market
