// Risk manager: decides whether a strategy's intent becomes a signal, and how
// large it may be, given the portfolio it would join. Pure logic: no I/O, no
// clock, no store. The live engine and the backtester call the same
// RiskManager::Evaluate, so a backtest refuses exactly what live would.
//
// Rules, in the order they are checked (the first that fails names the
// rejection; RiskDecision::rule is the store's signal_rejections.rule):
//   drawdown_halt        equity is more than max_drawdown_pct below its peak
//   invalid_levels       entry/stop/target missing, non-positive, or on the
//                        wrong side of entry for the intent's side
//   min_confidence       confidence < min_confidence
//   min_risk_reward      |target - entry| / |entry - stop| < min_risk_reward
//   position_open        the portfolio already holds this symbol
//   max_positions        open positions >= max_positions
//   max_sector_exposure  the sector already holds >= max_sector_pct
//   min_size             after caps and the correlation penalty the size is
//                        below min_position_pct
// Sizing (percent of portfolio equity):
//   size_pct = max_risk_pct × entry ÷ |entry − stop|   (shares = equity × risk ÷ |entry − stop|)
//   capped at max_position_pct and at the sector's remaining room
//   (max_sector_pct − current sector exposure);
//   correlation penalty: rho = the largest Pearson correlation of the
//   candidate's recent returns with an open position's (sign flipped when the
//   sides differ, since a short of a correlated name hedges); when
//   rho >= correlation_threshold the size is multiplied by
//   (1 − correlation_penalty × rho).
//   risk_pct = size_pct × |entry − stop| ÷ entry (what a stop-out costs).
//
// Thread-safety: RiskLimits and RiskManager are immutable values once built;
// Evaluate is const and may be called from any number of threads.
#ifndef SF_ENGINE_RISK_H_
#define SF_ENGINE_RISK_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sf::engine {

enum class RiskProfile { kConservative, kModerate, kAggressive };

// "conservative" | "moderate" | "aggressive".
std::string_view RiskProfileName(RiskProfile p);
std::optional<RiskProfile> ParseRiskProfile(std::string_view name);

struct RiskLimits {
  double min_confidence = 0.7;        // 0..1
  double min_risk_reward = 2.0;       // reward ÷ risk
  int max_positions = 5;              // concurrent open positions
  double max_position_pct = 20.0;     // % of equity in one position
  double max_risk_pct = 2.0;          // % of equity lost if the stop is hit
  double max_sector_pct = 30.0;       // % of equity in one sector
  double correlation_threshold = 0.7; // rho at which the penalty starts
  double correlation_penalty = 0.5;   // size × (1 − penalty × rho)
  int correlation_lookback = 60;      // returns compared (most recent)
  double max_drawdown_pct = 15.0;     // halt new signals beyond this
  double min_position_pct = 0.5;      // smaller sizes are not worth a signal

  // The defaults are `moderate`; conservative halves the appetite,
  // aggressive loosens it.
  static RiskLimits ForProfile(RiskProfile p);
  // Starts from `profile`'s limits ("moderate" when empty) and overrides the
  // fields present in `j` (an object; keys are the field names above, plus an
  // optional "profile"). An unknown key, a wrong type or a value outside its
  // range is an InvalidArgument naming the field and the rule, e.g.
  // "risk.max_risk_pct: must be in (0, 100], got 250".
  static StatusOr<RiskLimits> FromJson(const nlohmann::json& j, std::string_view profile = "");
  nlohmann::json ToJson() const;
};

// An intent as the risk manager sees it.
struct Candidate {
  std::string symbol;
  std::string side;          // "buy" | "sell"
  std::string sector;        // empty: unknown (sector rule skipped)
  double confidence = 0;     // 0..1
  double entry = 0;
  double target = 0;         // 0: none (fails invalid_levels)
  double stop = 0;           // 0: none (fails invalid_levels)
  // Recent per-bar returns, oldest first, ending at the signal's bar; empty
  // skips the correlation penalty.
  std::vector<double> returns;
};

struct OpenPosition {
  std::string symbol;
  std::string side;          // "buy" | "sell"
  std::string sector;
  double size_pct = 0;       // % of equity committed to it
  std::vector<double> returns;  // same convention as Candidate::returns
};

struct PortfolioState {
  double equity = 0;         // current equity (cash + positions)
  double peak_equity = 0;    // highest equity seen; <= 0 means "equity"
  std::vector<OpenPosition> positions;
};

struct RiskDecision {
  bool accepted = false;
  std::string rule;          // empty when accepted, else one of the rules above
  std::string reason;        // a sentence for logs and the API
  double size_pct = 0;       // % of equity to commit (0 when rejected)
  double risk_pct = 0;       // % of equity lost at the stop
  double risk_reward = 0;    // reward ÷ risk of the intent's levels
  double correlation = 0;    // largest effective rho with an open position
  double sector_pct = 0;     // sector exposure before this signal
  double drawdown_pct = 0;   // equity below peak, %
  // {"rule", "reason", "size_pct", ...} for signal_rejections.detail.
  nlohmann::json ToJson() const;
};

// Pearson correlation of the last `lookback` common elements of a and b
// (aligned at their ends); 0 when fewer than 3 or either is constant.
double TailCorrelation(const std::vector<double>& a, const std::vector<double>& b,
                       int lookback);

class RiskManager {
 public:
  RiskManager() = default;
  explicit RiskManager(RiskLimits limits) : limits_(limits) {}

  RiskDecision Evaluate(const Candidate& c, const PortfolioState& p) const;
  const RiskLimits& limits() const { return limits_; }
  // false: rejections carry their rule but no reason sentence (a backtest
  // counts rules over tens of thousands of intents and shows no sentences).
  void set_explain(bool explain) { explain_ = explain; }

 private:
  RiskLimits limits_;
  bool explain_ = true;
};

}  // namespace sf::engine

#endif  // SF_ENGINE_RISK_H_
