#include "trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics.h"
#include "walk_forward.h"
#include "xgb_call.h"

namespace sf::xgb {

namespace {

using nlohmann::json;

constexpr const char* kTrainObjectives[] = {"binary:logistic", "reg:squarederror",
                                            "reg:absoluteerror", "reg:pseudohubererror",
                                            "reg:logistic"};
// Keys that are ours, not XGBoost's.
const std::set<std::string> kOwnKeys = {"num_round", "folds", "embargo_bars", "min_train_rows",
                                        "feature_set", "label", "nthread", "objective"};

[[noreturn]] void Bad(const std::string& message) {
  throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost train: " + message);
}

// JSON numbers that are NaN/inf are not representable; report them as null.
json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

int64_t IntParam(const json& p, const char* key, int64_t def, int64_t min) {
  if (!p.contains(key)) return def;
  if (!p[key].is_number_integer()) Bad(std::string("\"") + key + "\" must be an integer");
  const int64_t v = p[key].get<int64_t>();
  if (v < min) Bad(std::string("\"") + key + "\" must be >= " + std::to_string(min));
  return v;
}

std::string ParamText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return v.dump();  // floating point numbers keep full precision
}

class Progress {
 public:
  explicit Progress(int64_t total) : total_(std::max<int64_t>(total, 1)) {}
  void Step(const std::string& stage) {
    ++done_;
    const int64_t pct = done_ * 100 / total_;
    if (pct == last_pct_ && done_ != total_) return;
    last_pct_ = pct;
    sf::sdk::Log(SF_LOG_INFO, kPluginId,
                 "progress " + std::to_string(done_) + "/" + std::to_string(total_) +
                     " rounds (" + stage + ")");
  }

 private:
  int64_t total_;
  int64_t done_ = 0;
  int64_t last_pct_ = -1;
};

struct Setup {
  std::string objective = "binary:logistic";
  bool classifier = true;
  int64_t num_round = 100;
  int64_t nthread = 0;
  WalkForwardOptions wf;
  std::vector<std::pair<std::string, std::string>> xgb_params;
  json params_echo = json::object();
};

Setup ParseParams(const std::string& params_json) {
  json p;
  try {
    p = json::parse(params_json.empty() ? "{}" : params_json);
  } catch (const json::exception& e) {
    Bad(std::string("params are not valid JSON: ") + e.what());
  }
  if (!p.is_object()) Bad("params must be a JSON object");
  Setup s;
  if (p.contains("objective")) {
    if (!p["objective"].is_string()) Bad("\"objective\" must be a string");
    s.objective = p["objective"].get<std::string>();
  }
  if (std::find(std::begin(kTrainObjectives), std::end(kTrainObjectives), s.objective) ==
      std::end(kTrainObjectives)) {
    std::string allowed;
    for (const char* o : kTrainObjectives) allowed += (allowed.empty() ? "" : ", ") + std::string(o);
    Bad("objective '" + s.objective + "' is not supported for training (use one of: " + allowed +
        ")");
  }
  s.classifier = s.objective == "binary:logistic";
  for (const char* key : {"feature_set", "label"}) {
    if (p.contains(key) && !p[key].is_string()) Bad(std::string("\"") + key + "\" must be a string");
  }
  s.num_round = IntParam(p, "num_round", 100, 1);
  s.nthread = IntParam(p, "nthread", 0, 0);
  if (s.nthread == 0) s.nthread = std::max(1u, std::thread::hardware_concurrency());
  s.wf.folds = static_cast<int>(IntParam(p, "folds", 5, 0));
  s.wf.embargo_bars = IntParam(p, "embargo_bars", 20, 0);
  s.wf.min_train_rows = IntParam(p, "min_train_rows", 50, 1);
  s.xgb_params = {{"objective", s.objective},
                  {"nthread", std::to_string(s.nthread)},
                  {"tree_method", "hist"},
                  {"seed", "0"}};
  for (auto it = p.begin(); it != p.end(); ++it) {
    if (kOwnKeys.count(it.key())) continue;
    if (!(it->is_string() || it->is_number() || it->is_boolean())) {
      Bad("parameter \"" + it.key() + "\" must be a string, number or bool");
    }
    bool replaced = false;
    for (auto& kv : s.xgb_params) {
      if (kv.first == it.key()) {
        kv.second = ParamText(*it);
        replaced = true;
      }
    }
    if (!replaced) s.xgb_params.emplace_back(it.key(), ParamText(*it));
  }
  for (const auto& kv : s.xgb_params) s.params_echo[kv.first] = kv.second;
  s.params_echo["num_round"] = s.num_round;
  return s;
}

// Checks the dataset's rules; returns the feature names.
std::vector<std::string> CheckData(const sf_dataset& d, const Setup& s) {
  if (d.rows <= 0) Bad("dataset has no rows");
  if (d.cols <= 0) Bad("dataset has no feature columns");
  if (d.features == nullptr || d.labels == nullptr) Bad("dataset needs features and labels");
  if (d.feature_names == nullptr) Bad("dataset needs feature_names (one per column)");
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (int64_t c = 0; c < d.cols; ++c) {
    if (d.feature_names[c] == nullptr || d.feature_names[c][0] == '\0') {
      Bad("feature_names[" + std::to_string(c) + "] is empty");
    }
    names.emplace_back(d.feature_names[c]);
    if (!seen.insert(names.back()).second) Bad("feature name '" + names.back() + "' appears twice");
  }
  for (int64_t i = 0; i < d.rows; ++i) {
    const double y = d.labels[i];
    if (!std::isfinite(y)) Bad("label of row " + std::to_string(i) + " is not a finite number");
    if (s.classifier && y != 0.0 && y != 1.0) {
      Bad("objective binary:logistic needs labels 0 or 1; row " + std::to_string(i) + " has " +
          std::to_string(y));
    }
    if (s.objective == "reg:logistic" && (y < 0.0 || y > 1.0)) {
      Bad("objective reg:logistic needs labels in [0, 1]; row " + std::to_string(i) + " has " +
          std::to_string(y));
    }
    if (d.weights != nullptr && !(std::isfinite(d.weights[i]) && d.weights[i] >= 0)) {
      Bad("weight of row " + std::to_string(i) + " must be a finite number >= 0");
    }
  }
  for (int64_t i = 0; i < d.rows * d.cols; ++i) {
    if (std::isinf(d.features[i])) {
      Bad("feature '" + names[static_cast<size_t>(i % d.cols)] + "' of row " +
          std::to_string(i / d.cols) + " is infinite (use NaN for missing)");
    }
  }
  return names;
}

DMatrix MakeMatrix(const sf_dataset& d, int64_t nthread, const std::vector<std::string>& names) {
  DMatrix m;
  const std::string iface = DenseInterface(d.features, d.rows, d.cols);
  const std::string cfg = "{\"missing\":NaN,\"nthread\":" + std::to_string(nthread) + "}";
  Check(XGDMatrixCreateFromDense(iface.c_str(), cfg.c_str(), m.out()),
        "xgboost train: cannot build the training matrix");
  std::vector<float> labels(d.labels, d.labels + d.rows);
  Check(XGDMatrixSetFloatInfo(m.get(), "label", labels.data(), static_cast<bst_ulong>(d.rows)),
        "xgboost train: cannot set labels");
  if (d.weights != nullptr) {
    std::vector<float> w(d.weights, d.weights + d.rows);
    Check(XGDMatrixSetFloatInfo(m.get(), "weight", w.data(), static_cast<bst_ulong>(d.rows)),
          "xgboost train: cannot set weights");
  }
  std::vector<const char*> cnames;
  for (const auto& n : names) cnames.push_back(n.c_str());
  Check(XGDMatrixSetStrFeatureInfo(m.get(), "feature_name", cnames.data(),
                                   static_cast<bst_ulong>(cnames.size())),
        "xgboost train: cannot set feature names");
  return m;
}

DMatrix Slice(const DMatrix& all, const std::vector<int64_t>& rows) {
  std::vector<int> idx(rows.begin(), rows.end());
  DMatrix m;
  Check(XGDMatrixSliceDMatrixEx(all.get(), idx.data(), static_cast<bst_ulong>(idx.size()),
                                m.out(), 0),
        "xgboost train: cannot slice the training matrix");
  return m;
}

void Fit(Booster* b, const DMatrix& train, const Setup& s, const std::vector<std::string>& names,
         Progress* progress, const std::string& stage) {
  DMatrixHandle cache[] = {train.get()};
  Check(XGBoosterCreate(cache, 1, b->out()), "xgboost train: cannot create a booster");
  for (const auto& kv : s.xgb_params) {
    Check(XGBoosterSetParam(b->get(), kv.first.c_str(), kv.second.c_str()),
          "xgboost train: parameter " + kv.first + "=" + kv.second + " refused",
          SF_ERR_INVALID_ARGUMENT);
  }
  std::vector<const char*> cnames;
  for (const auto& n : names) cnames.push_back(n.c_str());
  Check(XGBoosterSetStrFeatureInfo(b->get(), "feature_name", cnames.data(),
                                   static_cast<bst_ulong>(cnames.size())),
        "xgboost train: cannot set feature names");
  for (int64_t it = 0; it < s.num_round; ++it) {
    Check(XGBoosterUpdateOneIter(b->get(), static_cast<int>(it), train.get()),
          it == 0 ? std::string("xgboost train: parameters refused at the first boosting round")
                  : "xgboost train: boosting round " + std::to_string(it) + " failed",
          SF_ERR_INVALID_ARGUMENT);
    progress->Step(stage);
  }
}

std::vector<double> PredictMatrix(const Booster& b, const DMatrix& m) {
  const char* cfg =
      "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
      "\"strict_shape\":false}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  Check(XGBoosterPredictFromDMatrix(b.get(), m.get(), cfg, &shape, &dim, &result),
        "xgboost train: validation predict failed");
  bst_ulong total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  return std::vector<double>(result, result + total);
}

json Metrics(const std::vector<double>& pred, const std::vector<double>& y, bool classifier) {
  json m;
  m["rows"] = pred.size();
  if (classifier) {
    m["auc"] = Num(Auc(pred, y));
    m["logloss"] = Num(LogLoss(pred, y));
    m["precision_top_decile"] = Num(PrecisionAtTop(pred, y, 0.1));
    m["base_rate"] = Num(Mean(y));
  } else {
    m["rmse"] = Num(Rmse(pred, y));
    m["mae"] = Num(Mae(pred, y));
    m["ic"] = Num(Pearson(pred, y));
  }
  return m;
}

json Importance(const Booster& b) {
  std::map<std::string, json> rows;
  for (const char* type : {"gain", "total_gain", "weight"}) {
    const std::string cfg = std::string("{\"importance_type\":\"") + type + "\"}";
    bst_ulong n = 0, dim = 0;
    const char** names = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    Check(XGBoosterFeatureScore(b.get(), cfg.c_str(), &n, &names, &dim, &shape, &scores),
          "xgboost train: feature importance failed");
    for (bst_ulong i = 0; i < n; ++i) {
      rows[names[i]]["feature"] = names[i];
      rows[names[i]][type == std::string("weight") ? "splits" : type] = scores[i];
    }
  }
  json out = json::array();
  for (auto& kv : rows) out.push_back(kv.second);
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a.value("gain", 0.0) > b.value("gain", 0.0);
  });
  return out;
}

void WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw sf::sdk::Error(SF_ERR_IO, "xgboost train: cannot write '" + tmp + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw sf::sdk::Error(SF_ERR_IO, "xgboost train: cannot rename to '" + path + "': " + ec.message());
}

}  // namespace

std::string Train(const std::string& params_json, const sf_dataset& data,
                  const std::string& out_path) {
  const auto started = std::chrono::steady_clock::now();
  const Setup s = ParseParams(params_json);
  const std::filesystem::path out(out_path);
  const std::string ext = out.extension().string();
  if (ext != ".json" && ext != ".ubj") {
    Bad("out_path '" + out_path + "' must end in .json (XGBoost JSON) or .ubj (UBJSON)");
  }
  const std::vector<std::string> names = CheckData(data, s);
  const size_t n = static_cast<size_t>(data.rows);

  // Row times: given, or the row order itself.
  std::vector<int64_t> row_time(n), label_end;
  for (size_t i = 0; i < n; ++i) row_time[i] = data.row_time ? data.row_time[i] : int64_t(i);
  if (data.label_end != nullptr) label_end.assign(data.label_end, data.label_end + n);
  if (data.label_end != nullptr && data.row_time == nullptr) {
    Bad("label_end needs row_time (label windows are in the row_time clock)");
  }

  Splits splits;
  if (s.wf.folds > 0) {
    std::string error;
    if (!PurgedWalkForward(row_time, label_end, s.wf, &splits, &error)) Bad(error);
  }
  const DMatrix all = MakeMatrix(data, s.nthread, names);
  std::vector<double> y(data.labels, data.labels + n);

  Progress progress(static_cast<int64_t>(splits.folds.size() + 1) * s.num_round);
  json folds = json::array();
  std::vector<double> oof_pred, oof_y;
  for (const Fold& f : splits.folds) {
    const std::string stage =
        "fold " + std::to_string(f.index) + "/" + std::to_string(s.wf.folds);
    const DMatrix train = Slice(all, f.train);
    const DMatrix val = Slice(all, f.validation);
    Booster b;
    Fit(&b, train, s, names, &progress, stage);
    const std::vector<double> pred = PredictMatrix(b, val);
    std::vector<double> vy;
    for (int64_t r : f.validation) vy.push_back(y[static_cast<size_t>(r)]);
    json fr = Metrics(pred, vy, s.classifier);
    fr["fold"] = f.index;
    fr["train_rows"] = f.train.size();
    fr["validation_rows"] = f.validation.size();
    fr["purged"] = f.purged;
    fr["embargoed"] = f.embargoed;
    fr["train_to"] = f.train_to;
    fr["validation_from"] = f.validation_from;
    fr["validation_to"] = f.validation_to;
    fr["validation_label_end"] = f.validation_label_end;
    folds.push_back(fr);
    oof_pred.insert(oof_pred.end(), pred.begin(), pred.end());
    oof_y.insert(oof_y.end(), vy.begin(), vy.end());
  }

  json report;
  report["objective"] = s.objective;
  report["rows"] = data.rows;
  report["features"] = names;
  report["params"] = s.params_echo;
  report["data_range"] = {{"from", *std::min_element(row_time.begin(), row_time.end())},
                          {"to", *std::max_element(row_time.begin(), row_time.end())}};
  json validation = {{"scheme", "purged_walk_forward"},
                     {"folds", s.wf.folds},
                     {"embargo_bars", s.wf.embargo_bars},
                     {"skipped_folds", splits.skipped},
                     {"fold_reports", folds}};
  if (!oof_pred.empty()) {
    json oof = Metrics(oof_pred, oof_y, s.classifier);
    if (s.classifier) {
      json table = json::array();
      for (const CalibrationBin& b : Calibration(oof_pred, oof_y, 10)) {
        table.push_back({{"lo", b.lo},
                         {"hi", b.hi},
                         {"count", b.count},
                         {"mean_predicted", Num(b.mean_predicted)},
                         {"observed_rate", Num(b.observed_rate)}});
      }
      oof["calibration"] = table;
    }
    validation["out_of_fold"] = oof;
  }
  report["validation"] = validation;

  // The final model on every row.
  Booster final_model;
  Fit(&final_model, all, s, names, &progress, "final model");
  report["feature_importance"] = Importance(final_model);
  const std::string tmp_model =
      (out.parent_path() / ("." + out.stem().string() + ".tmp" + ext)).string();
  Check(XGBoosterSaveModel(final_model.get(), tmp_model.c_str()),
        "xgboost train: cannot write the model to '" + tmp_model + "'", SF_ERR_IO);
  std::error_code ec;
  std::filesystem::rename(tmp_model, out_path, ec);
  if (ec) {
    throw sf::sdk::Error(SF_ERR_IO, "xgboost train: cannot rename the model to '" + out_path +
                                        "': " + ec.message());
  }
  report["model"] = {{"path", out_path},
                     {"meta_path", out_path + ".meta.json"},
                     {"format", ext == ".ubj" ? "ubjson" : "json"}};
  report["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  json params = json::parse(params_json.empty() ? "{}" : params_json);
  json meta = {{"format", "signalforge.xgboost.meta"},
               {"version", 1},
               {"features", names},
               {"feature_set", params.value("feature_set", "")},
               {"label", params.value("label", "")},
               {"objective", s.objective},
               {"num_round", s.num_round},
               {"params", s.params_echo},
               {"rows", data.rows},
               {"data_range", report["data_range"]},
               {"trained_at_us", std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()},
               {"training_report", report}};
  WriteAtomically(out_path + ".meta.json", meta.dump(2));
  return report.dump();
}

}  // namespace sf::xgb
