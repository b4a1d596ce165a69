#include "model.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace sf::xgb {

namespace {

using nlohmann::json;

json ParseConfig(const std::string& text) {
  json config;
  try {
    config = json::parse(text.empty() ? "{}" : text);
  } catch (const json::exception& e) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         std::string("xgboost: load config is not valid JSON: ") + e.what());
  }
  if (!config.is_object()) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: load config must be a JSON object");
  }
  return config;
}

std::vector<std::string> NameList(const json& v, const std::string& what) {
  if (!v.is_array()) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, what + " must be an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, what + " must be an array of strings");
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

// The model's stored feature names (XGBoosterGetStrFeatureInfo), if any.
std::vector<std::string> StoredNames(BoosterHandle h) {
  bst_ulong n = 0;
  const char** names = nullptr;
  if (XGBoosterGetStrFeatureInfo(h, "feature_name", &n, &names) != 0) return {};
  return std::vector<std::string>(names, names + n);
}

}  // namespace

std::string FeatureDifference(const std::vector<std::string>& model,
                              const std::vector<std::string>& request) {
  if (model == request) return "";
  const std::set<std::string> m(model.begin(), model.end());
  const std::set<std::string> r(request.begin(), request.end());
  std::vector<std::string> missing, extra;
  for (const auto& name : model) {
    if (!r.count(name)) missing.push_back(name);
  }
  for (const auto& name : request) {
    if (!m.count(name)) extra.push_back(name);
  }
  std::string out;
  if (!missing.empty()) out += "missing from request: " + Join(missing);
  if (!extra.empty()) out += (out.empty() ? "" : "; ") + std::string("not in model: ") + Join(extra);
  if (missing.empty() && extra.empty()) {
    if (model.size() != request.size()) {
      out = "request has " + std::to_string(request.size()) + " names, model " +
            std::to_string(model.size()) + " (duplicates)";
    } else {
      for (size_t i = 0; i < model.size(); ++i) {
        if (model[i] != request[i]) {
          out = "order differs at position " + std::to_string(i) + " (model '" + model[i] +
                "', request '" + request[i] + "')";
          break;
        }
      }
    }
  }
  return out;
}

std::unique_ptr<Model> Model::Load(const std::string& config_json) {
  const json config = ParseConfig(config_json);
  if (!config.contains("path") || !config["path"].is_string() ||
      config["path"].get<std::string>().empty()) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         "xgboost: load config needs \"path\": the model file (.json or .ubj)");
  }
  std::unique_ptr<Model> model(new Model());
  model->path_ = config["path"].get<std::string>();
  const std::string& path = model->path_;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw sf::sdk::Error(SF_ERR_NOT_FOUND, "xgboost: model file '" + path + "' does not exist");
  }

  Check(XGBoosterCreate(nullptr, 0, model->booster_.out()), "xgboost: cannot create a booster");
  BoosterHandle h = model->booster_.get();
  if (XGBoosterLoadModel(h, path.c_str()) != 0) {
    std::string detail = XGBGetLastError();
    if (auto cut = detail.find('\n'); cut != std::string::npos) detail.resize(cut);
    throw sf::sdk::Error(SF_ERR_BAD_DATA,
                         "xgboost: model file '" + path +
                             "' is not a valid XGBoost model (expected XGBoost JSON or UBJSON "
                             "as written by save_model): " + detail);
  }
  bst_ulong nfeat = 0;
  Check(XGBoosterGetNumFeature(h, &nfeat), "xgboost: model '" + path + "' has no feature count",
        SF_ERR_BAD_DATA);
  model->num_features_ = static_cast<int64_t>(nfeat);

  // Objective and class count from the learner's own configuration.
  bst_ulong len = 0;
  const char* cfg = nullptr;
  Check(XGBoosterSaveJsonConfig(h, &len, &cfg), "xgboost: cannot read the model's configuration");
  int64_t num_class = 0;
  try {
    const json learner = json::parse(std::string(cfg, len)).at("learner");
    model->objective_ = learner.at("objective").at("name").get<std::string>();
    num_class = std::stoll(learner.at("learner_model_param").at("num_class").get<std::string>());
  } catch (const std::exception& e) {
    throw sf::sdk::Error(SF_ERR_BAD_DATA, "xgboost: model '" + path +
                                              "' has an unreadable configuration: " + e.what());
  }
  model->outputs_ =
      (num_class > 1 && model->objective_ != "multi:softmax") ? num_class : 1;

  // Metadata: the sidecar, else names stored in the model.
  json meta = json::object();
  const std::string meta_path = config.contains("meta") && config["meta"].is_string()
                                    ? config["meta"].get<std::string>()
                                    : path + ".meta.json";
  const bool meta_required = config.contains("meta");
  if (std::filesystem::is_regular_file(meta_path, ec)) {
    std::ifstream in(meta_path);
    try {
      meta = json::parse(in);
    } catch (const json::exception& e) {
      throw sf::sdk::Error(SF_ERR_BAD_DATA, "xgboost: metadata file '" + meta_path +
                                                "' is not valid JSON: " + e.what());
    }
    if (!meta.is_object()) {
      throw sf::sdk::Error(SF_ERR_BAD_DATA,
                           "xgboost: metadata file '" + meta_path + "' must hold a JSON object");
    }
  } else if (meta_required) {
    throw sf::sdk::Error(SF_ERR_NOT_FOUND,
                         "xgboost: metadata file '" + meta_path + "' does not exist");
  }
  const std::vector<std::string> stored = StoredNames(h);
  if (meta.contains("features")) {
    model->features_ = NameList(meta["features"], "xgboost: '" + meta_path + "' \"features\"");
  } else {
    model->features_ = stored;
  }
  if (!model->features_.empty() &&
      static_cast<int64_t>(model->features_.size()) != model->num_features_) {
    throw sf::sdk::Error(SF_ERR_BAD_DATA,
                         "xgboost: metadata for '" + path + "' lists " +
                             std::to_string(model->features_.size()) +
                             " feature names but the model has " +
                             std::to_string(model->num_features_) + " features");
  }
  if (!stored.empty() && stored != model->features_) {
    throw sf::sdk::Error(SF_ERR_BAD_DATA, "xgboost: metadata file '" + meta_path +
                                              "' disagrees with the feature names stored in '" +
                                              path + "': " +
                                              FeatureDifference(stored, model->features_));
  }
  if (meta.contains("objective") && meta["objective"].is_string() &&
      meta["objective"].get<std::string>() != model->objective_) {
    throw sf::sdk::Error(SF_ERR_BAD_DATA, "xgboost: metadata for '" + path + "' says objective " +
                                              meta["objective"].get<std::string>() +
                                              " but the model file has " + model->objective_);
  }
  if (meta.contains("feature_set") && meta["feature_set"].is_string()) {
    model->feature_set_ = meta["feature_set"].get<std::string>();
  }

  // The caller's view must match.
  if (config.contains("features")) {
    const auto request = NameList(config["features"], "xgboost: load config \"features\"");
    if (model->features_.empty()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "xgboost: model '" + path +
                               "' carries no feature names (no sidecar " + meta_path +
                               " and none stored in the model), so \"features\" cannot be checked");
    }
    const std::string diff = FeatureDifference(model->features_, request);
    if (!diff.empty()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "xgboost: features do not match model '" + path + "': " + diff);
    }
  }
  if (config.contains("feature_set")) {
    if (!config["feature_set"].is_string()) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "xgboost: load config \"feature_set\" must be a string like price_v1@1");
    }
    const std::string want = config["feature_set"].get<std::string>();
    if (want != model->feature_set_) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "xgboost: feature set mismatch for model '" + path + "': model has '" +
                               model->feature_set_ + "', request wants '" + want + "'");
    }
  }

  int nthread = 1;
  if (config.contains("nthread")) {
    if (!config["nthread"].is_number_integer() || config["nthread"].get<int>() < 1) {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                           "xgboost: load config \"nthread\" must be an integer >= 1");
    }
    nthread = config["nthread"].get<int>();
  }
  Check(XGBoosterSetParam(h, "nthread", std::to_string(nthread).c_str()),
        "xgboost: cannot set nthread");
  if (config.contains("output_margin") && !config["output_margin"].is_boolean()) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         "xgboost: load config \"output_margin\" must be true or false");
  }
  const bool margin = config.value("output_margin", false);
  // type 0 = normal prediction, 1 = margin; see XGBoosterPredictFromDMatrix.
  model->predict_config_ = std::string("{\"type\":") + (margin ? "1" : "0") +
                           ",\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                           "\"strict_shape\":false,\"cache_id\":0,\"missing\":NaN}";

  // Warm-up: runs XGBoost's lazy configuration now, on this one thread.
  if (model->num_features_ > 0) {
    std::vector<double> row(static_cast<size_t>(model->num_features_), 0.0);
    std::vector<double> out(static_cast<size_t>(model->outputs_));
    int64_t cols = 0;
    model->Predict(row.data(), 1, model->num_features_, out.data(),
                   static_cast<int64_t>(out.size()), &cols);
  }

  json describe = {{"features", model->features_},
                   {"feature_set", model->feature_set_},
                   {"objective", model->objective_},
                   {"outputs", model->outputs_},
                   {"num_features", model->num_features_},
                   {"num_class", num_class},
                   {"output", margin ? "margin"
                              : (model->objective_.rfind("binary:logistic", 0) == 0 ||
                                 model->objective_ == "multi:softprob")
                                  ? "probability"
                                  : "value"},
                   {"path", path},
                   {"nthread", nthread}};
  int rounds = 0;
  if (XGBoosterBoostedRounds(h, &rounds) == 0) describe["rounds"] = rounds;
  if (!meta.empty()) describe["metadata"] = meta;
  model->describe_json_ = describe.dump();
  return model;
}

sf_status Model::Predict(const double* features, int64_t rows, int64_t cols, double* out,
                         int64_t out_capacity, int64_t* out_cols) const {
  if (cols != num_features_) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT,
                         "xgboost: model '" + path_ + "' expects " + std::to_string(num_features_) +
                             " features per row" +
                             (feature_set_.empty() ? "" : " (" + feature_set_ + ")") + ", got " +
                             std::to_string(cols));
  }
  if (rows < 0 || (rows > 0 && features == nullptr)) {
    throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: predict needs rows >= 0 and features");
  }
  if (out_cols != nullptr) *out_cols = outputs_;
  if (out_capacity < rows * outputs_ || (rows > 0 && out == nullptr)) return SF_INCOMPLETE;
  if (rows == 0) return SF_OK;
  const std::string values = DenseInterface(features, rows, cols);
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  Check(XGBoosterPredictFromDense(booster_.get(), values.c_str(), predict_config_.c_str(), nullptr,
                                  &shape, &dim, &result),
        "xgboost: predict failed for model '" + path_ + "'");
  const int64_t n = rows * outputs_;
  bst_ulong total = 1;
  for (bst_ulong d = 0; d < dim; ++d) total *= shape[d];
  if (static_cast<int64_t>(total) != n) {
    throw sf::sdk::Error(SF_ERR_INTERNAL, "xgboost: model '" + path_ + "' returned " +
                                              std::to_string(total) + " values for " +
                                              std::to_string(rows) + " rows");
  }
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(result[i]);
  return SF_OK;
}

}  // namespace sf::xgb
