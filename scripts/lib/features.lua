-- features.lua: model inputs as versioned feature sets, defined exactly as
-- the host trains with them (host/app/feature_sets.cc, `signalforge train`).
--   local features = require("features")
--   local row = features.row(ctx, { "price_v1", "regime_v1" })
--   local p = ctx.predict("mean_reversion", row)
-- price_v1 comes from the indicator plugin at the bar that just closed (the
-- same indicator calls the trainer makes); the universe-wide sets
-- (regime_v1, news_v1) are computed by the host and read through
-- ctx.features(set). A value the host did not supply stays missing (nil ->
-- NaN for the model), never invented.
local M = {}

-- name, indicator, parameters: price_v1@1.
M.price_v1 = {
  { "return_1d", "returns", { period = 1 } },
  { "return_3d", "returns", { period = 3 } },
  { "return_5d", "returns", { period = 5 } },
  { "realized_vol_5d", "realized_vol", { period = 5 } },
  { "garman_klass_vol", "garman_klass", { period = 20 } },
  { "rsi_14", "rsi", { period = 14 } },
  { "distance_from_sma20", "dist_sma", { period = 20 } },
  { "bollinger_position", "bb_position", { period = 20, nbdev = 2 } },
  { "volume_ratio", "volume_ratio", { period = 20 } },
  { "dollar_volume", "dollar_volume", {} },
  { "amihud_illiquidity", "amihud", { period = 20 } },
  { "overnight_gap", "overnight_gap", {} },
  { "intraday_range", "intraday_range", {} },
  { "close_to_low", "close_to_low", {} },
  { "atr_20", "atr", { period = 20 } },
}

-- Adds the values of `sets` at the current bar to `row` (a new table when
-- nil) and returns it.
function M.row(ctx, sets, row)
  row = row or {}
  for i = 1, #sets do
    local set = sets[i]
    if set == "price_v1" then
      local spec = M.price_v1
      for k = 1, #spec do
        local f = spec[k]
        row[f[1]] = ctx.indicator(f[2], f[3])[-1]
      end
    else
      local values = ctx.features(set)
      if values then
        for name, v in pairs(values) do row[name] = v end
      end
    end
  end
  return row
end

return M
