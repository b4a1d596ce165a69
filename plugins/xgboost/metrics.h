// Validation metrics for trained models: ROC AUC, log-loss, precision at the
// top fraction, a calibration table (binary classifiers) and RMSE, MAE and
// Pearson correlation (regressors). Pure functions: thread-safe.
#ifndef SF_PLUGINS_XGBOOST_METRICS_H_
#define SF_PLUGINS_XGBOOST_METRICS_H_

#include <cstdint>
#include <vector>

namespace sf::xgb {

// Area under the ROC curve (ties count one half). Labels are 0/1. NaN when
// only one class is present.
double Auc(const std::vector<double>& score, const std::vector<double>& label);
// Mean binary cross-entropy; probabilities clipped to [1e-15, 1 - 1e-15].
double LogLoss(const std::vector<double>& prob, const std::vector<double>& label);
// Share of positives among the ceil(fraction * n) highest-scored rows.
double PrecisionAtTop(const std::vector<double>& score, const std::vector<double>& label,
                      double fraction);
double Mean(const std::vector<double>& v);

struct CalibrationBin {
  double lo = 0, hi = 0;       // predicted-probability range [lo, hi)
  int64_t count = 0;
  double mean_predicted = 0;   // NaN when empty
  double observed_rate = 0;    // NaN when empty
};
// `bins` equal-width bins over [0, 1]; the last bin includes 1.
std::vector<CalibrationBin> Calibration(const std::vector<double>& prob,
                                        const std::vector<double>& label, int bins);

double Rmse(const std::vector<double>& pred, const std::vector<double>& label);
double Mae(const std::vector<double>& pred, const std::vector<double>& label);
double Pearson(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_METRICS_H_
