// The "done means" path of issue 10, end to end with real components:
//   1. a model trained on real S&P 500 bars with price_v1 + regime_v1 and a
//      triple-barrier label (the trainer's own BuildTrainingRows + the
//      xgboost plugin's purged walk-forward train);
//   2. its predictions equal Debian's python3-xgboost on the same model file
//      and rows (<= 1e-6);
//   3. scripts/mean_reversion.lua, run by the real StrategyRuntime (worker
//      processes, the real indicator and xgboost .so files), reads it through
//      ctx.predict with features built by scripts/lib/features.lua, and every
//      probability it reports equals the plugin's prediction for features the
//      C++ feature code computes over the same bars.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "app/feature_sets.h"
#include "feature_support.h"
#include "lua/csv_bars.h"
#include "lua/indicator_source.h"
#include "lua/strategy_runtime.h"
#include "model_support.h"
#include "plugins/loader.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using models::test::Instance;

constexpr int kWindow = 300;

const std::vector<std::pair<std::string, std::string>>& Universe() {
  static const std::vector<std::pair<std::string, std::string>> k = {
      {"AAPL", "Information Technology"}, {"MSFT", "Information Technology"}, {"INTC", "Information Technology"},
      {"XOM", "Energy"}, {"CVX", "Energy"}, {"JPM", "Financials"}, {"BAC", "Financials"}, {"F", "Consumer Discretionary"},
      {"GE", "Industrials"}, {"KO", "Consumer Staples"}};
  return k;
}

const lua::IndicatorSource& Indicators() { return models::test::IndicatorPlugin(); }

struct Trained {
  std::vector<market::BarSeries> series;
  std::vector<std::string> sectors;
  RegimeTable regime;
  TrainingRows rows;
  std::string model_path;
  json report;
};

// Trains once for the suite (about 10 symbols x 9 years).
const Trained& Model() {
  static Trained* t = [] {
    auto* tr = new Trained();
    for (const auto& [sym, sector] : Universe()) {
      auto b = lua::LoadDailyCsv(std::string(SF_SP500_DIR) + "/" + sym + ".csv", sym);
      EXPECT_TRUE(b.ok()) << b.status().ToString();
      tr->series.push_back(*b);
      tr->sectors.push_back(sector);
    }
    tr->regime = ComputeRegime(tr->series, tr->sectors);
    std::vector<SymbolInput> in(tr->series.size());
    for (size_t i = 0; i < in.size(); ++i) {
      in[i].series = &tr->series[i];
      in[i].sector = tr->sectors[i];
    }
    BuildOptions o;
    o.sets = *ParseFeatureSets("price_v1@1+regime_v1@1");
    o.label = *ParseLabel("triple_barrier(+3%,-3%,10)");
    o.from_us = *lua::ParseDateToCloseMicros("2003-01-02");
    o.to_us = *lua::ParseDateToCloseMicros("2011-12-30");
    auto rows = BuildTrainingRows(Indicators(), in, o);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    tr->rows = std::move(*rows);
    std::vector<const char*> names;
    for (const auto& n : tr->rows.names) names.push_back(n.c_str());
    sf_dataset ds{};
    ds.struct_size = sizeof ds;
    ds.rows = static_cast<int64_t>(tr->rows.rows());
    ds.cols = static_cast<int64_t>(names.size());
    ds.features = tr->rows.features.data();
    ds.labels = tr->rows.labels.data();
    ds.feature_names = names.data();
    ds.row_time = tr->rows.row_time.data();
    ds.label_end = tr->rows.label_end.data();
    tr->model_path = models::test::ScratchDir() + "/mean_reversion@1.json";
    const json params = {{"num_round", 30}, {"max_depth", 4}, {"eta", 0.1}, {"folds", 3}, {"nthread", 1},
                         {"feature_set", "price_v1@1+regime_v1@1"}, {"label", o.label.text}};
    auto a = models::test::Train(models::test::FindModel("xgboost"), params.dump(), ds, tr->model_path);
    EXPECT_GE(a.status, 0) << a.error;
    tr->report = json::parse(a.text, nullptr, false);
    return tr;
  }();
  return *t;
}

std::vector<double> PythonPredict(const std::string& model, const std::vector<double>& x, size_t cols) {
  const std::string dir = models::test::ScratchDir();
  const std::string in = dir + "/mp_rows.csv", out = dir + "/mp_pred.csv";
  {
    std::ofstream f(in);
    char buf[64];
    for (size_t i = 0; i < x.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.17g", x[i]);
      f << (std::isnan(x[i]) ? "nan" : buf) << ((i + 1) % cols ? "," : "\n");
    }
  }
  const std::string cmd = std::string(SF_PYTHON3) + " " + SF_XGB_PREDICT_PY + " predict '" + model + "' '" + in +
                          "' '" + out + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<double> v;
  std::ifstream f(out);
  double d;
  while (f >> d) v.push_back(d);
  return v;
}

TEST(ModelPath, TrainedOnPriceAndRegimeWithATripleBarrierLabel) {
  const Trained& m = Model();
  ASSERT_TRUE(m.report.is_object());
  EXPECT_GT(m.rows.rows(), 15000u);
  EXPECT_EQ(m.report["features"].size(), 20u);
  const json& v = m.report["validation"];
  EXPECT_EQ(v["scheme"], "purged_walk_forward");
  EXPECT_EQ(v["embargo_bars"], 20);
  ASSERT_EQ(v["fold_reports"].size(), 3u);
  for (const auto& f : v["fold_reports"]) EXPECT_GT(f["purged"].get<int64_t>() + f["embargoed"].get<int64_t>(), 0);
  EXPECT_TRUE(v["out_of_fold"]["auc"].is_number());
  EXPECT_EQ(v["out_of_fold"]["calibration"].size(), 10u);
  EXPECT_EQ(m.report["feature_importance"].size() > 0, true);
  std::ifstream meta(m.model_path + ".meta.json");
  const json sidecar = json::parse(meta);
  EXPECT_EQ(sidecar["feature_set"], "price_v1@1+regime_v1@1");
  EXPECT_EQ(sidecar["label"], "triple_barrier(+3%,-3%,10)");
}

TEST(ModelPath, PredictionsEqualPythonXgboostOnTheSameRows) {
  const Trained& m = Model();
  const auto& xgb = models::test::FindModel("xgboost");
  models::test::Answer a;
  Instance inst = models::test::Load(xgb, json({{"path", m.model_path}}).dump(), &a);
  ASSERT_TRUE(inst) << a.error;
  // Every 37th training row, and each of those again with one feature
  // missing in turn (NaN = missing, the way live rows lack a value).
  const size_t cols = m.rows.names.size();
  std::vector<double> x;
  size_t k = 0;
  for (size_t r = 0; r < m.rows.rows(); r += 37, ++k) {
    for (size_t c = 0; c < cols; ++c) x.push_back(m.rows.features[r * cols + c]);
    for (size_t c = 0; c < cols; ++c) x.push_back(c == k % cols ? NAN : m.rows.features[r * cols + c]);
  }
  std::vector<double> ours;
  int64_t out_cols = 0;
  a = models::test::Predict(xgb, inst, x, static_cast<int64_t>(cols), &ours, &out_cols);
  ASSERT_GE(a.status, 0) << a.error;
  const std::vector<double> ref = PythonPredict(m.model_path, x, cols);
  ASSERT_EQ(ref.size(), ours.size());
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(ours[i], ref[i], 1e-6) << "row " << i;
}

TEST(ModelPath, MeanReversionLuaReadsTheModelWithTheTrainersFeatures) {
  const Trained& m = Model();
  char tmpl[] = "/tmp/sf-model-path-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  fs::create_directories(dir + "/scripts");
  fs::create_directories(dir + "/plugins");
  fs::copy_file(std::string(SF_SOURCE_DIR) + "/scripts/mean_reversion.lua", dir + "/scripts/mean_reversion.lua");
  fs::create_symlink(SF_INDICATORS_PLUGIN, dir + "/plugins/indicators.so");
  fs::create_symlink(SF_XGBOOST_PLUGIN, dir + "/plugins/" + fs::path(SF_XGBOOST_PLUGIN).filename().string());

  lua::RuntimeOptions o;
  o.scripts_dir = dir + "/scripts";
  o.lib_dir = std::string(SF_SOURCE_DIR) + "/scripts/lib";
  o.worker_path = SF_LUA_WORKER;
  o.plugin_dirs = {dir + "/plugins"};
  o.history_bars = kWindow;
  o.max_series = 64;
  o.models = {{"mean_reversion", {{"component", "xgboost"}, {"config", {{"path", m.model_path}}}}}};
  // Looser entry rules and no confidence floor, so the year has signals to check.
  o.params = {{"mean_reversion", {{"z_entry", -1.5}, {"volume_rank", 0.5}, {"gap_max", 0}, {"min_confidence", 0}}}};
  auto rt = lua::StrategyRuntime::Create(o);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  auto st = (*rt)->LoadFile(dir + "/scripts/mean_reversion.lua", true);
  ASSERT_EQ(st.state, "running") << st.last_error;
  ASSERT_TRUE(st.worker.value("model_errors", json::array()).empty()) << st.worker.dump();
  for (size_t i = 0; i < m.series.size(); ++i) (*rt)->SetInstrument(m.series[i].symbol, {"equity", m.sectors[i], ""});

  const auto& xgb = models::test::FindModel("xgboost");
  models::test::Answer a;
  Instance inst = models::test::Load(xgb, json({{"path", m.model_path}}).dump(), &a);
  ASSERT_TRUE(inst) << a.error;
  const std::vector<std::string> regime_names = FeatureNames({"regime_v1", 1});

  // Out of sample: 2012, after the training range.
  const int64_t from = *lua::ParseDateToCloseMicros("2012-01-03");
  const int64_t to = *lua::ParseDateToCloseMicros("2012-12-31");
  int checked = 0;
  double max_skew = 0;  // window vs full-history price features (Wilder warm-up)
  for (size_t j = 0; j < m.regime.ts.size(); ++j) {
    const int64_t t = m.regime.ts[j];
    if (t < from || t > to) continue;
    json extras = json::object();
    std::map<std::string, std::pair<size_t, int64_t>> at;  // symbol -> (series, upto)
    for (size_t k = 0; k < m.series.size(); ++k) {
      const auto& s = m.series[k];
      auto it = std::lower_bound(s.ts.begin(), s.ts.end(), t);
      if (it == s.ts.end() || *it != t) continue;
      const int64_t upto = it - s.ts.begin() + 1;
      ASSERT_TRUE((*rt)->UpdateSeries(s, upto).ok());
      at[s.symbol] = {k, upto};
      const auto cols = RegimeColumns(m.regime, s, m.sectors[k]);
      json r = json::object();
      for (size_t c = 0; c < cols.size(); ++c)
        if (std::isfinite(cols[c][upto - 1])) r[regime_names[c]] = cols[c][upto - 1];
      extras[s.symbol] = {{"features", {{"regime_v1", r}}}};
    }
    lua::BarResult r = (*rt)->OnBarClose({market::Timeframe::k1d, t, {}, extras});
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].symbol << ": " << r.errors[0].message;
    for (const lua::Intent& i : r.intents) {
      const double prob = i.features.value("model", -1.0);
      ASSERT_GE(prob, 0.0) << "the strategy ran without the model: " << i.summary;
      const auto [k, upto] = at[i.symbol];
      const auto& s = m.series[k];
      // The bars the strategy sees: the newest kWindow.
      market::BarSeries win;
      win.symbol = s.symbol;
      for (int64_t b = std::max<int64_t>(0, upto - kWindow); b < upto; ++b)
        win.Append(s.ts[b], s.open[b], s.high[b], s.low[b], s.close[b], s.volume[b]);
      auto price = ComputePriceV1(Indicators(), win);
      auto full = ComputePriceV1(Indicators(), s);
      ASSERT_TRUE(price.ok() && full.ok());
      std::vector<double> row;
      for (size_t c = 0; c < price->size(); ++c) {
        const double w = (*price)[c].back(), f = (*full)[c][upto - 1];
        row.push_back(w);
        max_skew = std::max(max_skew, std::fabs(w - f) / std::max(1e-12, std::fabs(f)));
      }
      const auto reg = RegimeColumns(m.regime, s, m.sectors[k]);
      for (const auto& col : reg) row.push_back(col[upto - 1]);
      std::vector<double> expected;
      int64_t oc = 0;
      a = models::test::Predict(xgb, inst, row, static_cast<int64_t>(row.size()), &expected, &oc);
      ASSERT_GE(a.status, 0) << a.error;
      EXPECT_NEAR(prob, expected[0], 1e-9) << i.symbol << " " << i.summary;
      ++checked;
    }
  }
  EXPECT_GE(checked, 5) << "too few signals to check the model path";
  // Features over the strategy's 300-bar window equal the trainer's
  // full-history features up to the Wilder smoothing's decayed start.
  EXPECT_LT(max_skew, 1e-5);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace sf::app
