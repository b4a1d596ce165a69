#include "engine/backtest_request.h"

#include <cmath>
#include <filesystem>

#include "engine/report_html.h"
#include "market/bar_sink.h"
#include "market/time_zone.h"

namespace sf::engine {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kDayUs = 86'400'000'000LL;

const char* const kKeys[] = {"strategy", "symbols",  "from",         "to",          "warmup_days",
                             "params",   "risk",     "costs",        "initial_equity", "sweep",
                             "objective", "walk_forward", "monte_carlo", "seed",       "timeframe"};

struct Parsed {
  std::string file;
  std::vector<std::string> symbols;
  int64_t from = 0, to = 0;  // µs; to is the end of its day
  int warmup_days = 800;
  BacktestConfig cfg;
  ParamGrid grid;
  bool has_sweep = false;
  std::string objective = "sharpe";
  std::optional<WalkForwardOptions> wf;
  int monte_carlo = 0;
  uint64_t seed = 42;
  market::Timeframe tf = market::Timeframe::k1d;
};

StatusOr<Parsed> Parse(const nlohmann::json& req, const BacktestEnvironment& env) {
  if (!req.is_object()) return InvalidArgument("request: must be a JSON object");
  for (const auto& [k, v] : req.items()) {
    bool known = false;
    for (const char* key : kKeys) known = known || k == key;
    if (!known) {
      std::string list;
      for (const char* key : kKeys) list += std::string(list.empty() ? "" : ", ") + key;
      return InvalidArgument("request." + k + ": unknown key (known: " + list + ")");
    }
  }
  Parsed p;
  if (!req.contains("strategy") || !req["strategy"].is_string() ||
      req["strategy"].get<std::string>().empty())
    return InvalidArgument("request.strategy: required, a strategy name or .lua file");
  const std::string strat = req["strategy"].get<std::string>();
  const bool is_path = strat.find('/') != std::string::npos || strat.ends_with(".lua");
  if (is_path && !env.allow_paths)
    return InvalidArgument("request.strategy: give a strategy name from scripts/, not a path");
  if (!is_path) {
    for (char c : strat)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
        return InvalidArgument("request.strategy: '" + strat + "' is not a strategy name (a-z 0-9 _ -)");
  }
  p.file = is_path ? strat : (fs::path(env.scripts_dir) / (strat + ".lua")).string();
  std::error_code ec;
  if (!fs::is_regular_file(p.file, ec))
    return NotFound("request.strategy: " + p.file + " does not exist");

  if (req.contains("symbols")) {
    if (!req["symbols"].is_array()) return InvalidArgument("request.symbols: must be an array of symbols");
    for (const auto& s : req["symbols"]) {
      if (!s.is_string() || !market::IsValidSymbol(s.get<std::string>()))
        return InvalidArgument("request.symbols: " + s.dump() + " is not a valid symbol");
      p.symbols.push_back(s.get<std::string>());
    }
  }
  auto date = [&](const char* key, int64_t* out) -> Status {
    if (!req.contains(key)) return InvalidArgument(std::string("request.") + key + ": required, a date YYYY-MM-DD");
    auto d = req[key].is_string() ? ParseDayMicros(req[key].get<std::string>()) : std::nullopt;
    if (!d) return InvalidArgument(std::string("request.") + key + ": " + req[key].dump() + " is not a date YYYY-MM-DD");
    *out = *d;
    return Status::Ok();
  };
  SF_RETURN_IF_ERROR(date("from", &p.from));
  SF_RETURN_IF_ERROR(date("to", &p.to));
  p.to += kDayUs - 1;
  if (p.to <= p.from) return InvalidArgument("request.to: must be after request.from");
  if (req.contains("timeframe")) {
    auto tf = req["timeframe"].is_string() ? market::ParseTimeframe(req["timeframe"].get<std::string>()) : std::nullopt;
    if (!tf) return InvalidArgument("request.timeframe: must be one of 1m 5m 15m 1h 4h 1d");
    p.tf = *tf;
  }
  auto integer = [&](const char* key, int lo, int hi, int* out) -> Status {
    if (!req.contains(key)) return Status::Ok();
    const auto& v = req[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      return InvalidArgument(std::string("request.") + key + ": must be a whole number in [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v.dump());
    *out = v.get<int>();
    return Status::Ok();
  };
  SF_RETURN_IF_ERROR(integer("warmup_days", 0, 20000, &p.warmup_days));
  SF_RETURN_IF_ERROR(integer("monte_carlo", 0, 100000, &p.monte_carlo));
  if (req.contains("seed")) {
    if (!req["seed"].is_number_unsigned()) return InvalidArgument("request.seed: must be a whole number >= 0");
    p.seed = req["seed"].get<uint64_t>();
  }
  if (req.contains("params")) {
    if (!req["params"].is_object()) return InvalidArgument("request.params: must be an object of name: value");
    p.cfg.params = req["params"];
  }
  auto risk = RiskLimits::FromJson(req.value("risk", nlohmann::json()));
  if (!risk.ok()) return InvalidArgument("request." + risk.status().message());
  p.cfg.risk = *risk;
  auto costs = CostModel::FromJson(req.value("costs", nlohmann::json()));
  if (!costs.ok()) return InvalidArgument("request." + costs.status().message());
  p.cfg.costs = *costs;
  if (req.contains("initial_equity")) {
    const auto& v = req["initial_equity"];
    if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
      return InvalidArgument("request.initial_equity: must be a number > 0, got " + v.dump());
    p.cfg.initial_equity = v.get<double>();
  }
  if (req.contains("objective")) {
    if (!req["objective"].is_string() || !IsObjective(req["objective"].get<std::string>()))
      return InvalidArgument("request." + Objective({}, req["objective"].is_string() ? req["objective"].get<std::string>() : "?").status().message());
    p.objective = req["objective"].get<std::string>();
  }
  if (req.contains("sweep")) {
    std::vector<std::string> specs;
    const auto& s = req["sweep"];
    if (s.is_object()) {
      for (const auto& [k, vals] : s.items()) {
        if (!vals.is_array() || vals.empty())
          return InvalidArgument("request.sweep." + k + ": must be a non-empty array of values");
        std::string spec = k + "=";
        for (size_t i = 0; i < vals.size(); ++i)
          spec += (i ? "," : "") + (vals[i].is_string() ? vals[i].get<std::string>() : vals[i].dump());
        specs.push_back(spec);
      }
    } else if (s.is_array()) {
      for (const auto& v : s) {
        if (!v.is_string()) return InvalidArgument("request.sweep: array items must be strings like \"z=1,2\"");
        specs.push_back(v.get<std::string>());
      }
    } else {
      return InvalidArgument("request.sweep: must be an object {name: [values]} or an array of \"name=spec\"");
    }
    auto g = ParamGrid::Parse(specs);
    if (!g.ok()) return InvalidArgument("request." + g.status().message());
    p.grid = *g;
    p.has_sweep = true;
  }
  if (req.contains("walk_forward")) {
    const auto& w = req["walk_forward"];
    std::string spec;
    if (w.is_string()) {
      spec = w.get<std::string>();
    } else if (w.is_object()) {
      for (const auto& [k, v] : w.items())
        spec += (spec.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    } else {
      return InvalidArgument("request.walk_forward: must be \"is=730,oos=180\" or an object");
    }
    auto o = WalkForwardOptions::Parse(spec);
    if (!o.ok()) return InvalidArgument("request." + o.status().message());
    if (!w.is_object() || !w.contains("objective")) o->objective = p.objective;
    o->parallel = env.parallel;
    p.wf = *o;
  }
  p.cfg.strategy_file = p.file;
  p.cfg.lib_dir = env.lib_dir;
  p.cfg.worker_path = env.worker_path;
  p.cfg.plugin_dirs = env.plugin_dirs;
  p.cfg.from = p.from;
  p.cfg.to = p.to;
  p.cfg.sectors = env.sectors;
  p.cfg.models = env.models;
  p.cfg.per_bar = env.per_bar;
  p.cfg.workers = env.parallel;
  p.cfg.cancel = env.cancel;
  return p;
}

BacktestFeatureFn& DefaultFeatures() {
  static BacktestFeatureFn fn;
  return fn;
}

}  // namespace

void SetDefaultBacktestFeatures(BacktestFeatureFn fn) { DefaultFeatures() = std::move(fn); }

std::optional<int64_t> ParseDayMicros(const std::string& date) {
  int64_t day;
  if (!market::ParseDate(date, &day)) return std::nullopt;
  return day * kDayUs;
}

Status ValidateBacktestRequest(const nlohmann::json& request, const BacktestEnvironment& env) {
  return Parse(request, env).status();
}

StatusOr<BacktestReport> RunBacktestRequest(const nlohmann::json& request,
                                            const BacktestEnvironment& env) {
  auto parsed = Parse(request, env);
  if (!parsed.ok()) return parsed.status();
  Parsed& p = *parsed;
  if (!env.load_bars) return Internal("backtest: no bar loader configured");
  auto data = env.load_bars(p.symbols, p.tf, p.from - p.warmup_days * kDayUs, p.to);
  if (!data.ok()) return data.status();
  if (data->empty())
    return NotFound("backtest: no bars for the requested symbols between " + UtcDate(p.from) +
                    " and " + UtcDate(p.to));

  const BacktestFeatureFn& features = env.features ? env.features : DefaultFeatures();
  if (features) {
    auto f = features(*data, env.sectors);
    if (!f.ok()) return Status(f.status().code(), "backtest: feature sets: " + f.status().message());
    p.cfg.features = std::move(*f);
  }

  BacktestReport rep;
  rep.request = request;
  BacktestConfig main = p.cfg;
  if (p.has_sweep) {
    auto rows = RunSweep(p.cfg, *data, p.grid, p.objective, env.parallel);
    if (!rows.ok()) return rows.status();
    rep.sweep = std::move(*rows);
    if (!p.wf && !rep.sweep.empty() && rep.sweep.front().error.empty())
      main.params.update(rep.sweep.front().params);
  }
  if (p.wf) {
    auto wf = RunWalkForward(p.cfg, *data, p.grid, *p.wf);
    if (!wf.ok()) return wf.status();
    rep.walk_forward = std::move(*wf);
  }
  main.progress = env.progress;
  auto r = RunBacktest(main, *data);
  if (!r.ok()) return r.status();
  rep.result = std::move(*r);
  if (p.monte_carlo > 0)
    rep.monte_carlo = BootstrapTrades(ToClosedTrades(rep.result.trades), p.monte_carlo, p.seed);
  return rep;
}

nlohmann::json BacktestReport::ToJson(bool with_series) const {
  nlohmann::json j = result.ToJson(with_series);
  j["request"] = request;
  if (!sweep.empty()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : sweep)
      rows.push_back({{"params", r.params},
                      {"score", std::isfinite(r.score) ? nlohmann::json(r.score) : nlohmann::json()},
                      {"stats", r.stats.ToJson()},
                      {"error", r.error}});
    j["sweep"] = std::move(rows);
  }
  if (walk_forward) j["walk_forward"] = walk_forward->ToJson();
  if (monte_carlo) {
    j["monte_carlo"] = monte_carlo->ToJson();
    if (!with_series) {
      j["monte_carlo"].erase("path_p5");
      j["monte_carlo"].erase("path_p50");
      j["monte_carlo"].erase("path_p95");
    }
  }
  return j;
}

std::string BacktestReport::Html() const {
  return RenderHtmlReport(result, monte_carlo ? &*monte_carlo : nullptr,
                          walk_forward ? &*walk_forward : nullptr);
}

store::BacktestRunRow BacktestReport::RunRow() const {
  store::BacktestRunRow row;
  row.strategy_name = result.strategy;
  row.params = result.params;
  row.universe = result.symbols;
  row.timeframe = request.value("timeframe", std::string("1d"));
  row.period_start = result.from;
  row.period_end = std::max(result.to, result.from + 1);
  nlohmann::json m = ToJson(false);
  m.erase("trades");
  m.erase("request");
  m["version"] = result.version;
  row.metrics = std::move(m);
  return row;
}

std::vector<store::BacktestTradeRow> BacktestReport::TradeRows() const {
  std::vector<store::BacktestTradeRow> out;
  out.reserve(result.trades.size());
  for (const auto& t : result.trades) {
    store::BacktestTradeRow r;
    r.symbol = t.symbol;
    r.side = t.side;
    r.quantity = t.quantity;
    r.entry_ts = t.entry_ts;
    r.entry_price = t.entry_price;
    r.exit_ts = t.exit_ts;
    r.exit_price = t.exit_price;
    r.exit_reason = t.status + ":" + t.exit_reason;
    r.pnl_pct = t.pnl_pct;
    r.fees = t.fees;
    out.push_back(std::move(r));
  }
  return out;
}

std::function<StatusOr<std::vector<market::BarSeries>>(const std::vector<std::string>&,
                                                       market::Timeframe, int64_t, int64_t)>
StoreBarLoader(store::Pool* pool, std::vector<std::string> universe) {
  return [pool, all = std::move(universe)](const std::vector<std::string>& syms, market::Timeframe tf,
                                            int64_t from, int64_t to) -> StatusOr<std::vector<market::BarSeries>> {
    store::BacktestsRepository bars(pool);
    std::vector<market::BarSeries> out;
    for (const auto& s : syms.empty() ? all : syms) {
      auto b = bars.LoadAdjustedBars(s, tf, from, to + 1);
      if (!b.ok()) {
        if (b.status().code() == SF_ERR_NOT_FOUND && syms.empty()) continue;
        return Status(b.status().code(), "loading bars of " + s + ": " + b.status().message());
      }
      if (b->size()) out.push_back(std::move(*b));
    }
    return out;
  };
}

}  // namespace sf::engine
