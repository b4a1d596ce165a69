#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace sf::xgb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double Auc(const std::vector<double>& score, const std::vector<double>& label) {
  const size_t n = score.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  // Mann-Whitney U with average ranks for ties.
  double rank_sum_pos = 0;
  double positives = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j + 1 < n && score[order[j + 1]] == score[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) {
      if (label[order[k]] > 0.5) {
        rank_sum_pos += avg_rank;
        positives += 1;
      }
    }
    i = j + 1;
  }
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return kNaN;
  return (rank_sum_pos - positives * (positives + 1) / 2.0) / (positives * negatives);
}

double LogLoss(const std::vector<double>& prob, const std::vector<double>& label) {
  if (prob.empty()) return kNaN;
  double sum = 0;
  for (size_t i = 0; i < prob.size(); ++i) {
    const double p = std::clamp(prob[i], 1e-15, 1.0 - 1e-15);
    sum -= label[i] > 0.5 ? std::log(p) : std::log(1.0 - p);
  }
  return sum / static_cast<double>(prob.size());
}

double PrecisionAtTop(const std::vector<double>& score, const std::vector<double>& label,
                      double fraction) {
  const size_t n = score.size();
  if (n == 0) return kNaN;
  size_t k = static_cast<size_t>(std::ceil(fraction * static_cast<double>(n)));
  k = std::clamp<size_t>(k, 1, n);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](size_t a, size_t b) { return score[a] > score[b]; });
  double hits = 0;
  for (size_t i = 0; i < k; ++i) hits += label[order[i]] > 0.5 ? 1 : 0;
  return hits / static_cast<double>(k);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

std::vector<CalibrationBin> Calibration(const std::vector<double>& prob,
                                        const std::vector<double>& label, int bins) {
  std::vector<CalibrationBin> out(static_cast<size_t>(std::max(bins, 1)));
  std::vector<double> sum_p(out.size(), 0), sum_y(out.size(), 0);
  for (size_t b = 0; b < out.size(); ++b) {
    out[b].lo = static_cast<double>(b) / static_cast<double>(out.size());
    out[b].hi = static_cast<double>(b + 1) / static_cast<double>(out.size());
  }
  for (size_t i = 0; i < prob.size(); ++i) {
    const double p = std::clamp(prob[i], 0.0, 1.0);
    size_t b = static_cast<size_t>(p * static_cast<double>(out.size()));
    if (b >= out.size()) b = out.size() - 1;
    out[b].count += 1;
    sum_p[b] += prob[i];
    sum_y[b] += label[i] > 0.5 ? 1 : 0;
  }
  for (size_t b = 0; b < out.size(); ++b) {
    const double c = static_cast<double>(out[b].count);
    out[b].mean_predicted = c > 0 ? sum_p[b] / c : kNaN;
    out[b].observed_rate = c > 0 ? sum_y[b] / c : kNaN;
  }
  return out;
}

double Rmse(const std::vector<double>& pred, const std::vector<double>& label) {
  if (pred.empty()) return kNaN;
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += (pred[i] - label[i]) * (pred[i] - label[i]);
  return std::sqrt(s / static_cast<double>(pred.size()));
}

double Mae(const std::vector<double>& pred, const std::vector<double>& label) {
  if (pred.empty()) return kNaN;
  double s = 0;
  for (size_t i = 0; i < pred.size(); ++i) s += std::fabs(pred[i] - label[i]);
  return s / static_cast<double>(pred.size());
}

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = Mean(a), mb = Mean(b);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa <= 0 || sbb <= 0) return kNaN;
  return sab / std::sqrt(saa * sbb);
}

}  // namespace sf::xgb
