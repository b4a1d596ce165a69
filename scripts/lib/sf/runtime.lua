-- sf/runtime.lua: the host-owned, privileged half of a Lua worker.
--
-- The worker (host/lua/strategy_vm.cc) runs this file once, before any
-- strategy code, with the full LuaJIT library set. It closes over `ffi` and
-- `debug`, builds the frozen sandbox every strategy runs in, the FFI series
-- views, the per-bar indicator cache and the batch driver, and returns a
-- table the worker keeps in its registry. Afterwards the worker removes every
-- dangerous library from the real globals, so nothing here is reachable from
-- a strategy: strategies see only the sandbox environment built below.
--
-- `require("sf.runtime")` is refused for strategies and lib modules.
local host = ...
local ffi = require("ffi")
local debug_getmetatable = debug.getmetatable

local type, pairs, ipairs, next, select, tostring, error, pcall =
  type, pairs, ipairs, next, select, tostring, error, pcall
local setmetatable, getmetatable, rawget, rawset, setfenv =
  setmetatable, getmetatable, rawget, rawset, setfenv
local raw_load = load
local floor = math.floor
local tsort, tinsert, tremove, tconcat = table.sort, table.insert, table.remove, table.concat

-- Layouts shared with host/lua/series_arena.h and host/lua/strategy_vm.h.
ffi.cdef [[
typedef struct sf_arena_slot { char key[32]; int32_t base; int32_t start; int32_t len;
                               int32_t origin; int64_t last_ts; int32_t generation;
                               int32_t truncated; } sf_arena_slot;
typedef struct sf_cursor { int32_t off; int32_t len; int32_t abs_end; int32_t reserved; } sf_cursor;
typedef struct sf_ind_column { const double* p; int32_t origin; int32_t reserved; } sf_ind_column;
typedef struct sf_bar_view { const int32_t slot; const int32_t col; } sf_bar_view;
typedef struct sf_ind_view { const int32_t slot; const int32_t col; } sf_ind_view;
]]

local slots = ffi.cast("const sf_arena_slot*", host.slots_addr)
local data = ffi.cast("const double*", host.data_addr)
local times = ffi.cast("const int64_t*", host.data_addr)  -- column 0: bar end, µs
local cursors = ffi.cast("const sf_cursor*", host.cursors_addr)
local columns = ffi.cast("sf_ind_column**", host.columns_addr)
local batch = ffi.cast("const int32_t*", host.batch_addr)
local progress = ffi.cast("volatile int32_t*", host.progress_addr)
local CAP = host.capacity
local compute = host.compute
local predict = host.predict
local read_lib = host.read_lib

local R = {}

---------------------------------------------------------------------------
-- Frozen tables
---------------------------------------------------------------------------
local frozen = setmetatable({}, { __mode = "k" })

local function freeze(t, name)
  local proxy = {}
  setmetatable(proxy, {
    __index = t,
    __newindex = function(_, k)
      error("attempt to modify read-only table '" .. name .. "' (field '" .. tostring(k) .. "')", 2)
    end,
    __metatable = false,
  })
  frozen[proxy] = name
  return proxy
end

local function copy(t, except)
  local c = {}
  for k, v in pairs(t) do
    if not (except and except[k]) then c[k] = v end
  end
  return c
end

local function guard_write(fname)
  return function(t, ...)
    if frozen[t] then
      error(fname .. ": table '" .. frozen[t] .. "' is read-only", 3)
    end
  end
end

---------------------------------------------------------------------------
-- Series views (FFI; no C call per element)
---------------------------------------------------------------------------
local methods = {}
-- The metamethods read the plain table (one lookup per method call); what
-- strategies can reach is frozen below.
local raw_methods = methods

-- Element k of a view: k >= 1 counts from the oldest bar, k <= -1 from the
-- newest (-1 is the current bar). Out of range gives nil.
-- What a strategy sees of a slot is its cursor (set by the worker before
-- each batch): `len` visible bars starting at cell `off`, the current bar
-- being the last of them, with absolute index abs_end - 1.
local bar_mt = {}
local TIME = 6  -- ctx.bars.time: seconds, derived from column 0 (not stored)
local function bar_get(v, k)
  local c = cursors[v.slot]
  local n = c.len
  if k < 0 then k = n + 1 + k end
  if k >= 1 and k <= n then
    local col = v.col
    if col == TIME then return tonumber(times[c.off + k - 1]) / 1e6 end
    return data[c.off + col * CAP + k - 1]
  end
  return nil
end
bar_mt.__index = function(v, k)
  if type(k) == "number" then return bar_get(v, k) end
  return raw_methods[k]
end
bar_mt.__len = function(v) return cursors[v.slot].len end
bar_mt.__newindex = function() error("series views are read-only", 2) end
bar_mt.__tostring = function(v) return "series(" .. cursors[v.slot].len .. " bars)" end
local BarView = ffi.metatype("sf_bar_view", bar_mt)

-- Indicator values are aligned with the slot's bars by absolute index, so
-- an indicator view shows exactly the bars the bar views show.
local ind_mt = {}
local function ind_get(v, k)
  local c = cursors[v.slot]
  local n = c.len
  if k < 0 then k = n + 1 + k end
  if k >= 1 and k <= n then
    local col = columns[0][v.col]
    return col.p[c.abs_end - n + k - 1 - col.origin]
  end
  return nil
end
ind_mt.__index = function(v, k)
  if type(k) == "number" then return ind_get(v, k) end
  return raw_methods[k]
end
ind_mt.__len = function(v) return cursors[v.slot].len end
ind_mt.__newindex = bar_mt.__newindex
ind_mt.__tostring = function(v) return "series(" .. cursors[v.slot].len .. " values)" end
local IndView = ffi.metatype("sf_ind_view", ind_mt)

-- Methods shared by both view kinds (v[k] dispatches to the right getter).
function methods.last(v) return v[-1] end
function methods.ago(v, k) return v[-1 - (k or 0)] end
function methods.len(v) return #v end
-- Aggregates over the newest `n` values (all when n is nil); NaN values
-- (indicator warm-up) are skipped by mean/sum/min/max/std.
local function window(v, n)
  local len = #v
  n = n or len
  if n > len then n = len end
  return len - n + 1, len
end
function methods.sum(v, n)
  local a, b = window(v, n)
  local s = 0
  for i = a, b do local x = v[i]; if x == x then s = s + x end end
  return s
end
function methods.mean(v, n)
  local a, b = window(v, n)
  local s, c = 0, 0
  for i = a, b do local x = v[i]; if x == x then s = s + x; c = c + 1 end end
  if c == 0 then return nil end
  return s / c
end
function methods.std(v, n)
  local a, b = window(v, n)
  local s, c = 0, 0
  for i = a, b do local x = v[i]; if x == x then s = s + x; c = c + 1 end end
  if c < 2 then return nil end
  local m, q = s / c, 0
  for i = a, b do local x = v[i]; if x == x then q = q + (x - m) * (x - m) end end
  return math.sqrt(q / (c - 1))
end
function methods.min(v, n)
  local a, b = window(v, n)
  local r
  for i = a, b do local x = v[i]; if x == x and (r == nil or x < r) then r = x end end
  return r
end
function methods.max(v, n)
  local a, b = window(v, n)
  local r
  for i = a, b do local x = v[i]; if x == x and (r == nil or x > r) then r = x end end
  return r
end
-- Share of the newest n values strictly below the current value (0..1).
function methods.rank(v, n)
  local a, b = window(v, n)
  local cur = v[b]
  if cur == nil or cur ~= cur then return nil end
  local below, c = 0, 0
  for i = a, b do local x = v[i]; if x == x then c = c + 1; if x < cur then below = below + 1 end end end
  if c == 0 then return nil end
  return below / c
end
-- A plain Lua array copy of the newest n values (oldest first).
function methods.values(v, n)
  local a, b = window(v, n)
  local out = {}
  for i = a, b do out[#out + 1] = v[i] end
  return out
end
-- True when this view crossed above `other` (a view or a number) on the last bar.
function methods.crossed_above(v, other)
  local a1, a0 = v[-2], v[-1]
  local b1, b0
  if type(other) == "number" then b1, b0 = other, other else b1, b0 = other[-2], other[-1] end
  if not (a1 and a0 and b1 and b0) then return false end
  return a1 <= b1 and a0 > b0
end
function methods.crossed_below(v, other)
  local a1, a0 = v[-2], v[-1]
  local b1, b0
  if type(other) == "number" then b1, b0 = other, other else b1, b0 = other[-2], other[-1] end
  if not (a1 and a0 and b1 and b0) then return false end
  return a1 >= b1 and a0 < b0
end
methods = freeze(methods, "series methods")

local COLUMNS = { open = 1, high = 2, low = 3, close = 4, volume = 5, time = TIME }

-- bars objects are cached per slot forever: a view reads the slot's cursor
-- on each access, so it always shows the slot's current bars.
local bars_cache = {}
local symbol_of = {}  -- slot -> symbol
local function slot_symbol(slot)
  local s = symbol_of[slot]
  if s == nil then
    s = ffi.string(slots[slot].key):match("^(.-)@") or ""
    symbol_of[slot] = s
  end
  return s
end
local function bars_for(slot)
  local b = bars_cache[slot]
  if b then return b end
  local t = {}
  for name, col in pairs(COLUMNS) do t[name] = BarView(slot, col) end
  local key = ffi.string(slots[slot].key)
  t.symbol = key:match("^(.-)@")
  t.timeframe = key:match("@(.*)$")
  b = freeze(t, "bars")
  bars_cache[slot] = b
  return b
end

---------------------------------------------------------------------------
-- Indicators: one view per (series, indicator, params), made on first use.
-- The worker keeps the values current (computed once from the series' first
-- stored bar, then one streaming update per new bar), so after the first
-- call an indicator costs a few table lookups and no C call.
---------------------------------------------------------------------------
local ind_views = {}      -- slot -> name -> value of param 1 -> ... -> VIEW -> view
local ind_params = {}     -- name -> its parameter names (learnt from the first compute)
local ind_period = {}     -- name -> true when it has a 'period' parameter
local NIL, VIEW = {}, {}  -- keys for "parameter not given" and "the view here"

local function make_view(slot, name, params)
  if type(params) == "number" then params = { period = params } end
  local ok, first, names, pnames = pcall(compute, slot, name, params)
  if not ok then error(first, 4) end
  if ind_params[name] == nil then
    ind_params[name] = pnames
    for i = 1, #pnames do if pnames[i] == "period" then ind_period[name] = true end end
  end
  if #names == 1 then return IndView(slot, first) end
  local t = {}
  for i = 1, #names do
    local view = IndView(slot, first + i - 1)
    t[names[i]] = view
    t[i] = view
  end
  return freeze(t, name)
end

-- The cache node of (slot, name, params): a path through the values of the
-- indicator's parameters in declaration order, so a call costs a few table
-- lookups and builds no key string (keys the indicator does not have are
-- ignored here; a call that only differs by them was already validated).
-- nil when the params cannot be a cache path (NaN, wrong types): those go
-- to compute, which names what is wrong.
local function param_value(params, tp, pname)
  local v
  if tp == "table" then
    v = rawget(params, pname)
  elseif tp == "number" and pname == "period" then
    v = params
  end
  if v == nil then return NIL end
  local tv = type(v)
  if (tv ~= "number" and tv ~= "string") or v ~= v then return nil end
  return v
end

local function child(node, v)
  local nxt = node[v]
  if nxt == nil then nxt = {}; node[v] = nxt end
  return nxt
end

local function cache_node(slot, name, params, pnames)
  local bys = ind_views[slot]
  if bys == nil then bys = {}; ind_views[slot] = bys end
  local node = bys[name]
  if node == nil then node = {}; bys[name] = node end
  local tp = type(params)
  if tp == "number" and not ind_period[name] then return nil end
  local np = #pnames
  if np == 1 then
    -- Most indicators (one 'period'): no loop, so the JIT keeps this inline.
    -- A constant key lets the JIT read {period = n} without allocating it
    -- (allocation sinking needs every load from the table forwardable).
    local pname = pnames[1]
    local v
    if pname == "period" and tp == "table" then
      v = rawget(params, "period")
      if v == nil then v = NIL
      elseif (type(v) ~= "number" and type(v) ~= "string") or v ~= v then return nil end
    else
      v = param_value(params, tp, pname)
    end
    if v == nil then return nil end
    return child(node, v)
  end
  for i = 1, np do
    local v = param_value(params, tp, pnames[i])
    if v == nil then return nil end
    node = child(node, v)
  end
  return node
end

local function indicator_for(slot, name, params)
  if type(name) ~= "string" then error("indicator: name must be a string like \"rsi\"", 3) end
  local tp = type(params)
  if params ~= nil and tp ~= "table" and tp ~= "number" then
    error("indicator '" .. name .. "': params must be a table like {period=14}", 3)
  end
  local pnames = ind_params[name]
  local node = pnames and cache_node(slot, name, params, pnames)
  local r = node and node[VIEW]
  if r ~= nil then return r end
  r = make_view(slot, name, params)
  node = cache_node(slot, name, params, ind_params[name])
  if node then node[VIEW] = r end
  return r
end

---------------------------------------------------------------------------
-- The sandbox
---------------------------------------------------------------------------
local string_safe = freeze(copy(string, { dump = true }), "string")
local math_safe = freeze(copy(math), "math")
local bit_safe = freeze(copy(bit), "bit")
local coroutine_safe = freeze(copy(coroutine), "coroutine")
local os_safe = freeze({ clock = os.clock, time = os.time, date = os.date }, "os")

local table_copy = copy(table, { setn = true })
local guard_insert, guard_remove, guard_sort =
  guard_write("table.insert"), guard_write("table.remove"), guard_write("table.sort")
table_copy.insert = function(t, ...) guard_insert(t); return tinsert(t, ...) end
table_copy.remove = function(t, ...) guard_remove(t); return tremove(t, ...) end
table_copy.sort = function(t, ...) guard_sort(t); return tsort(t, ...) end
local table_safe = freeze(table_copy, "table")

-- The string metatable: methods ("x"):upper() keep working, but the
-- metatable itself cannot be read or changed.
do
  local smt = debug_getmetatable("")
  smt.__index = string_safe
  smt.__metatable = false
end
string.dump = nil

local logs = {}
local kMaxLogs = 200
local function log_line(...)
  if #logs >= kMaxLogs then return end
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  logs[#logs + 1] = tconcat(parts, " ")
end

local function safe_rawset(t, k, v)
  if frozen[t] then error("rawset: table '" .. frozen[t] .. "' is read-only", 2) end
  return rawset(t, k, v)
end

local function safe_setmetatable(t, mt)
  if frozen[t] then error("setmetatable: table '" .. frozen[t] .. "' is read-only", 2) end
  return setmetatable(t, mt)
end

local function safe_collectgarbage(opt, arg)
  opt = opt or "collect"
  if opt == "count" or opt == "collect" or opt == "step" then return collectgarbage(opt, arg) end
  error("collectgarbage: option '" .. tostring(opt) .. "' is not allowed (count, collect, step)", 2)
end

local base = {
  _VERSION = _VERSION,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
  pcall = pcall, select = select, tonumber = tonumber, tostring = tostring,
  type = type, unpack = unpack, xpcall = xpcall, rawequal = rawequal, rawget = rawget,
  rawset = safe_rawset, setmetatable = safe_setmetatable, getmetatable = getmetatable,
  collectgarbage = safe_collectgarbage, print = log_line,
  string = string_safe, math = math_safe, table = table_safe, bit = bit_safe,
  coroutine = coroutine_safe, os = os_safe,
}

local new_env  -- forward

local function make_load(env_of)
  return function(chunk, name, mode, env)
    if type(chunk) ~= "string" then
      error("load: only source text (a string) may be loaded, not a " .. type(chunk), 2)
    end
    if mode ~= nil and mode ~= "t" then
      error("load: mode '" .. tostring(mode) .. "' is not allowed; only text chunks (\"t\")", 2)
    end
    local f, err = raw_load(chunk, type(name) == "string" and ("=" .. name) or "=(load)", "t")
    if not f then return nil, err end
    if env ~= nil and type(env) ~= "table" then
      error("load: env must be a table", 2)
    end
    setfenv(f, env or env_of())
    return f
  end
end

local reserved_modules = { ["sf.runtime"] = true }
local lib_loaded = {}
local lib_loading = {}

local function sandbox_require(name)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") and
      not name:match("^[%a_][%w_]*%.[%a_][%w_%.]*[%w_]$") or name:find("..", 1, true) then
    error("require: module name '" .. tostring(name) ..
          "' is not valid (letters, digits, '_' and '.' only; modules live in scripts/lib/)", 2)
  end
  if reserved_modules[name] then
    error("require: module '" .. name .. "' is private to the host", 2)
  end
  local m = lib_loaded[name]
  if m ~= nil then return m end
  if lib_loading[name] then error("require: module '" .. name .. "' requires itself (cycle)", 2) end
  local src, chunkname = read_lib(name)
  if not src then
    error("require: module '" .. name .. "' not found in scripts/lib/ (" .. tostring(chunkname) .. ")", 2)
  end
  local f, err = raw_load(src, chunkname, "t")
  if not f then error("require: " .. err, 2) end
  setfenv(f, new_env())
  lib_loading[name] = true
  local ok, res = pcall(f, name)
  lib_loading[name] = nil
  if not ok then error("require: module '" .. name .. "' failed: " .. tostring(res), 2) end
  if res == nil then res = true end
  if type(res) == "table" and not frozen[res] then res = freeze(res, name) end
  lib_loaded[name] = res
  return res
end

local strategy_env
base.require = sandbox_require
base.load = make_load(function() return strategy_env end)
base.loadstring = function(s, name) return base.load(s, name, "t") end
local BASE = freeze(base, "_G")

-- A fresh environment: globals read through to the frozen base; new
-- globals cannot be created (use locals).
new_env = function()
  local env = setmetatable({}, {
    __index = BASE,
    __newindex = function(_, k)
      error("assignment to global '" .. tostring(k) .. "': globals are read-only in strategies (use local)", 2)
    end,
    __metatable = false,
  })
  frozen[env] = "_G"
  rawset(env, "_G", env)
  return env
end

---------------------------------------------------------------------------
-- Loading a strategy
---------------------------------------------------------------------------
local S = {}  -- the bound strategy

-- Runs a compiled strategy chunk in a fresh environment; returns what it returned.
function R.run_chunk(chunk)
  strategy_env = new_env()
  setfenv(chunk, strategy_env)
  return chunk()
end

local ctx = {}
local cur_slot = -1
local tf_slots = {}   -- symbol -> tf -> slot (other declared timeframes)
local instruments = {}
local EMPTY = freeze({}, "empty")
local NOEXTRAS = {}
local extras = NOEXTRAS  -- symbol -> { news=, sentiment=, positions=, signals=, features= }
local cur_ts = 0         -- µs of the bar being evaluated

function R.bind(decl, params, limits)
  S.evaluate = decl.evaluate
  S.rank = decl.rank
  S.save = decl.save
  S.restore = decl.restore
  S.name = decl.name
  S.state = {}
  S.max_per_symbol = limits.max_per_symbol
  S.atr_period = limits.atr_period
  ctx.params = freeze(params, "params")
  ctx.state = S.state
  ctx.strategy = S.name
  ctx.timeframe = decl.timeframe
end

function R.set_instruments(t)
  for sym, info in pairs(t) do instruments[sym] = freeze(info, "instrument") end
end

function R.set_timeframe_slots(t) tf_slots = t end

function R.save_state()
  if S.save then return S.save(S.state) end
  return S.state
end

function R.restore_state(t)
  if S.restore then
    local r = S.restore(t)
    if type(r) == "table" then S.state = r end
  elseif type(t) == "table" then
    S.state = t
  end
  ctx.state = S.state
end

ctx.indicator = function(name, params)
  local r = indicator_for(cur_slot, name, params)  -- not a tail call: error levels count this frame
  return r
end
ctx.predict = function(model, features)
  local ok, r = pcall(predict, model, features)
  if not ok then error(r, 2) end
  return r
end
ctx.news = function(symbol)
  local e = extras[symbol or ctx.symbol]
  return (e and e.news) or EMPTY
end
-- Feature series (host-computed feature sets such as regime_v1) by layer:
-- "range" (given with one EvaluateRange) over "live" (SetFeatureSeries).
-- store[layer][set][name] = { universe = series, sector = {S = series},
-- symbol = {SYM = series} }; a series is { ts = {µs...}, values = {...} }.
local feature_store = { live = {}, range = {} }
local FEATURE_LAYERS = { "range", "live" }

function R.set_features(layer, clear, list)
  if clear then feature_store[layer] = {} end
  local store = feature_store[layer]
  for i = 1, #list do
    local f = list[i]
    local byset = store[f.set]
    if byset == nil then byset = {}; store[f.set] = byset end
    local byname = byset[f.name]
    if byname == nil then byname = { sector = {}, symbol = {} }; byset[f.name] = byname end
    local series = #f.ts > 0 and { ts = f.ts, values = f.values } or nil
    local scope = f.scope
    if scope == "" then
      byname.universe = series
    elseif scope:sub(1, 7) == "sector:" then
      byname.sector[scope:sub(8)] = series
    elseif scope:sub(1, 7) == "symbol:" then
      byname.symbol[scope:sub(8)] = series
    end
  end
end

-- The value of a series at time t: its last point at or before t (nil
-- before the first point, or when that point is NaN).
local function value_at(series, t)
  local ts = series.ts
  local lo, hi = 1, #ts
  if hi == 0 or ts[1] > t then return nil end
  while lo < hi do
    local mid = floor((lo + hi + 1) / 2)
    if ts[mid] <= t then lo = mid else hi = mid - 1 end
  end
  local v = series.values[lo]
  if v ~= v then return nil end
  return v
end

-- ctx.features(set [, symbol]): {name = value at this bar} for the symbol
-- (symbol scope over sector scope over every symbol), completed by what the
-- engine passed in extras[SYMBOL].features[set]; nil when neither has it.
ctx.features = function(set, symbol)
  symbol = symbol or ctx.symbol
  local out
  local inst = instruments[symbol]
  local sector = inst and inst.sector
  for li = 1, 2 do
    local byset = feature_store[FEATURE_LAYERS[li]][set]
    if byset then
      for name, scopes in pairs(byset) do
        if out == nil or out[name] == nil then
          local series = scopes.symbol[symbol] or (sector and scopes.sector[sector]) or scopes.universe
          local v = series and value_at(series, cur_ts)
          if v ~= nil then
            out = out or {}
            out[name] = v
          end
        end
      end
    end
  end
  local e = extras[symbol]
  local f = e and e.features
  local given = f and f[set]
  if type(given) == "table" then
    if out == nil then return given end
    for name, v in pairs(given) do
      if out[name] == nil then out[name] = v end
    end
  end
  return out
end
ctx.bars_of = function(tf, symbol)
  local m = tf_slots[symbol or ctx.symbol]
  local slot = m and m[tf]
  if slot == nil then return nil end
  return bars_for(slot)
end
ctx.log = log_line

-- Resolves ATR multiples into prices (target_atr / stop_atr).
local function resolve_atr(intent)
  if type(intent) ~= "table" then return end
  local ta, sa = rawget(intent, "target_atr"), rawget(intent, "stop_atr")
  if ta == nil and sa == nil then return end
  local atr = indicator_for(cur_slot, "atr", { period = S.atr_period })
  local a = atr[-1]
  local entry = rawget(intent, "entry") or ctx.bars.close[-1]
  if a == nil or a ~= a then error("target_atr/stop_atr: ATR(" .. S.atr_period .. ") is not available yet") end
  local sign = rawget(intent, "side") == "sell" and -1 or 1
  if type(ta) == "number" and rawget(intent, "target") == nil then intent.target = entry + sign * ta * a end
  if type(sa) == "number" and rawget(intent, "stop") == nil then intent.stop = entry - sign * sa * a end
  if rawget(intent, "entry") == nil then intent.entry = entry end
end

local function errmsg(e)
  local ok, s = pcall(tostring, e)
  if ok and type(s) == "string" then return s end
  return "(error object without a message)"
end

-- The batch driver. The worker writes the batch's slots into `batch` and
-- points their cursors at the bar; run_batch evaluates them in order.
-- Results are kept in reused tables: results (slot, symbol, value triplets;
-- slot -1 when rank named a symbol outside the batch) and errors (symbol,
-- message pairs), with their counts.
local results, errors = {}, {}
local nres, nerr, pos = 0, 0, 0

local function add_error(sym, msg)
  nerr = nerr + 1
  errors[2 * nerr - 1] = sym
  errors[2 * nerr] = msg
end

-- Evaluates batch[pos..n-1] until done or an error escapes (the caller
-- records it against batch[pos - 1] and resumes after it). One pcall per
-- batch instead of per symbol keeps this loop compiled.
local function run_from(n)
  local evaluate = S.evaluate
  local c = ctx
  while pos < n do
    local slot = batch[pos]
    pos = pos + 1
    progress[0] = slot + 1
    cur_slot = slot
    local sym = symbol_of[slot] or slot_symbol(slot)
    c.symbol = sym
    c.bars = bars_cache[slot] or bars_for(slot)
    local e = extras[sym]
    if e then
      c.sentiment = e.sentiment
      c.positions = e.positions or EMPTY
      c.signals = e.signals or EMPTY
    else
      c.sentiment = nil
      c.positions = EMPTY
      c.signals = EMPTY
    end
    c.instrument = instruments[sym] or EMPTY
    local res = evaluate(c, sym)
    if res ~= nil then
      if type(res) == "table" and rawget(res, "side") == nil and rawget(res, 1) ~= nil then
        for j = 1, #res do resolve_atr(res[j]) end
      else
        resolve_atr(res)
      end
      nres = nres + 1
      results[3 * nres - 2] = slot
      results[3 * nres - 1] = sym
      results[3 * nres] = res
    end
  end
end

-- n: symbols in `batch`; bar_ts: µs; ex: symbol -> extras (or nil).
-- Returns results, nres, errors, nerr, logs.
function R.run_batch(n, bar_ts, ex)
  extras = ex or NOEXTRAS
  cur_ts = bar_ts
  ctx.time = bar_ts / 1e6
  logs = {}
  for i = 1, 3 * nres do results[i] = nil end
  for i = 1, 2 * nerr do errors[i] = nil end
  nres, nerr, pos = 0, 0, 0
  while pos < n do
    local ok, err = pcall(run_from, n)
    if not ok then add_error(slot_symbol(batch[pos - 1]), errmsg(err)) end
  end
  progress[0] = 0
  if S.rank and nres > 0 then
    local cands = {}
    local slot_by_sym = {}
    for i = 1, nres do
      cands[i] = { symbol = results[3 * i - 1], intent = results[3 * i] }
      slot_by_sym[results[3 * i - 1]] = results[3 * i - 2]
    end
    cur_slot = -1
    ctx.symbol = nil
    local ok, ranked = pcall(S.rank, ctx, cands)
    for i = 1, 3 * nres do results[i] = nil end
    nres = 0
    if not ok then
      add_error("*rank*", errmsg(ranked))
    elseif type(ranked) == "table" then
      for _, c in ipairs(ranked) do
        if type(c) == "table" and type(c.symbol) == "string" then
          nres = nres + 1
          results[3 * nres - 2] = slot_by_sym[c.symbol] or -1
          results[3 * nres - 1] = c.symbol
          results[3 * nres] = c.intent
        end
      end
    else
      add_error("*rank*", "rank must return a list of candidates, got " .. type(ranked))
    end
  end
  return results, nres, errors, nerr, logs
end

-- The frozen base, for tests of the worker itself.
R.base = BASE
R.freeze = freeze
R.new_env = new_env
return R
