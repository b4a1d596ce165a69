-- confluence.lua: a weighted vote of technical, sentiment and model views.
--
-- Components, each in -1..1 (positive = bullish):
--   technical: the mean of trend ((close - SMA50) / (2 ATR)), MACD histogram
--              / ATR and (RSI - 50) / 25, each clamped to -1..1;
--   sentiment: ctx.sentiment score when known;
--   model:     2 p - 1 for the model's up-probability p when a model is loaded.
-- score = sum(w_i c_i) / sum(w_i) over the components that are present.
-- Buy when score >= threshold and every present component is > 0; sell when
-- score <= -threshold and every present component is < 0; only on the bar the
-- score crosses the threshold (so a long trend gives one signal, not one per bar).
-- Stop 2 ATR, target 3 ATR, expiry 10 bars, confidence 0.5 + |score| / 2.
local util = require("util")
local clamp = util.clamp

local function technical(ctx, k)
  local c = ctx.bars.close[k]
  local sma = ctx.indicator("sma", { period = 50 })[k]
  local atr = ctx.indicator("atr", { period = 14 })[k]
  local hist = ctx.indicator("macd", { fast_period = 12, slow_period = 26, signal_period = 9 }).hist[k]
  local rsi = ctx.indicator("rsi", { period = 14 })[k]
  if not (c and sma and atr and hist and rsi) or atr ~= atr or sma ~= sma or hist ~= hist
     or rsi ~= rsi or atr <= 0 then
    return nil
  end
  local trend = clamp((c - sma) / (2 * atr), -1, 1)
  local mom = clamp(hist / atr, -1, 1)
  local osc = clamp((rsi - 50) / 25, -1, 1)
  return (trend + mom + osc) / 3, atr
end

return {
  name = "confluence",
  description = "Weighted confluence of technical, sentiment and model components",
  timeframe = "1d",
  -- No state shared between symbols: a backtest may split them across workers.
  independent = true,
  universe = { type = "equity" },
  history = 300,
  params = {
    w_technical = { default = 0.5, min = 0, max = 10 },
    w_sentiment = { default = 0.25, min = 0, max = 10 },
    w_model = { default = 0.25, min = 0, max = 10 },
    threshold = { default = 0.5, min = 0.05, max = 1 },
    stop_atr = { default = 2.0, min = 0.1, max = 10 },
    target_atr = { default = 3.0, min = 0.1, max = 20 },
    expiry = { default = 10, min = 1, max = 100 },
    model = { default = "confluence", description = "model name for ctx.predict (absent = neutral)" },
  },

  evaluate = function(ctx, symbol)
    local p = ctx.params
    if #ctx.bars.close < 80 then return nil end
    local tech, atr = technical(ctx, -1)
    local tech_prev = technical(ctx, -2)
    if tech == nil or tech_prev == nil then return nil end

    local sent = util.sentiment(ctx.sentiment)
    local prob = ctx.predict(p.model, { technical = tech })
    local model = prob and (2 * prob - 1) or nil

    local function combine(t)
      local num, den = p.w_technical * t, p.w_technical
      if sent then num = num + p.w_sentiment * sent; den = den + p.w_sentiment end
      if model then num = num + p.w_model * model; den = den + p.w_model end
      return num / den
    end
    local score, prev = combine(tech), combine(tech_prev)

    local side
    if score >= p.threshold and prev < p.threshold and tech > 0 and (sent == nil or sent > 0)
       and (model == nil or model > 0) then
      side = "buy"
    elseif score <= -p.threshold and prev > -p.threshold and tech < 0 and (sent == nil or sent < 0)
       and (model == nil or model < 0) then
      side = "sell"
    else
      return nil
    end
    local c = ctx.bars.close[-1]
    local dir = side == "buy" and 1 or -1
    if c - dir * p.stop_atr * atr <= 0 or c + dir * p.target_atr * atr <= 0 then return nil end
    return {
      side = side,
      confidence = math.min(0.99, 0.5 + math.abs(score) / 2),
      entry = c,
      target = c + dir * p.target_atr * atr,
      stop = c - dir * p.stop_atr * atr,
      expiry = p.expiry,
      summary = string.format("%s confluence %s: score %.2f (technical %.2f%s%s)", symbol, side,
        score, tech, sent and string.format(", sentiment %.2f", sent) or "",
        model and string.format(", model %.2f", model) or ""),
      features = { score = score, technical = tech, sentiment = sent or 0, model = model or 0 },
    }
  end,
}
