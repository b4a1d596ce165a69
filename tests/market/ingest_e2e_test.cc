// `signalforge ingest` end to end: the real binary, real plugins, a real
// throwaway PostgreSQL cluster (tests/support). Checks what reaches the bars
// table, that bad input never does, and that re-ingesting is idempotent.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/bars_repository.h"
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
                                      "2021-01-12,10,11,9,10.5,10.5,100\n"; // good
  json r = IngestJson("--provider csv --path " + data);
  EXPECT_EQ(r["bars_stored"], 2) << r.dump(2);
  EXPECT_EQ(r["bars_rejected"], 7);
  EXPECT_EQ(r["rows_malformed"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["non_positive_price"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["high_below_low"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["negative_volume"], 1);
  EXPECT_EQ(r["rejected_by_rule"]["not_finite"], 1);
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

}  // namespace
}  // namespace sf::market
