-- momentum_swing.lua: swing entries when momentum turns up with volume.
--
-- Rules (on the bar that just closed):
--   RSI(rsi_period) was below rsi_oversold within the last rsi_lookback bars
--   and is back above it now (recovery from oversold);
--   the MACD line crossed above its signal line on this bar;
--   volume > volume_spike x its average over the previous volume_window bars;
--   sentiment momentum (ctx.sentiment.trend) is positive when known
--   (unknown sentiment is neutral and does not block).
-- Risk: stop at most stop_max (5 %) below entry, tighter when 1.5 ATR is
-- smaller; target 5-10 % above (3 ATR, clamped); only when reward/risk >= 2.
-- Hold 3-7 bars: expiry 7, min_hold 3 in the features.
local util = require("util")
local clamp = util.clamp

return {
  name = "momentum_swing",
  description = "RSI recovery from oversold with a MACD bullish crossover and a volume spike",
  timeframe = "1d",
  -- No state shared between symbols: a backtest may split them across workers.
  independent = true,
  universe = { type = "equity" },
  history = 300,
  params = {
    rsi_period = { default = 14, min = 2, max = 100 },
    rsi_oversold = { default = 30, min = 1, max = 50 },
    rsi_lookback = { default = 5, min = 1, max = 30, description = "bars in which RSI must have been oversold" },
    volume_window = { default = 20, min = 5, max = 200 },
    volume_spike = { default = 2.0, min = 1, max = 20 },
    stop_max = { default = 0.05, min = 0.005, max = 0.5 },
    stop_atr = { default = 1.5, min = 0.1, max = 10 },
    target_atr = { default = 3.0, min = 0.1, max = 20 },
    target_min = { default = 0.05, min = 0.005, max = 1 },
    target_max = { default = 0.10, min = 0.005, max = 1 },
    min_reward_risk = { default = 2.0, min = 0.5, max = 10 },
    expiry = { default = 7, min = 1, max = 100 },
    min_hold = { default = 3, min = 0, max = 100 },
  },

  evaluate = function(ctx, symbol)
    local p = ctx.params
    local bars = ctx.bars
    local n = #bars.close
    if n < 60 then return nil end

    local rsi = ctx.indicator("rsi", { period = p.rsi_period })
    local r = rsi[-1]
    if not (r and r > p.rsi_oversold) then return nil end
    local was_oversold = false
    for k = 2, p.rsi_lookback + 1 do
      local v = rsi[-k]
      if v and v < p.rsi_oversold then was_oversold = true; break end
    end
    if not was_oversold then return nil end

    local m = ctx.indicator("macd", { fast_period = 12, slow_period = 26, signal_period = 9 })
    if not m.macd:crossed_above(m.signal) then return nil end

    local volume = bars.volume
    local sum = 0
    for k = 2, p.volume_window + 1 do sum = sum + volume[-k] end
    local avg = sum / p.volume_window
    if not (avg > 0) then return nil end
    local vr = volume[-1] / avg
    if vr <= p.volume_spike then return nil end

    local score, trend = util.sentiment(ctx.sentiment)
    if trend ~= nil and trend <= 0 then return nil end

    local c = bars.close[-1]
    local atr = ctx.indicator("atr", { period = 14 })[-1]
    local stop_pct = math.min(p.stop_max, p.stop_atr * atr / c)
    local target_pct = clamp(p.target_atr * atr / c, p.target_min, p.target_max)
    local rr = target_pct / stop_pct
    if rr < p.min_reward_risk then return nil end

    local confidence = 0.55 + 0.15 * math.min(1, (vr - p.volume_spike) / 2)
                     + 0.1 * math.min(1, (r - p.rsi_oversold) / 20)
    if trend ~= nil then confidence = confidence + 0.1 * clamp(trend, 0, 1) end
    confidence = clamp(confidence, 0, 0.95)

    return {
      side = "buy",
      confidence = confidence,
      entry = c,
      target = c * (1 + target_pct),
      stop = c * (1 - stop_pct),
      expiry = p.expiry,
      summary = string.format("%s momentum: RSI %.1f back from oversold, MACD cross, volume %.1fx, R/R %.1f",
        symbol, r, vr, rr),
      features = { rsi = r, volume_ratio = vr, reward_risk = rr, macd = m.macd[-1],
                   macd_signal = m.signal[-1], sentiment_trend = trend or 0,
                   min_hold = p.min_hold },
    }
  end,
}
