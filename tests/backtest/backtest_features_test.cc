// Feature sets and models in backtests, end to end through the real
// `signalforge` binary (bars straight from the csv provider plugin over real
// S&P 500 files, the real Lua worker, indicator and xgboost plugins):
//   1. regime_v1 reaches ctx.features("regime_v1") at every bar with the
//      values the trainer's RegimeColumns computes for that symbol and bar;
//   2. issue 10's "done means": a model trained with `signalforge train` on
//      price_v1 + regime_v1 with a triple-barrier label, loaded by
//      scripts/mean_reversion.lua in `signalforge backtest`; every signal
//      carries the model's probability, which equals Debian's python3-xgboost
//      on the row the C++ feature code computes for that bar (regime values
//      included, and they matter: without them some predictions differ).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/feature_sets.h"
#include "backtest_support.h"
#include "feature_support.h"
#include "lua/csv_bars.h"

namespace sf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
constexpr int64_t kDayUs = 86'400'000'000LL;

using backtest_test::Exec;
using CliRun = backtest_test::CmdResult;

json ReadJson(const std::string& path) {
  std::ifstream f(path);
  return json::parse(f, nullptr, false);
}

// The last line of `out` that parses as a JSON object.
json LastJson(const std::string& out) {
  json last;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_object()) last = j;
  }
  return last;
}

std::map<std::string, std::string> Sectors() {
  std::map<std::string, std::string> out;
  std::ifstream in(std::string(SF_SP500_DIR) + "/constituents.csv");
  std::string line;
  while (std::getline(in, line)) {
    const auto a = line.find(','), b = line.rfind(',');
    if (a != std::string::npos && b != a) out[line.substr(0, a)] = line.substr(b + 1);
  }
  return out;
}

int64_t Day(const char* date) { return *lua::ParseDateToCloseMicros(date) / kDayUs * kDayUs; }

// The bars a backtest of [from, to] with `warmup_days` loads, from the same
// files (the CLI goes through the csv provider plugin: same adjusted prices
// up to the last bits, bar times on the same dates).
std::vector<market::BarSeries> Load(const std::vector<std::string>& symbols, const char* from,
                                    const char* to, int warmup_days) {
  const int64_t lo = Day(from) - warmup_days * kDayUs, hi = Day(to) + kDayUs - 1;
  return backtest_test::LoadSp500(symbols, lo, hi);
}

std::string UtcDay(int64_t ts_us) {
  const time_t secs = static_cast<time_t>(ts_us / 1'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", &t);
  return b;
}

class BacktestFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sf_backtest_features_XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ + "/plugins");
    for (const char* so : {"indicators.so", "sf_csv.so"})
      fs::create_symlink(std::string(SF_PLUGIN_DIR) + "/" + so, dir_ + "/plugins/" + so);
    fs::create_symlink(SF_XGBOOST_PLUGIN, dir_ + "/plugins/" + fs::path(SF_XGBOOST_PLUGIN).filename().string());
    json cfg = {{"plugins", {{"directories", {dir_ + "/plugins"}}, {"probe", false}}},
                {"log", {{"level", "error"}}},
                {"market", {{"calendars_dir", SF_CALENDAR_DIR}}},
                {"models", {{"directory", dir_ + "/models"}}}};
    std::ofstream(dir_ + "/config.json") << cfg.dump(2);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Bin() const { return std::string(SF_BINARY) + " --config " + dir_ + "/config.json "; }
  std::string dir_;
};

// Emits a buy on every bar with the finite regime_v1 values it sees.
constexpr const char* kProbe = R"(
return {
  name = "regime_probe", timeframe = "1d", universe = { type = "equity" }, history = 30,
  evaluate = function(ctx, symbol)
    local f = ctx.features("regime_v1")
    if not f then return nil end
    local seen, n = {}, 0
    for k, v in pairs(f) do
      if v == v then seen[k] = v; n = n + 1 end
    end
    if n == 0 then return nil end
    local c = ctx.bars.close[-1]
    return { side = "buy", confidence = 0.9, entry = c, target = c * 1.1, stop = c * 0.95,
             expiry = 5, summary = "regime probe", features = seen }
  end,
}
)";

TEST_F(BacktestFeatures, RegimeV1ReachesStrategiesAsInTraining) {
  std::ofstream(dir_ + "/regime_probe.lua") << kProbe;
  const std::vector<std::string> symbols = {"AAPL", "MSFT", "XOM", "CVX", "JPM", "KO"};
  std::string list;
  for (const auto& s : symbols) list += (list.empty() ? "" : ",") + s;
  for (const bool per_bar : {false, true}) {
    SCOPED_TRACE(per_bar ? "per-bar" : "range");
    CliRun r = Exec(Bin() + "backtest --strategy " + dir_ + "/regime_probe.lua --provider csv --path " +
                    SF_SP500_DIR + "/daily --symbols " + list +
                    " --from 2019-01-01 --to 2019-12-31 --warmup-days 500 --lib " + SF_SOURCE_DIR +
                    "/scripts/lib --json " + dir_ + "/out.json" +
                    (per_bar ? " --per-bar" : ""));
    ASSERT_EQ(r.code, 0) << r.out;
    json j = ReadJson(dir_ + "/out.json");
    ASSERT_TRUE(j.is_object()) << r.out;

    // What the trainer computes over the same universe and bars.
    const auto bars = Load(symbols, "2019-01-01", "2019-12-31", 500);
    const auto sectors = Sectors();
    std::vector<std::string> sector_of;
    for (const auto& s : bars) sector_of.push_back(sectors.count(s.symbol) ? sectors.at(s.symbol) : "");
    const app::RegimeTable table = app::ComputeRegime(bars, sector_of);
    const std::vector<std::string> names = app::FeatureNames({"regime_v1", 1});
    ASSERT_EQ(names.size(), 5u);
    std::map<std::pair<std::string, std::string>, json> expected;  // (symbol, date) -> values
    for (size_t u = 0; u < bars.size(); ++u) {
      const auto cols = app::RegimeColumns(table, bars[u], sector_of[u]);
      for (size_t i = 0; i < bars[u].size(); ++i) {
        if (bars[u].ts[i] < Day("2019-01-01")) continue;
        json v = json::object();
        for (size_t c = 0; c < names.size(); ++c)
          if (std::isfinite(cols[c][i])) v[names[c]] = cols[c][i];
        if (!v.empty()) expected[{bars[u].symbol, UtcDay(bars[u].ts[i])}] = v;
      }
    }
    ASSERT_GT(expected.size(), symbols.size() * 240);

    const json& sigs = j["signal_details"];
    ASSERT_EQ(sigs.size(), expected.size()) << "one signal per symbol and bar with regime values";
    int sector_values = 0;
    for (const auto& s : sigs) {
      auto it = expected.find({s["symbol"].get<std::string>(), s["date"].get<std::string>()});
      ASSERT_NE(it, expected.end()) << s.dump();
      ASSERT_EQ(s["features"].size(), it->second.size()) << s.dump() << " vs " << it->second.dump();
      for (const auto& [name, want] : it->second.items()) {
        ASSERT_TRUE(s["features"].contains(name)) << name << " missing in " << s.dump();
        EXPECT_NEAR(s["features"][name].get<double>(), want.get<double>(), 1e-9)
            << name << " " << s["symbol"] << " " << s["date"];
      }
      sector_values += s["features"].contains("sector_rel_strength");
    }
    // Every symbol has a known sector: all five columns on every bar.
    EXPECT_EQ(sector_values, static_cast<int>(sigs.size()));
  }
}

// Rows (price_v1 + regime_v1, the model's order) of `symbol` at `dates`.
std::vector<std::vector<double>> Rows(const std::vector<market::BarSeries>& bars,
                                      const std::vector<std::string>& sector_of, const std::string& symbol,
                                      const std::vector<std::string>& dates) {
  const app::RegimeTable table = app::ComputeRegime(bars, sector_of);
  std::vector<std::vector<double>> out;
  for (size_t u = 0; u < bars.size(); ++u) {
    if (bars[u].symbol != symbol) continue;
    auto price = app::ComputePriceV1(models::test::IndicatorPlugin(), bars[u]);
    EXPECT_TRUE(price.ok()) << price.status().ToString();
    if (!price.ok()) return out;
    const auto regime = app::RegimeColumns(table, bars[u], sector_of[u]);
    for (const auto& d : dates)
      for (size_t i = 0; i < bars[u].size(); ++i)
        if (UtcDay(bars[u].ts[i]) == d) {
          std::vector<double> row;
          for (const auto& c : *price) row.push_back(c[i]);
          for (const auto& c : regime) row.push_back(c[i]);
          out.push_back(std::move(row));
        }
  }
  return out;
}

// Predictions of python3-xgboost for `rows` (NaN = missing).
std::vector<double> PythonPredict(const std::string& dir, const std::string& model,
                                  const std::vector<std::vector<double>>& rows) {
  {
    std::ofstream f(dir + "/rows.csv");
    f.precision(17);
    for (const auto& r : rows) {
      for (size_t c = 0; c < r.size(); ++c) f << (c ? "," : "") << (std::isfinite(r[c]) ? r[c] : NAN);
      f << "\n";
    }
  }
  CliRun py = Exec(std::string("/usr/bin/python3 ") + SF_XGB_PREDICT_PY + " predict " + model + " " + dir +
                   "/rows.csv " + dir + "/pred.csv");
  EXPECT_EQ(py.code, 0) << py.out;
  std::vector<double> out;
  std::ifstream in(dir + "/pred.csv");
  double v;
  while (in >> v) out.push_back(v);
  return out;
}

TEST_F(BacktestFeatures, TrainedModelDrivesMeanReversion) {
  const std::vector<std::string> symbols = {"AAPL", "MSFT", "XOM", "CVX", "JPM", "BAC", "KO", "F"};
  std::string list;
  for (const auto& s : symbols) list += (list.empty() ? "" : ",") + s;
  CliRun tr = Exec(Bin() + "train --provider csv --path " + SF_SP500_DIR + "/daily --symbols " + list +
                   " --from 2008-01-01 --to 2014-12-31 --feature-set price_v1@1+regime_v1@1"
                   " --label 'triple_barrier(+3%,-3%,10)' --params num_round=20 max_depth=3 folds=2"
                   " nthread=1 --out mean_reversion --no-register --json");
  ASSERT_EQ(tr.code, 0) << tr.out;
  const json report = LastJson(tr.out);
  ASSERT_TRUE(report.contains("file_path")) << tr.out;
  const std::string model = report["file_path"].get<std::string>();
  ASSERT_TRUE(fs::exists(model + ".meta.json"));

  // Looser entry rules than the seed's, so four years give signals to check.
  CliRun bt = Exec(Bin() + "backtest --strategy " + SF_SOURCE_DIR + "/scripts/mean_reversion.lua"
                   " --provider csv --path " + SF_SP500_DIR + "/daily --symbols " + list +
                   " --from 2016-01-01 --to 2019-12-31 --warmup-days 500"
                   " --params z_entry=-1.5,volume_rank=0.5,gap_max=0,min_confidence=0"
                   " --model mean_reversion=" + model + " --json " + dir_ + "/out.json");
  ASSERT_EQ(bt.code, 0) << bt.out;
  json j = ReadJson(dir_ + "/out.json");
  ASSERT_TRUE(j.is_object()) << bt.out;
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();
  const json& sigs = j["signal_details"];
  ASSERT_GE(sigs.size(), 10u) << bt.out;

  const auto bars = Load(symbols, "2016-01-01", "2019-12-31", 500);
  const auto sectors = Sectors();
  std::vector<std::string> sector_of;
  for (const auto& s : bars) sector_of.push_back(sectors.at(s.symbol));
  std::map<std::string, std::vector<std::string>> dates;
  std::map<std::string, std::vector<double>> probs;
  for (const auto& s : sigs) {
    const double p = s["features"].value("model", -1.0);
    ASSERT_TRUE(p >= 0 && p <= 1) << "no model probability in " << s.dump();
    dates[s["symbol"]].push_back(s["date"]);
    probs[s["symbol"]].push_back(p);
  }
  std::vector<std::vector<double>> rows, without_regime;
  std::vector<double> got;
  for (const auto& [sym, ds] : dates) {
    auto r = Rows(bars, sector_of, sym, ds);
    ASSERT_EQ(r.size(), ds.size()) << sym;
    for (size_t k = 0; k < r.size(); ++k) {
      for (size_t c = 15; c < 20; ++c) ASSERT_TRUE(std::isfinite(r[k][c])) << sym << " " << ds[k] << " col " << c;
      rows.push_back(r[k]);
      for (size_t c = 15; c < 20; ++c) r[k][c] = NAN;
      without_regime.push_back(r[k]);
      got.push_back(probs[sym][k]);
    }
  }
  const auto want = PythonPredict(dir_, model, rows);
  const auto blind = PythonPredict(dir_, model, without_regime);
  ASSERT_EQ(want.size(), rows.size());
  ASSERT_EQ(blind.size(), rows.size());
  int differs = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    EXPECT_NEAR(got[k], want[k], 1e-6) << "signal " << k << ": the strategy's probability is not the model's "
                                       << "prediction for the bar's price_v1 + regime_v1 row";
    differs += std::abs(want[k] - blind[k]) > 1e-6;
  }
  EXPECT_GT(differs, 0) << "the model never used a regime value; the check above would not see NaN regimes";
}

}  // namespace
}  // namespace sf
