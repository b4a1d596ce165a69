// Signal lifecycle edge cases: gap-through stops fill at the open, same-bar
// target and stop resolve to the stop, expiry at the close, excursions.
#include <gtest/gtest.h>

#include "engine/lifecycle.h"

namespace sf::engine {
namespace {

constexpr int64_t kDay = 86'400'000'000LL;

OpenSignal Long(double entry = 100, double target = 110, double stop = 95) {
  OpenSignal s;
  s.id = "t1";
  s.symbol = "AAPL";
  s.side = "buy";
  s.entry = entry;
  s.target = target;
  s.stop = stop;
  s.opened_at = 10 * kDay;
  s.last_price = entry;
  return s;
}

BarView Bar(int day, double o, double h, double l, double c) { return {day * kDay, o, h, l, c}; }

TEST(Lifecycle, StaysOpenAndTracksExcursions) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 100, 104, 97, 103));
  EXPECT_FALSE(st.closed);
  EXPECT_EQ(st.status, "active");
  EXPECT_NEAR(st.unrealized_pnl_pct, 3.0, 1e-12);
  EXPECT_NEAR(s.mfe_pct, 4.0, 1e-12);
  EXPECT_NEAR(s.mae_pct, -3.0, 1e-12);
  EXPECT_EQ(s.bars_held, 1);
}

TEST(Lifecycle, IgnoresBarsAtOrBeforeOpening) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(10, 100, 200, 1, 100));  // the signal's own bar
  EXPECT_FALSE(st.closed);
  EXPECT_EQ(s.bars_held, 0);
  EXPECT_EQ(s.mfe_pct, 0);
}

TEST(Lifecycle, TargetInsideBar) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 101, 111, 99, 108));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "target_reached");
  EXPECT_EQ(st.exit_reason, "target");
  EXPECT_DOUBLE_EQ(st.exit_price, 110);
  EXPECT_EQ(st.exit_at, 11 * kDay);
  EXPECT_NEAR(st.realized_pnl_pct, 10.0, 1e-12);
}

TEST(Lifecycle, StopInsideBar) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 99, 100, 94, 96));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "stopped_out");
  EXPECT_EQ(st.exit_reason, "stop");
  EXPECT_DOUBLE_EQ(st.exit_price, 95);
  EXPECT_NEAR(st.realized_pnl_pct, -5.0, 1e-12);
}

TEST(Lifecycle, GapThroughStopFillsAtOpen) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 90, 92, 88, 91));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "stopped_out");
  EXPECT_EQ(st.exit_reason, "stop_gap");
  EXPECT_DOUBLE_EQ(st.exit_price, 90);  // not 95
  EXPECT_NEAR(st.realized_pnl_pct, -10.0, 1e-12);
  EXPECT_NEAR(st.mae_pct, -10.0, 1e-12);
}

TEST(Lifecycle, GapThroughTargetFillsAtOpen) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 112, 113, 108, 109));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "target_reached");
  EXPECT_EQ(st.exit_reason, "target_gap");
  EXPECT_DOUBLE_EQ(st.exit_price, 112);
}

TEST(Lifecycle, SameBarTargetAndStopAssumesStop) {
  OpenSignal s = Long();
  LifecycleStep st = Advance(s, Bar(11, 100, 111, 94, 105));
  ASSERT_TRUE(st.closed);
  EXPECT_TRUE(st.ambiguous);
  EXPECT_EQ(st.status, "stopped_out");
  EXPECT_EQ(st.exit_reason, "stop_same_bar");
  EXPECT_DOUBLE_EQ(st.exit_price, 95);
  EXPECT_NEAR(st.mfe_pct, 0.0, 1e-12);  // only the open is known to precede the stop
}

TEST(Lifecycle, ShortSideMirrors) {
  OpenSignal s = Long(100, 90, 105);
  s.side = "sell";
  LifecycleStep st = Advance(s, Bar(11, 99, 101, 89, 92));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "target_reached");
  EXPECT_NEAR(st.realized_pnl_pct, 10.0, 1e-12);
  OpenSignal g = Long(100, 90, 105);
  g.side = "sell";
  st = Advance(g, Bar(11, 108, 109, 104, 106));
  EXPECT_EQ(st.exit_reason, "stop_gap");
  EXPECT_DOUBLE_EQ(st.exit_price, 108);
  EXPECT_NEAR(st.realized_pnl_pct, -8.0, 1e-12);
}

TEST(Lifecycle, ExpiresAtCloseOfFirstBarAtOrAfterExpiry) {
  OpenSignal s = Long();
  s.expires_at = 12 * kDay + 1;
  EXPECT_FALSE(Advance(s, Bar(11, 100, 102, 99, 101)).closed);
  EXPECT_FALSE(Advance(s, Bar(12, 101, 103, 99, 102)).closed);
  LifecycleStep st = Advance(s, Bar(13, 102, 104, 100, 103));
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "expired");
  EXPECT_EQ(st.exit_reason, "expiry");
  EXPECT_DOUBLE_EQ(st.exit_price, 103);
  EXPECT_EQ(st.exit_at, 13 * kDay);
  EXPECT_NEAR(st.mfe_pct, 4.0, 1e-12);
  EXPECT_NEAR(st.mae_pct, -1.0, 1e-12);
}

TEST(Lifecycle, TargetBeatsExpiryOnTheSameBar) {
  OpenSignal s = Long();
  s.expires_at = 11 * kDay;
  LifecycleStep st = Advance(s, Bar(11, 100, 111, 99, 100));
  EXPECT_EQ(st.status, "target_reached");
}

TEST(Lifecycle, OppositeSignalClose) {
  OpenSignal s = Long();
  Advance(s, Bar(11, 100, 103, 98, 102));
  LifecycleStep st = CloseAt(s, 12 * kDay, 101, kStatusManuallyClosed, "opposite_signal");
  ASSERT_TRUE(st.closed);
  EXPECT_EQ(st.status, "manually_closed");
  EXPECT_EQ(st.exit_reason, "opposite_signal");
  EXPECT_NEAR(st.realized_pnl_pct, 1.0, 1e-12);
}

TEST(Lifecycle, NoLevelsOnlyExpiry) {
  OpenSignal s = Long();
  s.target.reset();
  s.stop.reset();
  EXPECT_FALSE(Advance(s, Bar(11, 50, 500, 1, 100)).closed);
}

}  // namespace
}  // namespace sf::engine
