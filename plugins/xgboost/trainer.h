// Training through XGBoost's C API with purged walk-forward validation.
//
// params_json (all optional):
//   "objective": "binary:logistic" (default) | "reg:squarederror" |
//                "reg:absoluteerror" | "reg:pseudohubererror" | "reg:logistic"
//   "num_round": 100        boosting rounds of every fit
//   "nthread": 0            training threads, 0 = every core
//   "folds": 5              walk-forward validation blocks, 0 = no validation
//   "embargo_bars": 20      bars dropped before each validation block
//   "min_train_rows": 50    a fold with fewer training rows is skipped
//   "feature_set": "price_v1@1", "label": "sign(fwd_return,5)"  metadata
//   anything else that is a string, number or bool is an XGBoost parameter
//   passed through unchanged (max_depth, eta, subsample, colsample_bytree,
//   min_child_weight, lambda, alpha, gamma, max_bin, tree_method (default
//   "hist"), seed (default 0), scale_pos_weight, ...).
// The model goes to out_path (".json" -> XGBoost JSON, ".ubj" -> UBJSON) and
// its metadata to out_path + ".meta.json"; both are written to temporary
// files and renamed, so a reader never sees half a model.
// Progress goes to the host log (info) as "progress <done>/<total> rounds
// (<stage>)", at most ~100 lines per call.
// Thread-safety: reentrant; each call owns its XGBoost objects.
#ifndef SF_PLUGINS_XGBOOST_TRAINER_H_
#define SF_PLUGINS_XGBOOST_TRAINER_H_

#include <string>

#include "signalforge/signalforge.h"

namespace sf::xgb {

// Trains, writes model + sidecar and returns the JSON report (also stored in
// the sidecar as "training_report"). Throws sf::sdk::Error naming the input
// and rule on bad parameters or data.
std::string Train(const std::string& params_json, const sf_dataset& data,
                  const std::string& out_path);

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_TRAINER_H_
