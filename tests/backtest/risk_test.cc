// Risk manager: each rule on its own, the sizing formula and the profiles.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/risk.h"

namespace sf::engine {
namespace {

Candidate Buy(double conf = 0.8, double entry = 100, double target = 110, double stop = 95) {
  Candidate c;
  c.symbol = "AAPL";
  c.side = "buy";
  c.sector = "Information Technology";
  c.confidence = conf;
  c.entry = entry;
  c.target = target;
  c.stop = stop;
  return c;
}

PortfolioState Flat(double equity = 100000) {
  PortfolioState p;
  p.equity = equity;
  p.peak_equity = equity;
  return p;
}

OpenPosition Pos(const std::string& sym, const std::string& sector, double size) {
  return {sym, "buy", sector, size, {}};
}

TEST(Risk, AcceptsAndSizesByRiskPerTrade) {
  RiskManager rm;
  // risk 2 % of equity, stop 5 % away: 2 / 0.05 = 40 % -> capped at 20 %.
  RiskDecision d = rm.Evaluate(Buy(), Flat());
  ASSERT_TRUE(d.accepted) << d.reason;
  EXPECT_DOUBLE_EQ(d.size_pct, 20.0);
  EXPECT_DOUBLE_EQ(d.risk_pct, 1.0);  // 20 % × 5 %
  EXPECT_DOUBLE_EQ(d.risk_reward, 2.0);
  // Stop 20 % away: 2 / 0.2 = 10 % of equity, risk exactly 2 %.
  d = rm.Evaluate(Buy(0.8, 100, 140, 80), Flat());
  ASSERT_TRUE(d.accepted);
  EXPECT_NEAR(d.size_pct, 10.0, 1e-12);
  EXPECT_NEAR(d.risk_pct, 2.0, 1e-12);
}

TEST(Risk, MinConfidence) {
  RiskManager rm;
  RiskDecision d = rm.Evaluate(Buy(0.69), Flat());
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.rule, "min_confidence");
  EXPECT_NE(d.reason.find("0.690"), std::string::npos) << d.reason;
  EXPECT_TRUE(rm.Evaluate(Buy(0.7), Flat()).accepted);
}

TEST(Risk, MinRiskReward) {
  RiskManager rm;
  RiskDecision d = rm.Evaluate(Buy(0.8, 100, 109, 95), Flat());  // 9/5 = 1.8
  EXPECT_EQ(d.rule, "min_risk_reward");
  EXPECT_NEAR(d.risk_reward, 1.8, 1e-12);
}

TEST(Risk, InvalidLevels) {
  RiskManager rm;
  EXPECT_EQ(rm.Evaluate(Buy(0.8, 100, 110, 0), Flat()).rule, "invalid_levels");
  EXPECT_EQ(rm.Evaluate(Buy(0.8, 100, 110, 105), Flat()).rule, "invalid_levels");
  Candidate s = Buy(0.8, 100, 90, 105);
  s.side = "sell";
  RiskDecision d = rm.Evaluate(s, Flat());
  EXPECT_TRUE(d.accepted) << d.reason;  // a sell: target < entry < stop, rr 2
  s.side = "hold";
  EXPECT_EQ(rm.Evaluate(s, Flat()).rule, "invalid_levels");
}

TEST(Risk, MaxPositionsAndDuplicates) {
  RiskManager rm;
  PortfolioState p = Flat();
  for (int i = 0; i < 4; ++i) p.positions.push_back(Pos("S" + std::to_string(i), "X" + std::to_string(i), 5));
  EXPECT_TRUE(rm.Evaluate(Buy(), p).accepted);
  p.positions.push_back(Pos("S4", "X4", 5));
  EXPECT_EQ(rm.Evaluate(Buy(), p).rule, "max_positions");
  PortfolioState q = Flat();
  q.positions.push_back(Pos("AAPL", "Information Technology", 5));
  EXPECT_EQ(rm.Evaluate(Buy(), q).rule, "position_open");
}

TEST(Risk, SectorExposureCapsThenRejects) {
  RiskManager rm;
  PortfolioState p = Flat();
  p.positions.push_back(Pos("MSFT", "Information Technology", 20));
  RiskDecision d = rm.Evaluate(Buy(), p);
  ASSERT_TRUE(d.accepted);
  EXPECT_NEAR(d.size_pct, 10.0, 1e-12);  // 30 % sector cap - 20 % held
  EXPECT_NEAR(d.sector_pct, 20.0, 1e-12);
  p.positions.push_back(Pos("NVDA", "Information Technology", 10));
  d = rm.Evaluate(Buy(), p);
  EXPECT_EQ(d.rule, "max_sector_exposure");
  // Another sector is unaffected.
  Candidate other = Buy();
  other.symbol = "XOM";
  other.sector = "Energy";
  EXPECT_NEAR(rm.Evaluate(other, p).size_pct, 20.0, 1e-12);
}

TEST(Risk, CorrelationPenalty) {
  RiskManager rm;
  std::vector<double> a, b, noise;
  uint32_t x = 7;
  for (int i = 0; i < 60; ++i) {
    x = x * 1664525u + 1013904223u;
    double r = (static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.04;
    a.push_back(r);
    b.push_back(r * 1.5 + 0.001);  // perfectly correlated
    x = x * 1664525u + 1013904223u;
    noise.push_back((static_cast<double>(x >> 8) / 16777216.0 - 0.5) * 0.04);
  }
  EXPECT_NEAR(TailCorrelation(a, b, 60), 1.0, 1e-9);
  PortfolioState p = Flat();
  p.positions.push_back({"MSFT", "buy", "Other", 10, b});
  Candidate c = Buy();
  c.returns = a;
  RiskDecision d = rm.Evaluate(c, p);
  ASSERT_TRUE(d.accepted);
  EXPECT_NEAR(d.correlation, 1.0, 1e-9);
  EXPECT_NEAR(d.size_pct, 20.0 * (1 - 0.5 * 1.0), 1e-9);
  // A short of a correlated name hedges: no penalty.
  p.positions[0].side = "sell";
  d = rm.Evaluate(c, p);
  EXPECT_NEAR(d.size_pct, 20.0, 1e-9);
  // Uncorrelated: no penalty.
  p.positions[0] = {"MSFT", "buy", "Other", 10, noise};
  d = rm.Evaluate(c, p);
  EXPECT_LT(std::abs(d.correlation), 0.7);
  EXPECT_NEAR(d.size_pct, 20.0, 1e-9);
}

TEST(Risk, DrawdownHalt) {
  RiskManager rm;
  PortfolioState p = Flat(84000);
  p.peak_equity = 100000;  // 16 % down
  RiskDecision d = rm.Evaluate(Buy(), p);
  EXPECT_EQ(d.rule, "drawdown_halt");
  EXPECT_NEAR(d.drawdown_pct, 16.0, 1e-9);
  p.equity = 86000;  // 14 %: trading again
  EXPECT_TRUE(rm.Evaluate(Buy(), p).accepted);
}

TEST(Risk, MinSize) {
  RiskLimits l;
  l.min_position_pct = 15;
  RiskManager rm(l);
  // 2 % / 20 % stop distance = 10 % < 15 %.
  EXPECT_EQ(rm.Evaluate(Buy(0.8, 100, 140, 80), Flat()).rule, "min_size");
}

TEST(Risk, ProfilesAndJson) {
  RiskLimits m = RiskLimits::ForProfile(RiskProfile::kModerate);
  EXPECT_DOUBLE_EQ(m.min_confidence, 0.7);
  EXPECT_DOUBLE_EQ(m.min_risk_reward, 2);
  EXPECT_EQ(m.max_positions, 5);
  EXPECT_DOUBLE_EQ(m.max_position_pct, 20);
  EXPECT_DOUBLE_EQ(m.max_risk_pct, 2);
  EXPECT_DOUBLE_EQ(m.max_sector_pct, 30);
  EXPECT_DOUBLE_EQ(m.max_drawdown_pct, 15);
  RiskLimits c = RiskLimits::ForProfile(RiskProfile::kConservative);
  RiskLimits a = RiskLimits::ForProfile(RiskProfile::kAggressive);
  EXPECT_LT(c.max_risk_pct, m.max_risk_pct);
  EXPECT_GT(a.max_risk_pct, m.max_risk_pct);
  EXPECT_LT(c.max_positions, a.max_positions);

  auto j = RiskLimits::FromJson({{"profile", "conservative"}, {"max_positions", 4}});
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->max_positions, 4);
  EXPECT_DOUBLE_EQ(j->max_risk_pct, c.max_risk_pct);
  auto k = RiskLimits::FromJson(nlohmann::json::object(), "aggressive");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->max_positions, a.max_positions);

  auto bad = RiskLimits::FromJson({{"max_risk_pct", 250}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("risk.max_risk_pct"), std::string::npos);
  EXPECT_NE(bad.status().message().find("250"), std::string::npos);
  auto unknown = RiskLimits::FromJson({{"max_risc_pct", 2}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("risk.max_risc_pct: unknown"), std::string::npos);
  auto type = RiskLimits::FromJson({{"max_positions", "five"}});
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("must be a number"), std::string::npos);
  auto frac = RiskLimits::FromJson({{"max_positions", 2.5}});
  EXPECT_FALSE(frac.ok());
  auto prof = RiskLimits::FromJson({{"profile", "yolo"}});
  ASSERT_FALSE(prof.ok());
  EXPECT_NE(prof.status().message().find("risk.profile"), std::string::npos);
  // Round trip.
  auto rt = RiskLimits::FromJson(m.ToJson());
  ASSERT_TRUE(rt.ok());
  EXPECT_EQ(rt->ToJson(), m.ToJson());
}

}  // namespace
}  // namespace sf::engine
