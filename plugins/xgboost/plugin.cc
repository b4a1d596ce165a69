// org.signalforge.xgboost - XGBoost models for Signalforge: one model
// component "xgboost" that loads XGBoost JSON/UBJSON models with their
// metadata, predicts batches through in-place predict and trains with purged
// walk-forward validation. Built only against sdk/ and Debian's libxgboost.
// See README.md for configs, the report format and limits.
#include <memory>
#include <string>

#include "model.h"
#include "trainer.h"
#include "xgb_call.h"

namespace {

using sf::xgb::kPluginId;
using sf::xgb::Model;

sf_status Load(const char* config_json, void** out) {
  return sf::sdk::Guard([&] {
    if (out == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: load needs an out pointer");
    std::unique_ptr<Model> m = Model::Load(config_json ? config_json : "{}");
    *out = m.release();
  });
}

void Unload(void* model) { delete static_cast<Model*>(model); }

sf_status Describe(void* model, char* buf, size_t cap, size_t* needed) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (model == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: no model");
    return sf::sdk::WriteOut(static_cast<Model*>(model)->describe_json(), buf, cap, needed);
  });
}

sf_status Predict(void* model, const double* features, int64_t rows, int64_t cols, double* out,
                  int64_t out_capacity, int64_t* out_cols) {
  return sf::sdk::Guard([&]() -> sf_status {
    if (model == nullptr) throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, "xgboost: no model");
    return static_cast<const Model*>(model)->Predict(features, rows, cols, out, out_capacity,
                                                     out_cols);
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
    R"({"description":"XGBoost gradient-boosted trees: JSON/UBJSON models with feature metadata, in-place batch prediction, training with purged walk-forward validation","tasks":["predict","train"]})",
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

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    0,
    0,
    kPluginId,
    "1.0.0",
    "XGBoost models",
    "Loads, predicts with and trains XGBoost models (Debian libxgboost 1.7)",
    "Signalforge",
    "Apache-2.0",
    &Init,
    nullptr,
};

}  // namespace

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &kManifest;
}
