// `signalforge backtest` end to end: the real binary, bars straight from the
// csv provider plugin over real S&P 500 files, results stored in a throwaway
// PostgreSQL, JSON and HTML written; and from the database after an ingest.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/backtests_repository.h"
#include "store/pool.h"
#include "support/pg_cluster.h"

namespace sf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct CliRun {
  int code = -1;
  std::string out, err;
};

class BacktestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::PgCluster::Shared().CreateMigratedDatabase("backtest");
    char tmpl[] = "/tmp/sf_backtest_cli_XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ + "/plugins");
    for (const char* so : {"indicators.so", "sf_csv.so"})
      fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/" + so, dir_ + "/plugins/" + so);
    json cfg = {{"plugins", {{"directories", {dir_ + "/plugins"}}, {"probe", false}}},
                {"database", {{"url", conninfo_}, {"migrations_dir", SF_MIGRATIONS_DIR}}},
                {"log", {{"level", "error"}}},
                {"market", {{"calendars_dir", SF_CALENDAR_DIR}}}};
    std::ofstream(dir_ + "/config.json") << cfg.dump(2);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Cli(const std::string& args) {
    const std::string cmd = std::string(SF_BINARY) + " " + args + " --config " + dir_ +
                            "/config.json 2>" + dir_ + "/stderr.txt";
    CliRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int st = pclose(p);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream e(dir_ + "/stderr.txt");
    std::stringstream ss;
    ss << e.rdbuf();
    r.err = ss.str();
    return r;
  }

  std::string conninfo_, dir_;
};

TEST_F(BacktestCli, ProviderCsvToJsonHtmlAndDatabase) {
  const std::string strategy = std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua";
  CliRun r = Cli("backtest --strategy " + strategy + " --provider csv --path " + SF_SP500_DIR +
              "/daily --symbols AAPL,BA,CCL,XOM,MGM --from 2018-01-01 --to 2020-12-31 "
              "--risk min_risk_reward=1 --fee-pct 0.05 --slippage-bps 5 --monte-carlo 200 --json " + dir_ +
              "/out.json --html " + dir_ + "/report.html");
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The summary table.
  EXPECT_NE(r.out.find("mean_reversion"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| sharpe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("monte carlo (200 runs)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stored as backtest run"), std::string::npos) << r.out;

  std::ifstream jf(dir_ + "/out.json");
  json j = json::parse(jf, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["strategy"], "mean_reversion");
  EXPECT_EQ(j["symbols"].size(), 5u);
  EXPECT_EQ(j["from"], "2018-01-02");  // first session of 2018
  ASSERT_GT(j["trades"].size(), 0u);
  EXPECT_EQ(j["stats"]["count"], j["trades"].size());
  for (const auto& t : j["trades"]) EXPECT_GT(t["fees"].get<double>(), 0);
  EXPECT_EQ(j["monte_carlo"]["runs"], 200);
  EXPECT_GT(j["equity"].size(), 700u);

  std::ifstream hf(dir_ + "/report.html");
  std::stringstream html;
  html << hf.rdbuf();
  EXPECT_NE(html.str().find("<svg id='equity'"), std::string::npos);
  EXPECT_NE(html.str().find("<table id='montecarlo'"), std::string::npos);

  // Stored: one done run whose trades match the JSON.
  auto pool = store::Pool::Create({.conninfo = conninfo_});
  ASSERT_TRUE(pool.ok());
  store::BacktestsRepository repo(pool->get());
  auto runs = repo.List();
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->at(0).status, "done");
  EXPECT_EQ(runs->at(0).id, j["run_id"]);
  EXPECT_EQ(runs->at(0).metrics["stats"]["count"], j["stats"]["count"]);
  auto trades = repo.Trades(runs->at(0).id);
  ASSERT_TRUE(trades.ok());
  ASSERT_EQ(trades->size(), j["trades"].size());
  double sum_db = 0, sum_json = 0;
  for (const auto& t : *trades) sum_db += *t.pnl_pct;
  for (const auto& t : j["trades"]) sum_json += t["pnl_pct"].get<double>();
  EXPECT_NEAR(sum_db, sum_json, 1e-9);
}

TEST_F(BacktestCli, FromTheDatabaseAfterIngest) {
  CliRun in = Cli("ingest --provider csv --path " + std::string(SF_SP500_DIR) +
               "/daily --symbols AAPL,CCL --from 2017-01-01 --to 2020-12-31");
  ASSERT_EQ(in.code, 0) << in.out << in.err;
  const std::string strategy = std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua";
  CliRun db = Cli("backtest --strategy " + strategy +
               " --symbols AAPL,CCL --from 2018-01-01 --to 2020-12-31 --risk min_risk_reward=1 --json -");
  ASSERT_EQ(db.code, 0) << db.out << db.err;
  CliRun csv = Cli("backtest --strategy " + strategy + " --provider csv --path " + SF_SP500_DIR +
                "/daily --symbols AAPL,CCL --from 2018-01-01 --to 2020-12-31 --risk min_risk_reward=1 --json - --no-store");
  ASSERT_EQ(csv.code, 0) << csv.out << csv.err;
  json a = json::parse(db.out, nullptr, false), b = json::parse(csv.out, nullptr, false);
  ASSERT_FALSE(a.is_discarded()) << db.out;
  ASSERT_FALSE(b.is_discarded()) << csv.out;
  // Same bars, same strategy: the same backtest whichever way the bars came
  // (the store keeps raw prices and the factor, so adjusted prices may differ
  // in the last bits).
  ASSERT_EQ(a["trades"].size(), b["trades"].size());
  ASSERT_GT(a["trades"].size(), 0u);
  for (size_t i = 0; i < a["trades"].size(); ++i) {
    const json &x = a["trades"][i], &y = b["trades"][i];
    for (const char* k : {"symbol", "signal_date", "entry_date", "exit_date", "status", "exit_reason"})
      EXPECT_EQ(x[k], y[k]) << k << " of trade " << i;
    EXPECT_NEAR(x["pnl_pct"].get<double>(), y["pnl_pct"].get<double>(), 1e-6);
  }
  for (const char* k : {"count", "wins", "days"}) EXPECT_EQ(a["stats"][k], b["stats"][k]) << k;
  for (const char* k : {"total_return_pct", "sharpe", "max_drawdown_pct"})
    EXPECT_NEAR(a["stats"][k].get<double>(), b["stats"][k].get<double>(), 1e-6) << k;
  EXPECT_TRUE(a.contains("run_id"));
  EXPECT_FALSE(b.contains("run_id"));
}

TEST_F(BacktestCli, UsageAndInputErrors) {
  CliRun r = Cli("backtest --from 2018-01-01 --to 2019-01-01");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--strategy"), std::string::npos) << r.err;
  r = Cli("backtest --strategy x.lua --from 2018-01-01 --to 2019-01-01 --frobnicate 1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--frobnicate"), std::string::npos) << r.err;
  const std::string strategy = std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua";
  r = Cli("backtest --strategy " + strategy + " --provider csv --path " + SF_SP500_DIR +
          "/daily --symbols AAPL --from 2018-01-01 --to 2019-01-01 --fee-pct -3 --no-store");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("costs.fee_pct"), std::string::npos) << r.err;
  r = Cli("backtest --strategy " + strategy + " --provider csv --path " + SF_SP500_DIR +
          "/daily --symbols AAPL --from 2018-01-01 --to 2019-01-01 --params z_entry=7 --no-store");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("z_entry"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sf
