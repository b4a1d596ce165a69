// Tests of the XGBoost model plugin (plugins/xgboost) loaded as the real .so:
// training on features computed from real S&P 500 daily bars, predictions
// cross-checked against Debian's python3-xgboost on the same model file,
// feature-name matching, malformed files, the training report, concurrency.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "model_support.h"

namespace sf::models::test {
namespace {

using nlohmann::json;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// A panel of rows (symbol x day) with simple price features and a label over
// the next `horizon` bars.
struct Panel {
  std::vector<std::string> names;
  int64_t cols = 0;
  std::vector<double> x, y;
  std::vector<int64_t> t, end;
  std::vector<const char*> name_ptrs;
  int64_t rows() const { return static_cast<int64_t>(y.size()); }
  sf_dataset Dataset() {
    name_ptrs.clear();
    for (const auto& n : names) name_ptrs.push_back(n.c_str());
    sf_dataset d = sf::sdk::Make<sf_dataset>();
    d.rows = rows();
    d.cols = cols;
    d.features = x.data();
    d.labels = y.data();
    d.feature_names = name_ptrs.data();
    d.row_time = t.data();
    d.label_end = end.data();
    return d;
  }
  std::vector<double> Row(int64_t i) const {
    return std::vector<double>(x.begin() + i * cols, x.begin() + (i + 1) * cols);
  }
};

Panel BuildPanel(bool classifier, size_t last_bars, size_t horizon) {
  Panel p;
  p.names = {"ret_1d", "ret_5d", "range", "gap", "close_loc", "vol_ratio", "dist_sma20"};
  p.cols = static_cast<int64_t>(p.names.size());
  for (const char* sym : {"AAPL", "MSFT", "JPM", "XOM", "KO", "PG", "JNJ", "WMT"}) {
    Bars b;
    if (!LoadSp500(sym, &b)) continue;
    const size_t n = b.close.size();
    const size_t from = n > last_bars ? n - last_bars : 20;
    for (size_t i = std::max<size_t>(from, 20); i + horizon < n; ++i) {
      double vsum = 0, csum = 0;
      for (size_t k = i - 19; k <= i; ++k) {
        vsum += b.volume[k];
        csum += b.close[k];
      }
      const double c = b.close[i];
      const double hl = b.high[i] - b.low[i];
      p.x.push_back(c / b.close[i - 1] - 1);
      p.x.push_back(c / b.close[i - 5] - 1);
      p.x.push_back(hl / c);
      p.x.push_back(b.open[i] / b.close[i - 1] - 1);
      // Missing values: flat bars, and a deterministic sprinkle.
      p.x.push_back(hl > 0 && i % 53 != 0 ? (c - b.low[i]) / hl : kNaN);
      p.x.push_back(vsum > 0 ? b.volume[i] / (vsum / 20) : kNaN);
      p.x.push_back(c / (csum / 20) - 1);
      const double fwd = b.close[i + horizon] / c - 1;
      p.y.push_back(classifier ? (fwd > 0 ? 1.0 : 0.0) : fwd);
      p.t.push_back(b.ts[i]);
      p.end.push_back(b.ts[i + horizon]);
    }
  }
  return p;
}

std::string ModelConfig(const std::string& path, const json& extra = json::object()) {
  json c = extra;
  c["path"] = path;
  return c.dump();
}

// Runs tests/models/xgb_predict.py (Debian python3-xgboost) in `mode` on
// `rows`; returns the values it wrote.
std::vector<double> RunPython(const std::string& mode, const std::string& model_path,
                              const Panel& p, const std::vector<int64_t>& rows,
                              const std::string& extra = "") {
  const std::string dir = ScratchDir();
  const std::string in = dir + "/rows.csv", out = dir + "/python_pred.csv";
  {
    std::ofstream f(in);
    char buf[64];
    for (int64_t r : rows) {
      for (int64_t c = 0; c < p.cols; ++c) {
        const double v = p.x[static_cast<size_t>(r * p.cols + c)];
        std::snprintf(buf, sizeof buf, "%.17g", v);
        f << (c ? "," : "") << (std::isnan(v) ? "nan" : buf);
      }
      f << "\n";
    }
  }
  const std::string cmd = std::string(SF_PYTHON3) + " " + SF_XGB_PREDICT_PY + " " + mode + " '" +
                          model_path + "' '" + in + "' '" + out + "'" +
                          (extra.empty() ? "" : " '" + extra + "'");
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "reference run failed (is python3-xgboost installed?): " << cmd;
  std::vector<double> pred;
  std::ifstream f(out);
  double v;
  while (f >> v) pred.push_back(v);
  return pred;
}

std::vector<double> PythonPredict(const std::string& model_path, const Panel& p,
                                  const std::vector<int64_t>& rows) {
  return RunPython("predict", model_path, p, rows);
}

class XgboostTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!HaveSp500()) return;
    panel_ = new Panel(BuildPanel(true, 1500, 5));
    const auto& m = FindModel("xgboost");
    model_path_ = ScratchDir() + "/sign5.json";
    const json params = {{"objective", "binary:logistic"}, {"num_round", 40},
                         {"max_depth", 4},                 {"eta", 0.1},
                         {"nthread", 1},                   {"folds", 3},
                         {"embargo_bars", 20},             {"feature_set", "test_price@1"},
                         {"label", "sign(fwd_return,5)"}};
    sf_dataset d = panel_->Dataset();
    report_ = new Answer(Train(m, params.dump(), d, model_path_));
  }
  static void TearDownTestSuite() {
    delete panel_;
    delete report_;
    panel_ = nullptr;
    report_ = nullptr;
  }
  void SetUp() override {
    if (!HaveSp500()) GTEST_SKIP() << "no S&P 500 data at " << SF_SP500_DIR;
    ASSERT_EQ(report_->status, SF_OK) << report_->error;
  }
  static Panel* panel_;
  static Answer* report_;
  static std::string model_path_;
};
Panel* XgboostTest::panel_ = nullptr;
Answer* XgboostTest::report_ = nullptr;
std::string XgboostTest::model_path_;

TEST_F(XgboostTest, TrainedModelPredictsLikePythonXgboost) {
  const auto& m = FindModel("xgboost");
  Answer a;
  Instance inst = Load(m, ModelConfig(model_path_, {{"features", panel_->names}}), &a);
  ASSERT_TRUE(inst) << a.error;
  // Every 5th row (includes rows with missing values).
  std::vector<int64_t> rows;
  std::vector<double> x;
  for (int64_t r = 0; r < panel_->rows(); r += 5) {
    rows.push_back(r);
    const auto row = panel_->Row(r);
    x.insert(x.end(), row.begin(), row.end());
  }
  std::vector<double> ours;
  int64_t out_cols = 0;
  Answer p = Predict(m, inst, x, panel_->cols, &ours, &out_cols);
  ASSERT_EQ(p.status, SF_OK) << p.error;
  ASSERT_EQ(out_cols, 1);
  const std::vector<double> ref = PythonPredict(model_path_, *panel_, rows);
  ASSERT_EQ(ref.size(), ours.size());
  double max_diff = 0, mn = 1, mx = 0;
  int missing_rows = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(ours[i] - ref[i]));
    mn = std::min(mn, ours[i]);
    mx = std::max(mx, ours[i]);
    ASSERT_GT(ours[i], 0.0);
    ASSERT_LT(ours[i], 1.0);  // probabilities
  }
  for (int64_t r : rows) missing_rows += std::isnan(panel_->x[r * panel_->cols + 4]) ? 1 : 0;
  EXPECT_LE(max_diff, 1e-6);
  EXPECT_GT(mx - mn, 0.01) << "a model that predicts a constant proves nothing";
  EXPECT_GT(missing_rows, 0) << "the comparison must include rows with missing values";
}

TEST_F(XgboostTest, UbjsonModelPredictsLikePythonToo) {
  const auto& m = FindModel("xgboost");
  const std::string path = ScratchDir() + "/reg.ubj";
  Panel reg = BuildPanel(false, 600, 3);
  sf_dataset d = reg.Dataset();
  Answer t = Train(m,
                   json{{"objective", "reg:squarederror"}, {"num_round", 25}, {"folds", 2},
                        {"max_depth", 3}, {"nthread", 1}}
                       .dump(),
                   d, path);
  ASSERT_EQ(t.status, SF_OK) << t.error;
  const json report = json::parse(t.text);
  EXPECT_TRUE(report["validation"]["out_of_fold"].contains("rmse"));
  Answer a;
  Instance inst = Load(m, ModelConfig(path), &a);
  ASSERT_TRUE(inst) << a.error;
  const json desc = json::parse(Describe(m, inst).text);
  EXPECT_EQ(desc["output"], "value");
  std::vector<int64_t> rows;
  std::vector<double> x;
  for (int64_t r = 0; r < reg.rows(); r += 7) {
    rows.push_back(r);
    const auto row = reg.Row(r);
    x.insert(x.end(), row.begin(), row.end());
  }
  std::vector<double> ours;
  int64_t out_cols = 0;
  ASSERT_EQ(Predict(m, inst, x, reg.cols, &ours, &out_cols).status, SF_OK);
  const std::vector<double> ref = PythonPredict(path, reg, rows);
  ASSERT_EQ(ref.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], ref[i], 1e-6) << "row " << rows[i];
}

TEST_F(XgboostTest, ReportHasWalkForwardMetricsCalibrationAndImportance) {
  const json r = json::parse(report_->text);
  const json& v = r["validation"];
  EXPECT_EQ(v["scheme"], "purged_walk_forward");
  EXPECT_EQ(v["embargo_bars"], 20);
  ASSERT_EQ(v["fold_reports"].size(), 3u);
  int64_t previous_end = 0;
  for (const json& f : v["fold_reports"]) {
    // 5-bar labels straddle each block start: some rows must be purged, and
    // the 20-bar embargo must drop more.
    EXPECT_GT(f["purged"].get<int64_t>(), 0);
    EXPECT_GT(f["embargoed"].get<int64_t>(), 0);
    EXPECT_LT(f["train_to"].get<int64_t>(), f["validation_from"].get<int64_t>());
    EXPECT_GT(f["validation_from"].get<int64_t>(), previous_end);
    previous_end = f["validation_to"].get<int64_t>();
    const double auc = f["auc"].get<double>();
    EXPECT_GE(auc, 0.0);
    EXPECT_LE(auc, 1.0);
  }
  const json& oof = v["out_of_fold"];
  EXPECT_GT(oof["logloss"].get<double>(), 0.0);
  EXPECT_GE(oof["precision_top_decile"].get<double>(), 0.0);
  ASSERT_EQ(oof["calibration"].size(), 10u);
  int64_t counted = 0;
  for (const json& b : oof["calibration"]) counted += b["count"].get<int64_t>();
  EXPECT_EQ(counted, oof["rows"].get<int64_t>());
  ASSERT_FALSE(r["feature_importance"].empty());
  for (const json& f : r["feature_importance"]) {
    EXPECT_GT(f["gain"].get<double>(), 0.0);
    EXPECT_NE(std::find(panel_->names.begin(), panel_->names.end(), f["feature"]),
              panel_->names.end());
  }
  // The sidecar carries the metadata and the same report.
  std::ifstream in(model_path_ + ".meta.json");
  const json meta = json::parse(in);
  EXPECT_EQ(meta["features"], panel_->names);
  EXPECT_EQ(meta["feature_set"], "test_price@1");
  EXPECT_EQ(meta["objective"], "binary:logistic");
  EXPECT_EQ(meta["training_report"]["rows"], panel_->rows());
}

TEST_F(XgboostTest, DescribeReturnsMetadata) {
  const auto& m = FindModel("xgboost");
  Answer a;
  Instance inst = Load(m, ModelConfig(model_path_), &a);
  ASSERT_TRUE(inst) << a.error;
  Answer d = Describe(m, inst);
  ASSERT_EQ(d.status, SF_OK) << d.error;
  const json j = json::parse(d.text);
  EXPECT_EQ(j["features"], panel_->names);
  EXPECT_EQ(j["feature_set"], "test_price@1");
  EXPECT_EQ(j["objective"], "binary:logistic");
  EXPECT_EQ(j["outputs"], 1);
  EXPECT_EQ(j["output"], "probability");
  EXPECT_EQ(j["rounds"], 40);
}

TEST_F(XgboostTest, MismatchedFeatureNamesAreRefusedNamingThem) {
  const auto& m = FindModel("xgboost");
  std::vector<std::string> names = panel_->names;
  names[2] = "range_pct";  // renamed
  Answer a;
  Instance inst = Load(m, ModelConfig(model_path_, {{"features", names}}), &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("missing from request: range"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("not in model: range_pct"), std::string::npos) << a.error;

  names = panel_->names;
  std::swap(names[0], names[1]);  // same names, other order
  inst = Load(m, ModelConfig(model_path_, {{"features", names}}), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("order differs at position 0 (model 'ret_1d', request 'ret_5d')"),
            std::string::npos)
      << a.error;

  names = panel_->names;
  names.pop_back();
  inst = Load(m, ModelConfig(model_path_, {{"features", names}}), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("missing from request: dist_sma20"), std::string::npos) << a.error;

  inst = Load(m, ModelConfig(model_path_, {{"feature_set", "test_price@2"}}), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("feature set mismatch"), std::string::npos) << a.error;
}

TEST_F(XgboostTest, ModelWithoutSidecarUsesTheNamesStoredInIt) {
  // As a model saved by Python would arrive: the file alone.
  const auto& m = FindModel("xgboost");
  std::ifstream in(model_path_);
  const std::string alone = ScratchDir() + "/alone.json";
  std::ofstream(alone) << in.rdbuf();
  Answer a;
  Instance inst = Load(m, ModelConfig(alone, {{"features", panel_->names}}), &a);
  ASSERT_TRUE(inst) << a.error;
  EXPECT_EQ(json::parse(Describe(m, inst).text)["features"], panel_->names);
  std::vector<std::string> names = panel_->names;
  names[6] = "dist_sma50";
  inst = Load(m, ModelConfig(alone, {{"features", names}}), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("missing from request: dist_sma20; not in model: dist_sma50"),
            std::string::npos)
      << a.error;
}

TEST_F(XgboostTest, MultiClassModelTrainedInPythonPredictsTheSame) {
  // The other direction: a model a researcher trained in Python (no
  // sidecar, names stored in the file), served by the plugin.
  const auto& m = FindModel("xgboost");
  const std::string path = ScratchDir() + "/py_multiclass.ubj";
  std::vector<int64_t> rows;
  std::vector<double> x;
  for (int64_t r = 0; r < panel_->rows(); r += 4) {
    rows.push_back(r);
    const auto row = panel_->Row(r);
    x.insert(x.end(), row.begin(), row.end());
  }
  std::string names;
  for (const auto& n : panel_->names) names += (names.empty() ? "" : ",") + n;
  const std::vector<double> ref = RunPython("train-multiclass", path, *panel_, rows, names);
  Answer a;
  Instance inst = Load(m, ModelConfig(path, {{"features", panel_->names}}), &a);
  ASSERT_TRUE(inst) << a.error;
  const json desc = json::parse(Describe(m, inst).text);
  EXPECT_EQ(desc["objective"], "multi:softprob");
  EXPECT_EQ(desc["outputs"], 3);
  EXPECT_EQ(desc["output"], "probability");
  // A buffer sized for one output per row is too small: SF_INCOMPLETE, 3.
  std::vector<double> ours;
  int64_t out_cols = 0;
  Answer p = Predict(m, inst, x, panel_->cols, &ours, &out_cols);
  ASSERT_EQ(p.status, SF_OK) << p.error;
  ASSERT_EQ(out_cols, 3);
  ASSERT_EQ(ours.size(), rows.size() * 3);
  ASSERT_EQ(ref.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_NEAR(ours[i], ref[i], 1e-6) << "value " << i;
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_NEAR(ours[3 * r] + ours[3 * r + 1] + ours[3 * r + 2], 1.0, 1e-5);
  }
}

TEST_F(XgboostTest, EnsembleIsTheWeightedAverageOfItsMembers) {
  const auto& m = FindModel("xgboost");
  const std::string second = ScratchDir() + "/shallow.ubj";
  sf_dataset d = panel_->Dataset();
  Answer t = Train(m, R"({"num_round":15,"max_depth":2,"folds":0,"nthread":1,"feature_set":"test_price@1"})",
                   d, second);
  ASSERT_EQ(t.status, SF_OK) << t.error;
  std::vector<double> x;
  for (int64_t r = 0; r < 300; ++r) {
    const auto row = panel_->Row(r * 7);
    x.insert(x.end(), row.begin(), row.end());
  }
  Answer a;
  Instance one = Load(m, ModelConfig(model_path_), &a);
  Instance two = Load(m, ModelConfig(second), &a);
  const json config = {{"ensemble", {{{"path", model_path_}, {"weight", 3}},
                                     {{"path", second}, {"weight", 1}}}},
                       {"features", panel_->names}};
  Instance both = Load(m, config.dump(), &a);
  ASSERT_TRUE(one && two && both) << a.error;
  std::vector<double> p1, p2, pe;
  int64_t oc = 0;
  ASSERT_EQ(Predict(m, one, x, panel_->cols, &p1, &oc).status, SF_OK);
  ASSERT_EQ(Predict(m, two, x, panel_->cols, &p2, &oc).status, SF_OK);
  ASSERT_EQ(Predict(m, both, x, panel_->cols, &pe, &oc).status, SF_OK);
  ASSERT_EQ(pe.size(), p1.size());
  int differ = 0;
  for (size_t i = 0; i < pe.size(); ++i) {
    EXPECT_NEAR(pe[i], 0.75 * p1[i] + 0.25 * p2[i], 1e-12);
    differ += std::fabs(p1[i] - p2[i]) > 1e-3 ? 1 : 0;
  }
  EXPECT_GT(differ, 0) << "members must differ for the average to mean anything";
  const json desc = json::parse(Describe(m, both).text);
  ASSERT_EQ(desc["ensemble"].size(), 2u);
  EXPECT_DOUBLE_EQ(desc["ensemble"][0]["normalised_weight"].get<double>(), 0.75);

  // Members must be alike; the refusal names the member and the rule.
  const std::string reg = ScratchDir() + "/reg_member.json";
  Panel rp = BuildPanel(false, 300, 3);
  sf_dataset rd = rp.Dataset();
  ASSERT_EQ(Train(m, R"({"objective":"reg:squarederror","num_round":5,"folds":0,"nthread":1})", rd, reg).status,
            SF_OK);
  Instance mixed = Load(m, json{{"ensemble", {{{"path", model_path_}, {"weight", 1}},
                                              {{"path", reg}, {"weight", 1}}}}}.dump(), &a);
  EXPECT_FALSE(mixed);
  EXPECT_NE(a.error.find("member 1 ('" + reg + "') outputs value, member 0 outputs probability"),
            std::string::npos)
      << a.error;
  Instance zero = Load(m, json{{"ensemble", {{{"path", model_path_}, {"weight", 0}}}}}.dump(), &a);
  EXPECT_FALSE(zero);
  EXPECT_NE(a.error.find("member 0 needs \"weight\" > 0"), std::string::npos) << a.error;
  std::vector<std::string> wrong = panel_->names;
  wrong[1] = "ret_10d";
  Instance bad = Load(m, json{{"ensemble", {{{"path", model_path_}, {"weight", 1}}}},
                              {"features", wrong}}.dump(), &a);
  EXPECT_FALSE(bad);
  EXPECT_NE(a.error.find("member 0: xgboost: features do not match"), std::string::npos) << a.error;
}

TEST_F(XgboostTest, PredictRefusesWrongColumnCountAndAsksForRoom) {
  const auto& m = FindModel("xgboost");
  Answer a;
  Instance inst = Load(m, ModelConfig(model_path_), &a);
  ASSERT_TRUE(inst) << a.error;
  std::vector<double> x(12, 0.1), out(2);
  int64_t out_cols = 0;
  sf::plugins::ClearPluginError();
  EXPECT_EQ(m.vt.predict(inst.get(), x.data(), 2, 6, out.data(), 2, &out_cols),
            SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(sf::plugins::TakePluginError("").find("expects 7 features per row (test_price@1), got 6"),
            std::string::npos);
  std::vector<double> x7(14, 0.1);
  EXPECT_EQ(m.vt.predict(inst.get(), x7.data(), 2, 7, out.data(), 1, &out_cols), SF_INCOMPLETE);
  EXPECT_EQ(out_cols, 1);
  EXPECT_EQ(m.vt.predict(inst.get(), x7.data(), 2, 7, out.data(), 2, &out_cols), SF_OK);
}

TEST_F(XgboostTest, MalformedModelFilesAreRefusedClearly) {
  const auto& m = FindModel("xgboost");
  const std::string dir = ScratchDir();
  Answer a;
  Instance inst = Load(m, ModelConfig(dir + "/absent.json"), &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_NOT_FOUND);
  EXPECT_NE(a.error.find("absent.json' does not exist"), std::string::npos) << a.error;

  const std::string garbage = dir + "/garbage.json";
  std::ofstream(garbage) << "{\"learner\": [not json";
  inst = Load(m, ModelConfig(garbage), &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA);
  EXPECT_NE(a.error.find("garbage.json' is not a valid XGBoost model"), std::string::npos)
      << a.error;

  // A real model cut in half.
  std::ifstream in(model_path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = dir + "/cut.json";
  std::ofstream(cut) << text.substr(0, text.size() / 2);
  inst = Load(m, ModelConfig(cut), &a);
  EXPECT_FALSE(inst);
  EXPECT_EQ(a.status, SF_ERR_BAD_DATA) << a.error;

  // A sidecar that disagrees with the model.
  const std::string copy = dir + "/copy.json";
  std::ofstream(copy) << text;
  std::ofstream(copy + ".meta.json") << R"({"features":["a","b"]})";
  inst = Load(m, ModelConfig(copy), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("lists 2 feature names but the model has 7 features"), std::string::npos)
      << a.error;

  // A sidecar whose names contradict the names stored in the model.
  json renamed = {{"features", panel_->names}};
  renamed["features"][0] = "ret_1d_v2";
  std::ofstream(copy + ".meta.json") << renamed.dump();
  inst = Load(m, ModelConfig(copy), &a);
  EXPECT_FALSE(inst);
  EXPECT_NE(a.error.find("disagrees with the feature names stored"), std::string::npos) << a.error;

  inst = Load(m, "{\"file\":\"x\"}", &a);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("needs \"path\""), std::string::npos) << a.error;
}

TEST_F(XgboostTest, TrainRefusesBadParametersAndData) {
  const auto& m = FindModel("xgboost");
  Panel small = BuildPanel(true, 200, 5);
  sf_dataset d = small.Dataset();
  const std::string out = ScratchDir() + "/bad.json";
  Answer a = Train(m, R"({"objective":"rank:pairwise"})", d, out);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("objective 'rank:pairwise' is not supported"), std::string::npos) << a.error;

  a = Train(m, R"({"num_round":0})", d, out);
  EXPECT_NE(a.error.find("\"num_round\" must be >= 1"), std::string::npos) << a.error;

  a = Train(m, R"({"max_depth":"deep","folds":0})", d, out);
  EXPECT_EQ(a.status, SF_ERR_INVALID_ARGUMENT);
  EXPECT_NE(a.error.find("max_depth"), std::string::npos) << a.error;
  EXPECT_NE(a.error.find("deep"), std::string::npos) << a.error;

  a = Train(m, "{}", d, ScratchDir() + "/model.bin");
  EXPECT_NE(a.error.find("must end in .json"), std::string::npos) << a.error;

  small.y[3] = 2.0;
  d = small.Dataset();
  a = Train(m, "{}", d, out);
  EXPECT_NE(a.error.find("needs labels 0 or 1; row 3 has 2"), std::string::npos) << a.error;
}

TEST_F(XgboostTest, ConcurrentPredictionsEqualSerialOnes) {
  const auto& m = FindModel("xgboost");
  ASSERT_TRUE(m.thread_safe);
  Answer a;
  Instance inst = Load(m, ModelConfig(model_path_), &a);
  ASSERT_TRUE(inst) << a.error;
  const int64_t n = std::min<int64_t>(panel_->rows(), 2000);
  std::vector<double> x(panel_->x.begin(), panel_->x.begin() + n * panel_->cols);
  std::vector<double> serial;
  int64_t out_cols = 0;
  ASSERT_EQ(Predict(m, inst, x, panel_->cols, &serial, &out_cols).status, SF_OK);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        const int64_t row = (t * 97 + rep * 13) % n;
        std::vector<double> one(x.begin() + row * panel_->cols, x.begin() + (row + 1) * panel_->cols);
        double out = 0;
        int64_t oc = 0;
        if (m.vt.predict(inst.get(), one.data(), 1, panel_->cols, &out, 1, &oc) != SF_OK ||
            out != serial[static_cast<size_t>(row)]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace sf::models::test
