-- util.lua: small helpers shared by the seed strategies.
--   local util = require("util")
local M = {}

-- x limited to [lo, hi].
function M.clamp(x, lo, hi)
  if x < lo then return lo end
  if x > hi then return hi end
  return x
end

-- The strongest news item of a ctx.news(symbol) list as a 0..1 score
-- (severity * credibility), or nil when there is no news.
function M.news_score(items)
  if items == nil or #items == 0 then return nil end
  local best
  for i = 1, #items do
    local it = items[i]
    local sev = tonumber(it.severity) or 0
    local cred = tonumber(it.credibility) or 0.5
    local s = M.clamp(sev, 0, 1) * M.clamp(cred, 0, 1)
    if best == nil or s > best then best = s end
  end
  return best
end

-- ctx.sentiment may be a number (score in -1..1) or a table with score and
-- trend (score minus its 5-bar average). Returns score, trend (nil when absent).
function M.sentiment(s)
  if s == nil then return nil, nil end
  if type(s) == "number" then return s, nil end
  return tonumber(s.score), tonumber(s.trend)
end

return M
