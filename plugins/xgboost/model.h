// A loaded XGBoost model and its metadata, answering batched predictions
// through XGBoost's in-place predict (XGBoosterPredictFromDense).
//
// Load config (JSON):
//   {"path": "models/mr@3.json",          // JSON or UBJSON model, required
//    "meta": "models/mr@3.json.meta.json",// sidecar; default <path>.meta.json
//    "features": ["ret_1d", ...],         // the caller's column names, in the
//                                         // order its rows will use; refused
//                                         // unless they equal the model's
//    "feature_set": "price_v1@1",         // refused unless equal to the model's
//    "nthread": 1,                        // predict threads (default 1)
//    "output_margin": false}              // raw margins instead of
//                                         // probabilities
// Feature names come from the sidecar, else from the names stored in the
// model file itself (XGBoost keeps feature_names when training sets them).
//
// Thread-safety: after Load returns the booster is never mutated; Predict only
// calls in-place predict, which XGBoost 1.7 documents as safe and lock free
// when called concurrently on its own ("Calling only inplace_predict in
// multiple threads is safe and lock free"). Load warms the booster up (its
// lazy configuration runs once, before any concurrent use).
#ifndef SF_PLUGINS_XGBOOST_MODEL_H_
#define SF_PLUGINS_XGBOOST_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "xgb_call.h"

namespace sf::xgb {

class Model {
 public:
  // Throws sf::sdk::Error naming the input and the rule on any failure.
  static std::unique_ptr<Model> Load(const std::string& config_json);

  // rows x cols row-major doubles (NaN = missing) -> rows x outputs().
  // Returns SF_INCOMPLETE (with *out_cols) when out is too small. Throws on
  // a column-count mismatch or an XGBoost failure.
  sf_status Predict(const double* features, int64_t rows, int64_t cols, double* out,
                    int64_t out_capacity, int64_t* out_cols) const;

  const std::string& describe_json() const { return describe_json_; }
  const std::vector<std::string>& features() const { return features_; }
  const std::string& feature_set() const { return feature_set_; }
  const std::string& objective() const { return objective_; }
  const std::string& path() const { return path_; }
  int64_t num_features() const { return num_features_; }
  int64_t outputs() const { return outputs_; }

 private:
  Model() = default;
  Booster booster_;
  std::string path_;
  std::vector<std::string> features_;
  std::string feature_set_;
  std::string objective_;
  int64_t num_features_ = 0;
  int64_t outputs_ = 1;
  std::string predict_config_;
  std::string describe_json_;
};

// The names that differ between the model's features and the caller's, as
// "missing from request: a, b; not in model: c; order differs at position 3
// (model 'x', request 'y')"; empty when equal.
std::string FeatureDifference(const std::vector<std::string>& model,
                              const std::vector<std::string>& request);

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_MODEL_H_
