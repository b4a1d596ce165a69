// org.signalforge.xgboost - XGBoost models for Signalforge: one model
// component "xgboost" that loads XGBoost JSON/UBJSON models with their
// metadata, predicts batches through in-place predict and trains with purged
// walk-forward validation. Built only against sdk/ and Debian's libxgboost.
// See README.md for configs, the report format and limits.
#include <memory>
#include <string>

#include "ensemble.h"
#include "model.h"
#include "trainer.h"
#include "xgb_call.h"

namespace {

using sf::xgb::Ensemble;
using sf::xgb::kPluginId;
using sf::xgb::Model;

// One loaded instance: a single model, or a weighted ensemble of models.
struct Instance {
  std::unique_ptr<Model> model;
  std::unique_ptr<Ensemble> ensemble;
};

sf_status Load(const char* config_json, void** out) {
  return sf::sdk::Guard([&] {
    if (out == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: load needs an out pointer");
    const std::string config = config_json ? config_json : "{}";
    auto inst = std::make_unique<Instance>();
    if (sf::xgb::IsEnsembleConfig(config)) {
      inst->ensemble = Ensemble::Load(config);
    } else {
      inst->model = Model::Load(config);
    }
    *out = inst.release();
  });
}

void Unload(void* p) { delete static_cast<Instance*>(p); }

sf_status Describe(void* p, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: no model");
    const Instance* inst = static_cast<const Instance*>(p);
    return sf::sdk::WriteOut(
        inst->model ? inst->model->describe_json() : inst->ensemble->describe_json(), buf, cap,
        needed);
  });
}

sf_status Predict(void* p, const double* features, int64_t rows, int64_t cols, double* out,
                  int64_t out_capacity, int64_t* out_cols) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (p == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: no model");
    const Instance* inst = static_cast<const Instance*>(p);
    if (inst->model) {
      return inst->model->Predict(features, rows, cols, out, out_capacity, out_cols);
    }
    return inst->ensemble->Predict(features, rows, cols, out, out_capacity, out_cols);
  });
}

sf_status Train(const char* params_json, const sf_dataset* data, const char* out_path,
                char* report, size_t report_cap, size_t* report_needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (data == nullptr || out_path == nullptr || out_path[0] == '\0') {
      throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost train: needs a dataset and an out_path");
    }
    const sf_dataset d = sf::sdk::CopySized(data);
    const std::string text = sf::xgb::Train(params_json ? params_json : "{}", d, out_path);
    // The model is written either way; a short buffer only loses the report
    // here (it is also stored in <out_path>.meta.json).
    return sf::sdk::WriteOut(text, report, report_cap, report_needed);
  });
}

const sf_model_vtable kXgboost = {
    sizeof(sf_model_vtable),
    SF_FLAG_THREAD_SAFE,
    "xgboost",
    R"({"description":"XGBoost gradient-boosted trees: JSON/UBJSON models with feature metadata, in-place batch prediction, weighted ensembles of several models, training with purged walk-forward validation","tasks":["predict","train"]})",
    &Load,
    &Unload,
    &Describe,
    &Predict,
    &Train,
    nullptr,
};

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char*) {
  sf::sdk::Remember(host);
  sf::xgb::InstallLogCallback();
  return host->register_model(plugin, &kXgboost);
}

constexpr sf_plugin_manifest kManifest = sf::sdk::Manifest(
    kPluginId, "1.0.0", "XGBoost models",
    "Loads, predicts with and trains XGBoost models (Debian libxgboost 1.7)", &Init);

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
