// Simulated fills: the price and fees a market order gets at a bar's open in
// a backtest (and in paper trading). Pure functions.
//
// Slippage moves the price against the order: a buy pays more, a sell gets
// less.
//   fixed         price × slippage_bps ÷ 10 000
//   volume_share  the order's share of the bar's volume s = qty ÷ volume
//                 (capped at max_volume_share), slippage = price × impact × s²
//                 (zipline's VolumeShareSlippage); a bar without volume falls
//                 back to the fixed model
// Fees per fill = fee_per_trade + fee_per_share × qty + fee_pct% × notional.
//
// Thread-safety: values and pure functions.
#ifndef SF_ENGINE_FILLS_H_
#define SF_ENGINE_FILLS_H_

#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace sf::engine {

enum class SlippageModel { kFixed, kVolumeShare };

struct CostModel {
  double fee_per_trade = 0;     // currency per fill
  double fee_per_share = 0;     // currency per share
  double fee_pct = 0;           // % of notional per fill
  SlippageModel slippage = SlippageModel::kFixed;
  double slippage_bps = 0;      // fixed model, and the fallback without volume
  double impact = 0.1;          // volume-share model coefficient
  double max_volume_share = 0.025;  // volume-share cap (2.5 % of the bar)

  // Keys: fee_per_trade, fee_per_share, fee_pct, slippage ("fixed" |
  // "volume_share"), slippage_bps, impact, max_volume_share. An unknown key or
  // a negative/non-numeric value is an InvalidArgument naming it
  // ("costs.fee_pct: must be a number >= 0, got -1").
  static StatusOr<CostModel> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
};

struct Fill {
  double price = 0;   // after slippage
  double fees = 0;    // currency
  double slippage = 0;  // currency per share paid to slippage (>= 0)
};

// `is_buy`: the order buys (opening a long or covering a short).
Fill SimulateFill(bool is_buy, double reference_price, double qty, double bar_volume,
                  const CostModel& costs);

}  // namespace sf::engine

#endif  // SF_ENGINE_FILLS_H_
