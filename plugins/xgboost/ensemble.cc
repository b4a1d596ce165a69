#include "ensemble.h"

#include <nlohmann/json.hpp>

namespace sf::xgb {

namespace {
using nlohmann::json;

[[noreturn]] void Bad(const std::string& message) {
  throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost ensemble: " + message);
}
}  // namespace

bool IsEnsembleConfig(const std::string& config_json) {
  try {
    const json c = json::parse(config_json.empty() ? "{}" : config_json);
    return c.is_object() && c.contains("ensemble");
  } catch (const json::exception&) {
    return false;  // Model::Load reports the syntax error
  }
}

std::unique_ptr<Ensemble> Ensemble::Load(const std::string& config_json) {
  const json c = json::parse(config_json);
  const json& list = c["ensemble"];
  if (!list.is_array() || list.empty()) {
    Bad("\"ensemble\" must be a non-empty array of {\"path\":...,\"weight\":...}");
  }
  json shared = c;
  shared.erase("ensemble");
  std::unique_ptr<Ensemble> e(new Ensemble());
  double total = 0;
  json members = json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    const json& m = list[i];
    const std::string which = "member " + std::to_string(i);
    if (!m.is_object()) Bad(which + " must be an object");
    if (!m.contains("weight") || !m["weight"].is_number() || !(m["weight"].get<double>() > 0)) {
      Bad(which + " needs \"weight\" > 0");
    }
    json member_config = shared;
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it.key() != "weight") member_config[it.key()] = *it;
    }
    std::unique_ptr<Model> model;
    try {
      model = Model::Load(member_config.dump());
    } catch (const sf::sdk::Error& err) {
      throw sf::sdk::Error(err.code(), "xgboost ensemble: " + which + ": " + err.what());
    }
    if (!e->members_.empty()) {
      const Model& first = *e->members_.front();
      if (model->num_features() != first.num_features() ||
          (!first.features().empty() && !model->features().empty() &&
           model->features() != first.features())) {
        Bad(which + " ('" + model->path() + "') has other features than member 0: " +
            FeatureDifference(first.features(), model->features()));
      }
      if (model->outputs() != first.outputs()) {
        Bad(which + " ('" + model->path() + "') gives " + std::to_string(model->outputs()) +
            " outputs per row, member 0 gives " + std::to_string(first.outputs()));
      }
      const json a = json::parse(first.describe_json()), b = json::parse(model->describe_json());
      if (a["output"] != b["output"]) {
        Bad(which + " ('" + model->path() + "') outputs " + b["output"].get<std::string>() +
            ", member 0 outputs " + a["output"].get<std::string>() +
            " (average like with like)");
      }
    }
    const double w = m["weight"].get<double>();
    total += w;
    e->weights_.push_back(w);
    members.push_back({{"path", model->path()}, {"weight", w}, {"objective", model->objective()}});
    e->members_.push_back(std::move(model));
  }
  for (double& w : e->weights_) w /= total;
  for (size_t i = 0; i < members.size(); ++i) members[i]["normalised_weight"] = e->weights_[i];
  json d = json::parse(e->members_.front()->describe_json());
  d.erase("path");
  d.erase("metadata");
  d.erase("rounds");
  d["ensemble"] = members;
  e->describe_json_ = d.dump();
  return e;
}

sf_status Ensemble::Predict(const double* features, int64_t rows, int64_t cols, double* out,
                            int64_t out_capacity, int64_t* out_cols) const {
  const int64_t k = members_.front()->outputs();
  if (out_cols != nullptr) *out_cols = k;
  if (cols != members_.front()->num_features()) {
    // Let the member produce the precise error message.
    return members_.front()->Predict(features, rows, cols, out, out_capacity, out_cols);
  }
  if (out_capacity < rows * k || (rows > 0 && out == nullptr)) return SF_INCOMPLETE;
  std::vector<double> part(static_cast<size_t>(rows * k));
  for (int64_t i = 0; i < rows * k; ++i) out[i] = 0;
  for (size_t m = 0; m < members_.size(); ++m) {
    int64_t got = 0;
    const sf_status s = members_[m]->Predict(features, rows, cols, part.data(),
                                             static_cast<int64_t>(part.size()), &got);
    if (s != SF_OK) return s;
    for (int64_t i = 0; i < rows * k; ++i) out[i] += weights_[m] * part[static_cast<size_t>(i)];
  }
  return SF_OK;
}

}  // namespace sf::xgb
