#include "walk_forward.h"

#include <algorithm>

namespace sf::xgb {

bool PurgedWalkForward(const std::vector<int64_t>& row_time,
                       const std::vector<int64_t>& label_end,
                       const WalkForwardOptions& options, Splits* out,
                       std::string* error) {
  const size_t n = row_time.size();
  if (!label_end.empty() && label_end.size() != n) {
    *error = "label_end has " + std::to_string(label_end.size()) + " values but there are " +
             std::to_string(n) + " rows";
    return false;
  }
  if (options.folds < 1) {
    *error = "folds must be >= 1 (got " + std::to_string(options.folds) + ")";
    return false;
  }
  if (options.embargo_bars < 0) {
    *error = "embargo_bars must be >= 0 (got " + std::to_string(options.embargo_bars) + ")";
    return false;
  }
  auto end_of = [&](size_t i) { return label_end.empty() ? row_time[i] : label_end[i]; };
  for (size_t i = 0; i < n; ++i) {
    if (end_of(i) < row_time[i]) {
      *error = "row " + std::to_string(i) + ": label_end is before row_time";
      return false;
    }
  }
  std::vector<int64_t> times(row_time);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  const size_t bars = times.size();
  const size_t blocks = static_cast<size_t>(options.folds) + 1;
  if (bars < blocks) {
    *error = "walk-forward with " + std::to_string(options.folds) + " folds needs at least " +
             std::to_string(blocks) + " distinct row times, got " + std::to_string(bars);
    return false;
  }
  // Bar index of every row.
  std::vector<int64_t> bar(n);
  for (size_t i = 0; i < n; ++i) {
    bar[i] = std::lower_bound(times.begin(), times.end(), row_time[i]) - times.begin();
  }
  out->folds.clear();
  out->skipped.clear();
  for (size_t k = 1; k < blocks; ++k) {
    const int64_t first = static_cast<int64_t>(k * bars / blocks);
    const int64_t last = static_cast<int64_t>((k + 1) * bars / blocks);  // exclusive
    Fold fold;
    fold.index = static_cast<int>(k);
    fold.validation_from = times[first];
    fold.validation_to = times[last - 1];
    fold.validation_label_end = fold.validation_to;
    for (size_t i = 0; i < n; ++i) {
      if (bar[i] >= first && bar[i] < last) {
        fold.validation.push_back(static_cast<int64_t>(i));
        fold.validation_label_end = std::max(fold.validation_label_end, end_of(i));
      }
    }
    const int64_t embargo_from = first - options.embargo_bars;
    int64_t train_to = INT64_MIN;
    for (size_t i = 0; i < n; ++i) {
      if (bar[i] >= first) continue;
      // Interval overlap of [row_time, label_end] with the validation window.
      const bool overlaps =
          end_of(i) >= fold.validation_from && row_time[i] <= fold.validation_label_end;
      if (overlaps) {
        ++fold.purged;
      } else if (bar[i] >= embargo_from) {
        ++fold.embargoed;
      } else {
        fold.train.push_back(static_cast<int64_t>(i));
        train_to = std::max(train_to, row_time[i]);
      }
    }
    fold.train_to = train_to;
    if (static_cast<int64_t>(fold.train.size()) < std::max<int64_t>(1, options.min_train_rows)) {
      out->skipped.push_back(fold.index);
      continue;
    }
    out->folds.push_back(std::move(fold));
  }
  return true;
}

}  // namespace sf::xgb
