// A weighted average of several XGBoost models' outputs - the ensemble a
// strategy loads like one model (so Lua reaches it through the same
// model.predict binding).
//
// Load config:
//   {"ensemble": [{"path": "models/mr@3.json", "weight": 0.6},
//                 {"path": "models/mr_news@1.ubj", "weight": 0.4}],
//    "features": [...], "feature_set": "price_v1@1", "nthread": 1}
// Top-level keys other than "ensemble" apply to every member (a member may
// override them). Every member must have the same feature names in the same
// order, the same number of outputs and the same kind of output (all
// probabilities or all values); weights are > 0 and are normalised to sum 1.
// Thread-safety: like Model - immutable after Load, Predict is reentrant.
#ifndef SF_PLUGINS_XGBOOST_ENSEMBLE_H_
#define SF_PLUGINS_XGBOOST_ENSEMBLE_H_

#include <memory>
#include <string>
#include <vector>

#include "model.h"

namespace sf::xgb {

class Ensemble {
 public:
  // Throws sf::sdk::Error naming the member and the rule it broke.
  static std::unique_ptr<Ensemble> Load(const std::string& config_json);

  sf_status Predict(const double* features, int64_t rows, int64_t cols, double* out,
                    int64_t out_capacity, int64_t* out_cols) const;
  const std::string& describe_json() const { return describe_json_; }

 private:
  Ensemble() = default;
  std::vector<std::unique_ptr<Model>> members_;
  std::vector<double> weights_;  // normalised
  std::string describe_json_;
};

// True when a load config asks for an ensemble.
bool IsEnsembleConfig(const std::string& config_json);

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_ENSEMBLE_H_
