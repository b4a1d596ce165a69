#include "engine/fills.h"

#include <algorithm>
#include <cmath>

namespace sf::engine {

StatusOr<CostModel> CostModel::FromJson(const nlohmann::json& j) {
  CostModel c;
  if (j.is_null()) return c;
  if (!j.is_object())
    return InvalidArgument("costs: must be an object, got " + std::string(j.type_name()));
  for (const auto& [key, v] : j.items()) {
    if (key == "slippage") {
      std::string m = v.is_string() ? v.get<std::string>() : "";
      if (m == "fixed") c.slippage = SlippageModel::kFixed;
      else if (m == "volume_share") c.slippage = SlippageModel::kVolumeShare;
      else return InvalidArgument("costs.slippage: must be \"fixed\" or \"volume_share\", got " + v.dump());
      continue;
    }
    double* field = key == "fee_per_trade"      ? &c.fee_per_trade
                    : key == "fee_per_share"    ? &c.fee_per_share
                    : key == "fee_pct"          ? &c.fee_pct
                    : key == "slippage_bps"     ? &c.slippage_bps
                    : key == "impact"           ? &c.impact
                    : key == "max_volume_share" ? &c.max_volume_share
                                                : nullptr;
    if (!field)
      return InvalidArgument("costs." + key +
                             ": unknown cost (known: fee_per_trade, fee_per_share, fee_pct, "
                             "slippage, slippage_bps, impact, max_volume_share)");
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      return InvalidArgument("costs." + key + ": must be a number >= 0, got " + v.dump());
    *field = v.get<double>();
  }
  if (c.max_volume_share <= 0 || c.max_volume_share > 1)
    return InvalidArgument("costs.max_volume_share: must be in (0, 1], got " +
                           std::to_string(c.max_volume_share));
  return c;
}

nlohmann::json CostModel::ToJson() const {
  return {{"fee_per_trade", fee_per_trade},
          {"fee_per_share", fee_per_share},
          {"fee_pct", fee_pct},
          {"slippage", slippage == SlippageModel::kFixed ? "fixed" : "volume_share"},
          {"slippage_bps", slippage_bps},
          {"impact", impact},
          {"max_volume_share", max_volume_share}};
}

Fill SimulateFill(bool is_buy, double reference_price, double qty, double bar_volume,
                  const CostModel& costs) {
  Fill f;
  double slip = reference_price * costs.slippage_bps / 10000.0;
  if (costs.slippage == SlippageModel::kVolumeShare && bar_volume > 0) {
    double share = std::min(qty / bar_volume, costs.max_volume_share);
    slip = reference_price * costs.impact * share * share;
  }
  f.slippage = slip;
  f.price = is_buy ? reference_price + slip : std::max(reference_price - slip, 1e-9);
  f.fees = costs.fee_per_trade + costs.fee_per_share * qty + costs.fee_pct / 100.0 * f.price * qty;
  return f;
}

}  // namespace sf::engine
