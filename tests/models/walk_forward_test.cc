// Unit tests of the purged walk-forward splitter and the validation metrics
// the XGBoost plugin reports (plugins/xgboost/walk_forward.h, metrics.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "metrics.h"
#include "walk_forward.h"

namespace sf::xgb {
namespace {

// A panel: `symbols` rows per bar, `bars` bars one day apart, labels that
// look `horizon` bars ahead (label_end = time of bar i + horizon).
struct PanelTimes {
  std::vector<int64_t> t, end;
};
PanelTimes Make(int symbols, int bars, int horizon) {
  PanelTimes p;
  const int64_t day = 86400;
  for (int i = 0; i < bars; ++i) {
    for (int s = 0; s < symbols; ++s) {
      p.t.push_back(i * day);
      p.end.push_back((i + horizon) * day);
    }
  }
  return p;
}

TEST(WalkForward, NoTrainingLabelWindowOverlapsAnyValidationWindow) {
  const PanelTimes p = Make(3, 400, 10);
  WalkForwardOptions o;
  o.folds = 4;
  o.embargo_bars = 0;
  Splits s;
  std::string error;
  ASSERT_TRUE(PurgedWalkForward(p.t, p.end, o, &s, &error)) << error;
  ASSERT_EQ(s.folds.size(), 4u);
  for (const Fold& f : s.folds) {
    ASSERT_FALSE(f.train.empty());
    ASSERT_FALSE(f.validation.empty());
    for (int64_t i : f.train) {
      for (int64_t j : f.validation) {
        const bool overlap = p.end[i] >= p.t[j] && p.t[i] <= p.end[j];
        ASSERT_FALSE(overlap) << "fold " << f.index << ": train row " << i << " ["
                              << p.t[i] << "," << p.end[i] << "] overlaps validation row " << j;
      }
    }
    // With a 10-bar horizon exactly the last 10 bars before the block are
    // purged (3 symbols each), and nothing else.
    EXPECT_EQ(f.purged, 30) << "fold " << f.index;
    EXPECT_EQ(f.embargoed, 0);
  }
}

TEST(WalkForward, EmbargoDropsBarsBeforeEachBlock) {
  const PanelTimes p = Make(2, 500, 5);
  WalkForwardOptions o;
  o.folds = 3;
  o.embargo_bars = 20;
  Splits s;
  std::string error;
  ASSERT_TRUE(PurgedWalkForward(p.t, p.end, o, &s, &error)) << error;
  ASSERT_EQ(s.folds.size(), 3u);
  const int64_t day = 86400;
  for (const Fold& f : s.folds) {
    // The last training bar is more than 20 bars before the block.
    int64_t last_train = 0;
    for (int64_t i : f.train) last_train = std::max(last_train, p.t[i]);
    EXPECT_EQ(last_train, f.train_to);
    EXPECT_GE(f.validation_from - last_train, 21 * day) << "fold " << f.index;
    EXPECT_LT(f.validation_from - last_train, 22 * day) << "no more than needed is dropped";
    // 5 bars purged (label overlap), the 15 bars before those embargoed.
    EXPECT_EQ(f.purged, 2 * 5);
    EXPECT_EQ(f.embargoed, 2 * 15);
  }
}

TEST(WalkForward, BlocksAreOrderedDisjointAndExpanding) {
  const PanelTimes p = Make(4, 300, 3);
  WalkForwardOptions o;
  o.folds = 5;
  o.embargo_bars = 7;
  Splits s;
  std::string error;
  ASSERT_TRUE(PurgedWalkForward(p.t, p.end, o, &s, &error)) << error;
  std::set<int64_t> validated;
  size_t previous_train = 0;
  int64_t previous_to = -1;
  for (const Fold& f : s.folds) {
    EXPECT_GT(f.validation_from, previous_to);
    previous_to = f.validation_to;
    EXPECT_GT(f.train.size(), previous_train);
    previous_train = f.train.size();
    for (int64_t j : f.validation) {
      EXPECT_TRUE(validated.insert(j).second) << "row " << j << " validated twice";
      EXPECT_GE(p.t[j], f.validation_from);
      EXPECT_LE(p.t[j], f.validation_to);
    }
    for (int64_t i : f.train) EXPECT_LT(p.t[i], f.validation_from);
  }
  // Every row after the first block is validated exactly once.
  EXPECT_EQ(validated.size(), p.t.size() - 4 * (300 / 6));
}

TEST(WalkForward, UnsortedRowsAndLongLabelsArePurgedByInterval) {
  // Rows in reverse time order; one early row whose label runs to the end.
  PanelTimes p = Make(1, 120, 1);
  std::reverse(p.t.begin(), p.t.end());
  std::reverse(p.end.begin(), p.end.end());
  p.end[p.end.size() - 1] = 200 * 86400;  // the first bar's label never ends
  WalkForwardOptions o;
  o.folds = 2;
  o.embargo_bars = 0;
  Splits s;
  std::string error;
  ASSERT_TRUE(PurgedWalkForward(p.t, p.end, o, &s, &error)) << error;
  for (const Fold& f : s.folds) {
    for (int64_t i : f.train) {
      EXPECT_NE(i, static_cast<int64_t>(p.t.size() - 1)) << "the long-label row must be purged";
    }
  }
}

TEST(WalkForward, RefusesBrokenInput) {
  Splits s;
  std::string error;
  WalkForwardOptions o;
  EXPECT_FALSE(PurgedWalkForward({1, 2, 3}, {1, 2}, o, &s, &error));
  EXPECT_NE(error.find("label_end has 2 values but there are 3 rows"), std::string::npos);
  EXPECT_FALSE(PurgedWalkForward({5, 6}, {4, 6}, o, &s, &error));
  EXPECT_NE(error.find("row 0: label_end is before row_time"), std::string::npos);
  EXPECT_FALSE(PurgedWalkForward({1, 2, 3}, {}, o, &s, &error));
  EXPECT_NE(error.find("needs at least 6 distinct row times, got 3"), std::string::npos);
  o.folds = 0;
  EXPECT_FALSE(PurgedWalkForward({1, 2, 3}, {}, o, &s, &error));
}

TEST(WalkForward, FoldsWithTooFewTrainingRowsAreSkipped) {
  const PanelTimes p = Make(1, 60, 1);
  WalkForwardOptions o;
  o.folds = 5;  // blocks of 10 bars
  o.embargo_bars = 15;
  o.min_train_rows = 5;
  Splits s;
  std::string error;
  ASSERT_TRUE(PurgedWalkForward(p.t, p.end, o, &s, &error)) << error;
  ASSERT_FALSE(s.skipped.empty());
  EXPECT_EQ(s.skipped.front(), 1);
  EXPECT_EQ(s.folds.size() + s.skipped.size(), 5u);
}

TEST(Metrics, AucMatchesHandComputedValues) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5}, {0, 1}), 0.5);  // ties count one half
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.1}, {1, 0}), 1.0);
  EXPECT_TRUE(std::isnan(Auc({0.2, 0.3}, {1, 1})));
}

TEST(Metrics, LogLossPrecisionAndCalibration) {
  EXPECT_NEAR(LogLoss({0.9, 0.2}, {1, 0}), -(std::log(0.9) + std::log(0.8)) / 2, 1e-12);
  std::vector<double> score, label;
  for (int i = 0; i < 100; ++i) {
    score.push_back(i / 100.0);
    label.push_back(i >= 95 ? 1 : 0);
  }
  EXPECT_DOUBLE_EQ(PrecisionAtTop(score, label, 0.1), 0.5);  // 5 of the top 10
  const auto bins = Calibration(score, label, 10);
  ASSERT_EQ(bins.size(), 10u);
  for (const auto& b : bins) EXPECT_EQ(b.count, 10);
  EXPECT_DOUBLE_EQ(bins[9].observed_rate, 0.5);
  EXPECT_DOUBLE_EQ(bins[0].observed_rate, 0.0);
  EXPECT_NEAR(bins[3].mean_predicted, 0.345, 1e-12);
  EXPECT_NEAR(Pearson({1, 2, 3}, {2, 4, 6}), 1.0, 1e-12);
  EXPECT_NEAR(Rmse({1, 2}, {1, 4}), std::sqrt(2.0), 1e-12);
}

}  // namespace
}  // namespace sf::xgb
