-- mean_reversion.lua: oversold stocks after a news-driven sell-off.
--
-- Rules (all on the bar that just closed):
--   z-score of the close against its z_period mean/stddev <= z_entry (-2.5)
--   volume in the top decile of the last volume_window bars
--   a gap down: open <= previous close * (1 + gap_max)
-- Confidence starts from the technical picture (depth of the z-score, the
-- volume rank and the gap), moves with the news (severity x credibility) when
-- there is news, and is averaged with the reversion probability of the
-- model when one is loaded (a model trained on price_v1 + regime_v1 with a
-- triple-barrier label, `signalforge train`). Absent news or model: that
-- part is neutral.
-- Emits a buy when confidence >= min_confidence: target entry + 1.5 ATR
-- (2 ATR when the model, or without a model the confidence, is above 0.8),
-- stop entry - 1.5 ATR, expiry 5 bars.
local util = require("util")
local features = require("features")
local clamp = util.clamp
local MODEL_FEATURES = { "price_v1", "regime_v1" }

return {
  name = "mean_reversion",
  description = "Oversold stocks with heavy volume and a gap down, expecting reversion to the mean",
  timeframe = "1d",
  -- No state shared between symbols: a backtest may split them across workers.
  independent = true,
  universe = { type = "equity" },
  history = 300,
  params = {
    z_period = { default = 20, min = 5, max = 200, description = "bars in the z-score window" },
    z_entry = { default = -2.5, min = -10, max = 0, description = "z-score at or below which a stock is oversold" },
    volume_window = { default = 252, min = 20, max = 500, description = "bars the volume rank looks at" },
    volume_rank = { default = 0.9, min = 0, max = 1, description = "volume rank needed (0.9 = top decile)" },
    gap_max = { default = -0.01, min = -0.5, max = 0, description = "open vs previous close must be at or below this" },
    min_confidence = { default = 0.7, min = 0, max = 1 },
    atr_period = { default = 14, min = 2, max = 100 },
    stop_atr = { default = 1.5, min = 0.1, max = 10 },
    target_atr = { default = 1.5, min = 0.1, max = 10 },
    target_atr_strong = { default = 2.0, min = 0.1, max = 10 },
    expiry = { default = 5, min = 1, max = 100, description = "bars until the signal expires" },
    model = { default = "mean_reversion", description = "model name for ctx.predict (absent = neutral)" },
  },

  evaluate = function(ctx, symbol)
    local p = ctx.params
    local bars = ctx.bars
    local n = #bars.close
    if n < p.volume_window or n < p.z_period + 1 then return nil end
    local close, open, volume = bars.close, bars.open, bars.volume
    local c = close[-1]

    local mean = ctx.indicator("sma", { period = p.z_period })[-1]
    local sd = ctx.indicator("stddev", { period = p.z_period })[-1]
    if not (sd and sd > 0) then return nil end
    local z = (c - mean) / sd
    if z > p.z_entry then return nil end

    local vrank = volume:rank(p.volume_window)
    if vrank == nil or vrank < p.volume_rank then return nil end

    local gap = open[-1] / close[-2] - 1
    if gap > p.gap_max then return nil end

    local oversold = clamp((p.z_entry - z) / 2.5 + 0.5, 0, 1)
    local vol = clamp(0.5 + (vrank - p.volume_rank) / (1 - p.volume_rank + 1e-9) * 0.5, 0, 1)
    local gapc = clamp(-gap / 0.05, 0, 1)
    local confidence = 0.4 + 0.5 * (0.5 * oversold + 0.3 * vol + 0.2 * gapc)

    local news = util.news_score(ctx.news(symbol))
    if news then confidence = clamp(confidence + 0.2 * (news - 0.5), 0, 1) end

    local atr = ctx.indicator("atr", { period = p.atr_period })[-1]
    -- The model sees the feature sets it was trained on (signalforge train
    -- --feature-set price_v1@1+regime_v1@1), computed the same way here.
    local prob = ctx.predict(p.model, features.row(ctx, MODEL_FEATURES))
    if prob then confidence = 0.5 * confidence + 0.5 * prob end
    if confidence < p.min_confidence then return nil end

    -- A stop at or below zero means the stock moves more than it is worth
    -- per ATR: no sensible risk to define, no signal.
    if c - p.stop_atr * atr <= 0 then return nil end
    local strong = (prob and prob > 0.8) or (not prob and confidence > 0.8)
    local mult = strong and p.target_atr_strong or p.target_atr
    return {
      side = "buy",
      confidence = confidence,
      entry = c,
      target = c + mult * atr,
      stop = c - p.stop_atr * atr,
      expiry = p.expiry,
      summary = string.format("%s oversold: z %.2f, volume rank %.2f, gap %.1f%%%s%s",
        symbol, z, vrank, gap * 100,
        news and string.format(", news %.2f", news) or "",
        prob and string.format(", model %.2f", prob) or ""),
      features = { z_score = z, volume_rank = vrank, gap = gap, atr = atr,
                   news = news or -1, model = prob or -1 },
    }
  end,
}
