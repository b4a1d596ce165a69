#include "engine/risk.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace sf::engine {
namespace {

std::string Fmt(const char* fmt, double a, double b = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

RiskDecision Reject(RiskDecision d, std::string rule, std::string reason) {
  d.accepted = false;
  d.rule = std::move(rule);
  d.reason = std::move(reason);
  d.size_pct = 0;
  d.risk_pct = 0;
  return d;
}

struct FieldRule {
  const char* name;
  double lo, hi;
  bool lo_open;   // (lo, hi] instead of [lo, hi]
  bool integer;
  std::function<void(RiskLimits&, double)> set;
};

const std::vector<FieldRule>& Fields() {
  static const std::vector<FieldRule> kFields = {
      {"min_confidence", 0, 1, false, false, [](RiskLimits& l, double v) { l.min_confidence = v; }},
      {"min_risk_reward", 0, 100, false, false,
       [](RiskLimits& l, double v) { l.min_risk_reward = v; }},
      {"max_positions", 1, 10000, false, true,
       [](RiskLimits& l, double v) { l.max_positions = static_cast<int>(v); }},
      {"max_position_pct", 0, 100, true, false,
       [](RiskLimits& l, double v) { l.max_position_pct = v; }},
      {"max_risk_pct", 0, 100, true, false, [](RiskLimits& l, double v) { l.max_risk_pct = v; }},
      {"max_sector_pct", 0, 100, true, false,
       [](RiskLimits& l, double v) { l.max_sector_pct = v; }},
      {"correlation_threshold", 0, 1, false, false,
       [](RiskLimits& l, double v) { l.correlation_threshold = v; }},
      {"correlation_penalty", 0, 1, false, false,
       [](RiskLimits& l, double v) { l.correlation_penalty = v; }},
      {"correlation_lookback", 3, 10000, false, true,
       [](RiskLimits& l, double v) { l.correlation_lookback = static_cast<int>(v); }},
      {"max_drawdown_pct", 0, 100, true, false,
       [](RiskLimits& l, double v) { l.max_drawdown_pct = v; }},
      {"min_position_pct", 0, 100, false, false,
       [](RiskLimits& l, double v) { l.min_position_pct = v; }},
  };
  return kFields;
}

}  // namespace

std::string_view RiskProfileName(RiskProfile p) {
  switch (p) {
    case RiskProfile::kConservative: return "conservative";
    case RiskProfile::kModerate: return "moderate";
    case RiskProfile::kAggressive: return "aggressive";
  }
  return "moderate";
}

std::optional<RiskProfile> ParseRiskProfile(std::string_view name) {
  if (name == "conservative") return RiskProfile::kConservative;
  if (name == "moderate") return RiskProfile::kModerate;
  if (name == "aggressive") return RiskProfile::kAggressive;
  return std::nullopt;
}

RiskLimits RiskLimits::ForProfile(RiskProfile p) {
  RiskLimits l;  // moderate: the defaults
  if (p == RiskProfile::kConservative) {
    l.min_confidence = 0.8;
    l.min_risk_reward = 2.5;
    l.max_positions = 3;
    l.max_position_pct = 10;
    l.max_risk_pct = 1;
    l.max_sector_pct = 20;
    l.correlation_threshold = 0.6;
    l.max_drawdown_pct = 10;
  } else if (p == RiskProfile::kAggressive) {
    l.min_confidence = 0.6;
    l.min_risk_reward = 1.5;
    l.max_positions = 10;
    l.max_position_pct = 30;
    l.max_risk_pct = 3;
    l.max_sector_pct = 40;
    l.correlation_threshold = 0.8;
    l.max_drawdown_pct = 25;
  }
  return l;
}

StatusOr<RiskLimits> RiskLimits::FromJson(const nlohmann::json& j, std::string_view profile) {
  if (!j.is_null() && !j.is_object())
    return InvalidArgument("risk: must be an object of limits, got " + std::string(j.type_name()));
  std::string prof(profile);
  if (j.is_object() && j.contains("profile")) {
    if (!j["profile"].is_string())
      return InvalidArgument("risk.profile: must be a string (conservative|moderate|aggressive)");
    prof = j["profile"].get<std::string>();
  }
  if (prof.empty()) prof = "moderate";
  auto p = ParseRiskProfile(prof);
  if (!p)
    return InvalidArgument("risk.profile: must be conservative, moderate or aggressive, got '" +
                           prof + "'");
  RiskLimits l = ForProfile(*p);
  if (!j.is_object()) return l;
  for (const auto& [key, value] : j.items()) {
    if (key == "profile") continue;
    const FieldRule* rule = nullptr;
    for (const auto& f : Fields())
      if (key == f.name) rule = &f;
    if (!rule) {
      std::string known;
      for (const auto& f : Fields()) known += std::string(known.empty() ? "" : ", ") + f.name;
      return InvalidArgument("risk." + key + ": unknown limit (known: profile, " + known + ")");
    }
    if (!value.is_number())
      return InvalidArgument("risk." + key + ": must be a number, got " +
                             std::string(value.type_name()));
    double v = value.get<double>();
    if (rule->integer && std::floor(v) != v)
      return InvalidArgument("risk." + key + ": must be a whole number, got " + value.dump());
    bool below = rule->lo_open ? v <= rule->lo : v < rule->lo;
    if (!std::isfinite(v) || below || v > rule->hi) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "must be in %c%g, %g], got ", rule->lo_open ? '(' : '[',
                    rule->lo, rule->hi);
      return InvalidArgument("risk." + key + ": " + buf + value.dump());
    }
    rule->set(l, v);
  }
  return l;
}

nlohmann::json RiskLimits::ToJson() const {
  return {{"min_confidence", min_confidence},
          {"min_risk_reward", min_risk_reward},
          {"max_positions", max_positions},
          {"max_position_pct", max_position_pct},
          {"max_risk_pct", max_risk_pct},
          {"max_sector_pct", max_sector_pct},
          {"correlation_threshold", correlation_threshold},
          {"correlation_penalty", correlation_penalty},
          {"correlation_lookback", correlation_lookback},
          {"max_drawdown_pct", max_drawdown_pct},
          {"min_position_pct", min_position_pct}};
}

nlohmann::json RiskDecision::ToJson() const {
  return {{"accepted", accepted},       {"rule", rule},
          {"reason", reason},           {"size_pct", size_pct},
          {"risk_pct", risk_pct},       {"risk_reward", risk_reward},
          {"correlation", correlation}, {"sector_pct", sector_pct},
          {"drawdown_pct", drawdown_pct}};
}

double TailCorrelation(const std::vector<double>& a, const std::vector<double>& b,
                       int lookback) {
  size_t n = std::min(a.size(), b.size());
  if (lookback > 0) n = std::min(n, static_cast<size_t>(lookback));
  if (n < 3) return 0;
  const double* x = a.data() + (a.size() - n);
  const double* y = b.data() + (b.size() - n);
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) { mx += x[i]; my += y[i]; }
  mx /= n; my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0 || !std::isfinite(sxy)) return 0;
  return sxy / std::sqrt(sxx * syy);
}

RiskDecision RiskManager::Evaluate(const Candidate& c, const PortfolioState& p) const {
  const RiskLimits& L = limits_;
  RiskDecision d;
  auto Why = [this](const char* fmt, double a, double b = 0) {
    return explain_ ? Fmt(fmt, a, b) : std::string();
  };
  double peak = p.peak_equity > 0 ? std::max(p.peak_equity, p.equity) : p.equity;
  d.drawdown_pct = peak > 0 ? (peak - p.equity) / peak * 100.0 : 0;
  if (d.drawdown_pct > L.max_drawdown_pct)
    return Reject(d, "drawdown_halt",
                  Why("portfolio is %.2f%% below its peak; new signals halt beyond %.2f%%",
                      d.drawdown_pct, L.max_drawdown_pct));

  bool buy = c.side == "buy";
  if (!buy && c.side != "sell")
    return Reject(d, "invalid_levels", "side must be buy or sell, got '" + c.side + "'");
  if (!(c.entry > 0) || !(c.stop > 0) || !(c.target > 0))
    return Reject(d, "invalid_levels",
                  Why("entry, target and stop must all be > 0 (entry %g, stop %g)", c.entry,
                      c.stop));
  bool levels_ok = buy ? (c.stop < c.entry && c.target > c.entry)
                       : (c.stop > c.entry && c.target < c.entry);
  if (!levels_ok)
    return Reject(d, "invalid_levels",
                  buy ? Why("a buy needs stop < entry < target (stop %g, entry %g)", c.stop,
                            c.entry)
                      : Why("a sell needs target < entry < stop (stop %g, entry %g)", c.stop,
                            c.entry));
  double risk = std::abs(c.entry - c.stop);
  d.risk_reward = std::abs(c.target - c.entry) / risk;

  if (c.confidence < L.min_confidence)
    return Reject(d, "min_confidence",
                  Why("confidence %.3f is below the minimum %.3f", c.confidence,
                      L.min_confidence));
  if (d.risk_reward < L.min_risk_reward)
    return Reject(d, "min_risk_reward",
                  Why("risk-reward %.2f is below the minimum %.2f", d.risk_reward,
                      L.min_risk_reward));
  for (const auto& op : p.positions)
    if (op.symbol == c.symbol)
      return Reject(d, "position_open",
                    explain_ ? "a position in " + c.symbol + " is already open" : std::string());
  if (static_cast<int>(p.positions.size()) >= L.max_positions)
    return Reject(d, "max_positions",
                  Why("%.0f positions are open; the limit is %.0f",
                      static_cast<double>(p.positions.size()), L.max_positions));

  if (!c.sector.empty())
    for (const auto& op : p.positions)
      if (op.sector == c.sector) d.sector_pct += op.size_pct;
  if (!c.sector.empty() && d.sector_pct >= L.max_sector_pct)
    return Reject(d, "max_sector_exposure",
                  (explain_ ? "sector " + c.sector : std::string()) +
                      Why(" already holds %.2f%% of the portfolio; the limit is %.2f%%",
                          d.sector_pct, L.max_sector_pct));

  double size = L.max_risk_pct * c.entry / risk;
  size = std::min(size, L.max_position_pct);
  if (!c.sector.empty()) size = std::min(size, L.max_sector_pct - d.sector_pct);

  if (!c.returns.empty()) {
    for (const auto& op : p.positions) {
      if (op.returns.empty()) continue;
      double rho = TailCorrelation(c.returns, op.returns, L.correlation_lookback);
      if (op.side != c.side) rho = -rho;
      d.correlation = std::max(d.correlation, rho);
    }
    if (d.correlation >= L.correlation_threshold)
      size *= 1.0 - L.correlation_penalty * d.correlation;
  }
  if (size < L.min_position_pct)
    return Reject(d, "min_size",
                  Why("size %.3f%% after caps and correlation penalty is below the minimum "
                      "%.3f%%",
                      size, L.min_position_pct));
  d.accepted = true;
  d.size_pct = size;
  d.risk_pct = size * risk / c.entry;
  return d;
}

}  // namespace sf::engine
