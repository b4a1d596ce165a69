// Purged walk-forward validation splits for time-ordered training rows.
//
// Rows carry the time they were observed (row_time) and the end of the window
// their label looks into (label_end; e.g. the bar at which a 5-day forward
// return is known). Rows of a panel (many symbols) share time stamps; a "bar"
// is one distinct row_time. The distinct times are cut into folds + 1
// contiguous blocks; fold k validates on block k and trains on rows before it
// (expanding window), minus:
//   - purged rows: a training row whose label window [row_time, label_end]
//     overlaps the window of any validation row (the span from the block's
//     first row_time to the latest label_end in it) - its label would be
//     computed from prices the validation period also sees;
//   - embargoed rows: training rows in the last `embargo_bars` bars before the
//     block starts, a gap that keeps serially correlated features (rolling
//     windows) from leaking across the boundary (sklearn's TimeSeriesSplit
//     "gap"; Lopez de Prado's embargo in the walk-forward direction).
// Pure functions, no shared state: thread-safe.
#ifndef SF_PLUGINS_XGBOOST_WALK_FORWARD_H_
#define SF_PLUGINS_XGBOOST_WALK_FORWARD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sf::xgb {

struct WalkForwardOptions {
  int folds = 5;               // validation blocks; >= 1
  int64_t embargo_bars = 20;   // >= 0
  int64_t min_train_rows = 1;  // a fold with fewer training rows is skipped
};

struct Fold {
  int index = 0;                     // 1-based fold number
  std::vector<int64_t> train;        // row indices, ascending
  std::vector<int64_t> validation;   // row indices, ascending
  int64_t purged = 0;                // candidates dropped for label overlap
  int64_t embargoed = 0;             // candidates dropped by the embargo
  int64_t validation_from = 0;       // first row_time in the block
  int64_t validation_to = 0;         // last row_time in the block
  int64_t validation_label_end = 0;  // latest label_end in the block
  int64_t train_to = 0;              // last row_time kept for training
};

struct Splits {
  std::vector<Fold> folds;
  std::vector<int> skipped;  // fold numbers with too few training rows
};

// Splits rows into purged walk-forward folds. label_end may be empty (labels
// end at their row_time). Returns false with *error naming the broken rule
// (sizes differ, label_end before row_time, fewer distinct bars than blocks).
bool PurgedWalkForward(const std::vector<int64_t>& row_time,
                       const std::vector<int64_t>& label_end,
                       const WalkForwardOptions& options, Splits* out,
                       std::string* error);

}  // namespace sf::xgb

#endif  // SF_PLUGINS_XGBOOST_WALK_FORWARD_H_
