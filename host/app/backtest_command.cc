// `signalforge backtest`: runs a Lua strategy over history with the live
// engine's risk manager and signal lifecycle on a simulated clock
// (host/engine/backtest.h), then prints a summary table and optionally
// writes a JSON result and an offline HTML report. Bars come from the
// database, from a provider plugin (--provider csv --path DIR) without
// ingesting them, or from a folder of daily CSVs (--data DIR). Results are
// stored in backtest_runs / backtest_trades when the bars came from the
// database or database.url is set (unless --no-store).
// Exit codes: 0 done, 1 failed, 2 usage.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "app/feature_sets.h"
#include "engine/backtest_request.h"
#include "lua/csv_bars.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/market_config.h"
#include "plugins/plugin_call.h"
#include "store/backtests_repository.h"
#include "store/instruments_repository.h"
#include "store/store.h"

namespace sf::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kUsage =
    R"(Usage: signalforge backtest --strategy FILE.lua --from DATE --to DATE
          [--symbols A,B,... | --universe NAME]
          [--provider NAME [--path DIR] | --data DIR]
          [--params k=v[,k=v...]]... [--sweep k=v1,v2|k=from:to:step]... [--objective NAME]
          [--walk-forward is=730,oos=180,mode=rolling|anchored] [--monte-carlo N]
          [--risk-profile conservative|moderate|aggressive] [--risk limit=v]...
          [--initial-equity X]
          [--fee-per-trade X] [--fee-per-share X] [--fee-pct X]
          [--slippage-bps X] [--slippage-model fixed|volume_share]
          [--warmup-days N] [--jobs N] [--json OUT] [--html OUT] [--no-store]
          [--lib DIR] [--plugins DIR] [--model NAME=FILE]... [--per-bar]

Runs FILE.lua over history exactly as the server would run it live: the
strategy sees only bars complete at the simulated time, intents go through
the risk manager, fills happen at the next bar's open plus fees and slippage,
and open signals close on target, stop (gap-through fills at the open),
expiry or an opposite signal.

Bars: from the database (default; symbols from --symbols, --universe or every
instrument), or straight from a provider plugin (--provider csv --path DIR),
or from a folder of AlphaVantage-layout daily CSVs (--data DIR, with an
optional constituents.csv beside it for sectors).

  --params k=v        strategy parameter overrides (repeatable)
  --sweep k=SPEC      sweep a parameter grid in parallel (repeatable); the best
                      combination by --objective (default sharpe) is reported
  --walk-forward SPEC rolling or anchored in-sample/out-of-sample windows, the
                      best in-sample combination of --sweep applied out of sample
  --monte-carlo N     bootstrap the trade sequence N times: percentile bands of
                      total return and max drawdown
  --risk limit=v      override a risk limit (min_confidence, min_risk_reward,
                      max_positions, max_position_pct, max_risk_pct,
                      max_sector_pct, max_drawdown_pct, ...; repeatable)
  --json OUT          the full result as JSON ('-' for stdout)
  --html OUT          an offline HTML report (equity, drawdown, monthly returns,
                      trades, statistics)
  --no-store          do not write backtest_runs / backtest_trades
  --model NAME=FILE   an XGBoost model file (`signalforge train`) that
                      ctx.predict("NAME", ...) calls (repeatable)
  --per-bar           evaluate the strategy bar by bar (the live path) instead
                      of in one range pass; same results, slower
  --jobs N            processes at once (default 2): sweep and walk-forward
                      runs, or, for one run of a strategy that declares
                      independent = true, workers its symbols are split across

The regime_v1 feature set (volatility index and its percentile, index trend,
sector relative strength, breadth) is computed over the run's whole universe
and reaches strategies through ctx.features("regime_v1"), with the names and
values `signalforge train` uses.

A progress bar is drawn on a terminal (stderr).

Examples:
  signalforge backtest --strategy scripts/mean_reversion.lua \
      --provider csv --path ../shared/data/sp500/daily --symbols AAPL,MSFT,XOM \
      --from 2015-01-01 --to 2020-12-31 --html report.html
  signalforge backtest --strategy scripts/momentum_swing.lua --universe sp500 \
      --from 2010-01-01 --to 2020-12-31 --sweep stop_pct=0.03,0.05 \
      --walk-forward is=1095,oos=365 --monte-carlo 1000
)";

int Fail(const std::string& message) {
  std::cerr << "signalforge: backtest: " << message << "\n";
  return 1;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t p = text.find(',', start);
    std::string item = text.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!item.empty()) out.push_back(item);
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

json ParamValue(const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (!v.empty() && end && *end == '\0') return d;
  if (v == "true") return true;
  if (v == "false") return false;
  return v;
}

// "[##########          ]  52%  2010-04-12" on stderr, redrawn at most every 100 ms.
struct Progress {
  bool enabled = false;
  std::chrono::steady_clock::time_point last{};
  void Draw(double share) {
    if (!enabled) return;
    auto now = std::chrono::steady_clock::now();
    if (share < 1 && now - last < std::chrono::milliseconds(100)) return;
    last = now;
    const int width = 40, done = static_cast<int>(share * width);
    std::string bar(static_cast<size_t>(done), '#');
    bar.resize(width, ' ');
    std::fprintf(stderr, "\r  backtest [%s] %3d%%", bar.c_str(), static_cast<int>(share * 100));
    if (share >= 1) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }
};

std::map<std::string, std::string> SectorsFromConstituents(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto f = SplitComma(line);
    if (f.size() >= 3) out[f[0]] = f.back();
  }
  return out;
}

// regime_v1 over a run's universe as feature series: the index columns for
// every symbol, sector strength for each sector's symbols. Per symbol and bar
// these are the values RegimeColumns gives in training (same names).
StatusOr<std::vector<lua::FeatureSeries>> RegimeFeatureSeries(
    const std::vector<market::BarSeries>& bars, const std::map<std::string, std::string>& sectors) {
  std::vector<std::string> sector_of;
  sector_of.reserve(bars.size());
  for (const auto& s : bars) {
    auto it = sectors.find(s.symbol);
    sector_of.push_back(it == sectors.end() ? "" : it->second);
  }
  const RegimeTable r = ComputeRegime(bars, sector_of);
  const std::vector<std::string> names = FeatureNames({"regime_v1", 1});
  auto series = [&](const std::string& name, const std::string& scope, std::vector<double> v) {
    return lua::FeatureSeries{"regime_v1", name, scope, r.ts, std::move(v)};
  };
  // names: vol_index, vol_index_pct_252, index_trend, sector_rel_strength, market_breadth
  std::vector<lua::FeatureSeries> out = {series(names[0], "", r.vol_index),
                                         series(names[1], "", r.vol_index_pct),
                                         series(names[2], "", r.index_trend),
                                         series(names[4], "", r.breadth)};
  for (const auto& [sector, ret] : r.sector_ret_20) {
    std::vector<double> rel(ret.size());
    for (size_t t = 0; t < ret.size(); ++t) rel[t] = ret[t] - r.index_ret_20[t];
    out.push_back(series(names[3], "sector:" + sector, std::move(rel)));
  }
  return out;
}

// The CLI and the API runner (same process) pass regime_v1 to backtests.
const bool kRegimeForBacktests = [] {
  engine::SetDefaultBacktestFeatures(&RegimeFeatureSeries);
  return true;
}();

void PrintSummary(const engine::BacktestReport& rep) {
  const auto& r = rep.result;
  const auto& s = r.stats;
  std::printf("\n%s (version %.12s) %s .. %s, %zu symbols, %lld bars in %.2f s (%.0f bars/s)\n",
              r.strategy.c_str(), r.version.c_str(), engine::UtcDate(r.from).c_str(),
              engine::UtcDate(r.to).c_str(), r.symbols.size(), static_cast<long long>(r.bars),
              r.seconds, r.seconds > 0 ? static_cast<double>(r.bars) / r.seconds : 0.0);
  std::printf("  params %s\n", r.params.dump().c_str());
  std::printf("  +----------------------+--------------+\n");
  auto row = [](const char* name, const std::string& v) {
    std::printf("  | %-20s | %12s |\n", name, v.c_str());
  };
  auto f = [](double v, const char* unit = "") {
    char b[64];
    std::snprintf(b, sizeof b, "%.2f%s", v, unit);
    return std::string(b);
  };
  row("trades", std::to_string(s.count));
  row("win rate", f(s.win_rate * 100, " %"));
  row("avg return", f(s.avg_return_pct, " %"));
  row("median return", f(s.median_return_pct, " %"));
  row("total return", f(s.total_return_pct, " %"));
  row("sharpe", f(s.sharpe));
  row("sortino", f(s.sortino));
  row("max drawdown", f(s.max_drawdown_pct, " %"));
  row("profit factor", f(s.profit_factor));
  row("avg holding", f(s.avg_holding_days, " d"));
  row("alpha (annual)", f(s.alpha_pct, " %"));
  row("beta", f(s.beta));
  std::printf("  +----------------------+--------------+\n");
  std::printf("  signals %zu;", r.signals.size());
  for (const auto& [rule, n] : r.rejections) std::printf(" %s %d;", rule.c_str(), n);
  std::printf("\n");
  for (size_t i = 0; i < r.errors.size() && i < 5; ++i)
    std::printf("  strategy error: %s\n", r.errors[i].c_str());
  if (!rep.sweep.empty()) {
    std::printf("  sweep (%zu combinations, best first):\n", rep.sweep.size());
    for (size_t i = 0; i < rep.sweep.size() && i < 5; ++i)
      std::printf("    %-40s score %8.3f  trades %4d  return %7.2f %%%s\n",
                  rep.sweep[i].params.dump().c_str(), rep.sweep[i].score, rep.sweep[i].stats.count,
                  rep.sweep[i].stats.total_return_pct,
                  rep.sweep[i].error.empty() ? "" : ("  " + rep.sweep[i].error).c_str());
  }
  if (rep.walk_forward) {
    std::printf("  walk-forward (%zu windows):\n", rep.walk_forward->windows.size());
    for (const auto& w : rep.walk_forward->windows)
      std::printf("    OOS %s..%s  best %s  trades %d  return %.2f %%%s\n",
                  engine::UtcDate(w.oos_from).c_str(), engine::UtcDate(w.oos_to - 1).c_str(),
                  w.best_params.dump().c_str(), w.oos_trades, w.oos_stats.total_return_pct,
                  w.error.empty() ? "" : ("  failed: " + w.error).c_str());
    std::printf("    stitched OOS: return %.2f %%, sharpe %.2f, max drawdown %.2f %%\n",
                rep.walk_forward->stats.total_return_pct, rep.walk_forward->stats.sharpe,
                rep.walk_forward->stats.max_drawdown_pct);
  }
  if (rep.monte_carlo) {
    const auto& m = *rep.monte_carlo;
    std::printf("  monte carlo (%d runs): return p5 %.2f p50 %.2f p95 %.2f %%; "
                "max drawdown p5 %.2f p50 %.2f p95 %.2f %%; P(loss) %.1f %%\n",
                m.runs, m.total_return_pct.p5, m.total_return_pct.p50, m.total_return_pct.p95,
                m.max_drawdown_pct.p5, m.max_drawdown_pct.p50, m.max_drawdown_pct.p95,
                m.probability_of_loss * 100);
  }
}

int RunBacktestCommand(Context& ctx, const std::vector<std::string>& args) {
  std::map<std::string, std::string> opt;
  std::vector<std::string> params, sweeps, plugin_dirs, risk, models;
  bool no_store = false, per_bar = false;
  static const std::set<std::string> kValued = {
      "--strategy", "--symbols", "--universe", "--provider", "--path", "--data", "--from", "--to",
      "--walk-forward", "--monte-carlo", "--risk-profile", "--initial-equity", "--fee-per-trade",
      "--fee-per-share", "--fee-pct", "--slippage-bps", "--slippage-model", "--warmup-days",
      "--jobs", "--json", "--html", "--lib", "--objective", "--seed"};
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], v;
    auto eq = a.find('=');
    bool inline_value = a.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (a == "--no-store" || a == "--per-bar") {
      (a == "--no-store" ? no_store : per_bar) = true;
      continue;
    }
    const bool multi = a == "--params" || a == "--sweep" || a == "--plugins" || a == "--risk" ||
                       a == "--model";
    if (!kValued.count(a) && !multi)
      return UsageError("backtest", "unknown option '" + args[i] + "'");
    if (!inline_value) {
      if (i + 1 >= args.size()) return UsageError("backtest", a + " needs a value");
      v = args[++i];
    }
    if (a == "--params") {
      for (const auto& kv : SplitComma(v)) params.push_back(kv);
    } else if (a == "--risk") {
      for (const auto& kv : SplitComma(v)) risk.push_back(kv);
    } else if (a == "--sweep") {
      sweeps.push_back(v);
    } else if (a == "--plugins") {
      plugin_dirs.push_back(v);
    } else if (a == "--model") {
      models.push_back(v);
    } else {
      opt[a] = v;
    }
  }
  auto get = [&](const std::string& k) { return opt.count(k) ? opt[k] : std::string(); };
  if (get("--strategy").empty()) return UsageError("backtest", "--strategy FILE.lua is required");
  if (get("--from").empty() || get("--to").empty())
    return UsageError("backtest", "--from DATE and --to DATE are required (YYYY-MM-DD)");
  if (opt.count("--symbols") && opt.count("--universe"))
    return UsageError("backtest", "give either --symbols or --universe, not both");
  if (opt.count("--provider") && opt.count("--data"))
    return UsageError("backtest", "give either --provider or --data, not both");

  // The request, as the API would send it.
  json req = {{"strategy", fs::absolute(get("--strategy")).lexically_normal().string()},
              {"from", get("--from")},
              {"to", get("--to")}};
  if (!params.empty()) {
    json p = json::object();
    for (const auto& kv : params) {
      auto e = kv.find('=');
      if (e == std::string::npos || e == 0)
        return UsageError("backtest", "--params '" + kv + "': expected name=value");
      p[kv.substr(0, e)] = ParamValue(kv.substr(e + 1));
    }
    req["params"] = p;
  }
  if (!sweeps.empty()) req["sweep"] = sweeps;
  if (opt.count("--objective")) req["objective"] = get("--objective");
  if (opt.count("--walk-forward")) req["walk_forward"] = get("--walk-forward");
  auto number = [&](const std::string& flag, double* out) -> bool {
    if (!opt.count(flag)) return true;
    char* end = nullptr;
    *out = std::strtod(opt[flag].c_str(), &end);
    return end && *end == '\0' && !opt[flag].empty();
  };
  double d = 0;
  for (const char* flag : {"--monte-carlo", "--warmup-days", "--seed"}) {
    if (!opt.count(flag)) continue;
    if (!number(flag, &d) || d < 0 || d != static_cast<int64_t>(d))
      return UsageError("backtest", std::string(flag) + " '" + opt[flag] + "' is not a whole number >= 0");
    std::string key = std::string(flag).substr(2);
    for (char& c : key) c = c == '-' ? '_' : c;
    req[key] = static_cast<int64_t>(d);
  }
  if (opt.count("--initial-equity")) {
    if (!number("--initial-equity", &d)) return UsageError("backtest", "--initial-equity is not a number");
    req["initial_equity"] = d;
  }
  json risk_json = json::object();
  if (opt.count("--risk-profile")) risk_json["profile"] = get("--risk-profile");
  for (const auto& kv : risk) {
    auto e = kv.find('=');
    if (e == std::string::npos || e == 0)
      return UsageError("backtest", "--risk '" + kv + "': expected limit=value");
    risk_json[kv.substr(0, e)] = ParamValue(kv.substr(e + 1));
  }
  if (!risk_json.empty()) req["risk"] = risk_json;
  json costs = json::object();
  for (const auto& [flag, key] : std::map<std::string, std::string>{
           {"--fee-per-trade", "fee_per_trade"}, {"--fee-per-share", "fee_per_share"},
           {"--fee-pct", "fee_pct"}, {"--slippage-bps", "slippage_bps"}}) {
    if (!opt.count(flag)) continue;
    if (!number(flag, &d)) return UsageError("backtest", flag + " '" + opt[flag] + "' is not a number");
    costs[key] = d;
  }
  if (opt.count("--slippage-model")) costs["slippage"] = get("--slippage-model");
  if (!costs.empty()) req["costs"] = costs;
  int jobs = 2;
  if (opt.count("--jobs")) {
    if (!number("--jobs", &d) || d < 1 || d > 64) return UsageError("backtest", "--jobs must be 1..64");
    jobs = static_cast<int>(d);
  }

  // Environment: where strategies, libs, plugins and bars come from.
  engine::BacktestEnvironment env;
  env.allow_paths = true;
  env.parallel = jobs;
  env.scripts_dir = ctx.ResolvePath("scripts");
  std::error_code ec;
  fs::path strategy_dir = fs::absolute(get("--strategy"), ec).parent_path();
  if (opt.count("--lib")) env.lib_dir = fs::absolute(get("--lib"), ec).string();
  else if (fs::exists(strategy_dir / "lib" / "sf" / "runtime.lua", ec)) env.lib_dir = (strategy_dir / "lib").string();
  else env.lib_dir = ctx.ResolvePath("scripts/lib");
  const json& cfg = ctx.config();
  const json psec = cfg.value("plugins", json::object());
  for (const auto& dir : psec.value("directories", json::array()))
    env.plugin_dirs.push_back(ctx.ResolvePath(dir.get<std::string>()));
  for (const auto& dir : plugin_dirs) env.plugin_dirs.push_back(fs::absolute(dir, ec).string());
  env.per_bar = per_bar;
  for (const auto& m : models) {
    auto e = m.find('=');
    if (e == std::string::npos || e == 0 || e + 1 == m.size())
      return UsageError("backtest", "--model '" + m + "': expected NAME=FILE (a model file from signalforge train)");
    const fs::path path = fs::absolute(m.substr(e + 1), ec);
    if (!fs::is_regular_file(path, ec))
      return UsageError("backtest", "--model '" + m + "': " + path.string() + " is not a file");
    env.models[m.substr(0, e)] = {{"component", "xgboost"}, {"config", {{"path", path.string()}}}};
  }

  std::vector<std::string> symbols;
  if (opt.count("--symbols")) symbols = SplitComma(get("--symbols"));
  auto resolve = [&ctx](const std::string& p) { return ctx.ResolvePath(p); };
  auto settings = market::MarketSettingsFromConfig(cfg.value("market", json::object()), resolve);
  if (!settings.ok()) return Fail(settings.status().message());
  if (opt.count("--universe")) {
    const std::string name = get("--universe");
    if (!settings->universes.contains(name))
      return Fail("universe '" + name + "' is not in market.universes");
    const json& u = settings->universes[name];
    if (u.is_array()) {
      for (const auto& s : u) symbols.push_back(s.get<std::string>());
    } else if (u.is_object() && u.contains("file")) {
      std::ifstream in(ctx.ResolvePath(u["file"].get<std::string>()));
      std::string line;
      std::getline(in, line);  // header: Symbol,...
      while (std::getline(in, line)) {
        auto f = SplitComma(line);
        if (!f.empty()) symbols.push_back(f[0]);
      }
    }
    if (symbols.empty()) return Fail("universe '" + name + "' lists no symbols");
  }
  if (!symbols.empty()) req["symbols"] = symbols;

  std::unique_ptr<store::Store> db;
  const bool from_db = !opt.count("--provider") && !opt.count("--data");
  const bool db_configured = !cfg.value("database", json::object()).value("url", std::string()).empty();
  auto open_db = [&]() -> Status {
    if (db) return Status::Ok();
    auto so = store::StoreOptionsFromConfig(cfg.value("database", json::object()), resolve);
    so.pool_size = 2;
    so.stop_adopted_cluster = false;
    auto st = store::Store::Open(so);
    if (!st.ok()) return st.status();
    db = std::move(*st);
    return Status::Ok();
  };

  std::unique_ptr<plugins::ProviderInstance> provider;
  std::shared_ptr<const market::TradingCalendar> calendar;
  if (opt.count("--data")) {
    const fs::path dir = fs::absolute(get("--data"), ec);
    env.sectors = SectorsFromConstituents(dir.parent_path() / "constituents.csv");
    env.load_bars = [dir](const std::vector<std::string>& syms, market::Timeframe tf, int64_t from,
                          int64_t to) -> StatusOr<std::vector<market::BarSeries>> {
      if (tf != market::Timeframe::k1d) return InvalidArgument("--data holds daily bars only");
      std::vector<std::string> list = syms;
      std::error_code e;
      if (list.empty()) {
        for (const auto& de : fs::directory_iterator(dir, e))
          if (de.path().extension() == ".csv") list.push_back(de.path().stem().string());
        std::sort(list.begin(), list.end());
      }
      // Files are parsed on one thread per core; results keep the list's order.
      std::vector<StatusOr<market::BarSeries>> loaded(list.size(), market::BarSeries{});
      std::atomic<size_t> next{0};
      auto parse = [&] {
        for (size_t k = next++; k < list.size(); k = next++) {
          auto bars = lua::LoadDailyCsv((dir / (list[k] + ".csv")).string(), list[k]);
          if (!bars.ok()) {
            loaded[k] = bars.status();
            continue;
          }
          market::BarSeries cut;
          cut.symbol = list[k];
          for (size_t i = 0; i < bars->size(); ++i)
            if (bars->ts[i] >= from && bars->ts[i] <= to)
              cut.Append(bars->ts[i], bars->open[i], bars->high[i], bars->low[i], bars->close[i], bars->volume[i]);
          loaded[k] = std::move(cut);
        }
      };
      std::vector<std::thread> pool;
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      for (unsigned t = 1; t < cores && t < list.size(); ++t) pool.emplace_back(parse);
      parse();
      for (auto& t : pool) t.join();
      std::vector<market::BarSeries> out;
      for (auto& bars : loaded) {
        if (!bars.ok()) {
          if (!syms.empty()) return Status(bars.status().code(), "--data: " + bars.status().message());
          continue;
        }
        if (bars->size()) out.push_back(std::move(*bars));
      }
      return out;
    };
  } else if (opt.count("--provider")) {
    market::ProviderSpec spec = settings->Provider(get("--provider"));
    if (opt.count("--path")) {
      spec.config["path"] = fs::absolute(get("--path"), ec).string();
      env.sectors = SectorsFromConstituents(fs::absolute(get("--path"), ec).parent_path() / "constituents.csv");
    }
    const plugins::Provider* p = ctx.plugins().FindProvider(spec.component);
    if (!p) {
      std::string known;
      for (const auto* q : ctx.plugins().providers()) known += (known.empty() ? "" : ", ") + q->id;
      return Fail("no provider '" + spec.component + "' is loaded (loaded: " +
                  (known.empty() ? "none" : known) + "; check plugins.directories)");
    }
    auto inst = plugins::ProviderInstance::Create(*p, spec.config.dump());
    if (!inst.ok()) return Fail(inst.status().ToString());
    provider = std::move(*inst);
    auto cals = market::CalendarSet::LoadDirectory(settings->calendars_dir);
    if (!cals.ok()) return Fail(cals.status().message());
    calendar = cals->Find(settings->default_calendar);
    if (!calendar) return Fail("market.default_calendar '" + settings->default_calendar + "' is unknown");
    if (auto list = provider->ListInstruments(); list.ok()) {
      json arr = json::parse(*list, nullptr, false);
      if (arr.is_array())
        for (const auto& i : arr)
          if (i.is_object() && i.value("sector", std::string()) != "")
            env.sectors[i.value("symbol", std::string())] = i["sector"].get<std::string>();
    }
    const std::string source = spec.name;
    env.load_bars = [&provider, &calendar, source](const std::vector<std::string>& syms,
                                                    market::Timeframe tf, int64_t from, int64_t to)
        -> StatusOr<std::vector<market::BarSeries>> {
      std::vector<market::BarSeries> out;
      market::BarSink sink(source, [&](market::ProviderBars&& bars) -> Status {
        market::AssignBarEnds(&bars, *calendar);
        market::BarSeries s = bars.Adjusted();
        market::BarSeries cut;
        cut.symbol = s.symbol;
        cut.timeframe = tf;
        for (size_t i = 0; i < s.size(); ++i)
          if (s.ts[i] > 0 && s.ts[i] >= from && s.ts[i] <= to && (cut.ts.empty() || s.ts[i] > cut.ts.back()))
            cut.Append(s.ts[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
        if (cut.size()) out.push_back(std::move(cut));
        return Status::Ok();
      });
      sink.ExpectTimeframe(tf);
      std::vector<const char*> ptrs;
      for (const auto& s : syms) ptrs.push_back(s.c_str());
      sf_fetch_request r{};
      r.struct_size = sizeof(r);
      r.symbols = ptrs.empty() ? nullptr : ptrs.data();
      r.symbol_count = static_cast<int64_t>(ptrs.size());
      const std::string tfn(market::TimeframeName(tf));
      r.timeframe = tfn.c_str();
      r.from_us = from;
      r.to_us = to + 1;
      Status st = provider->FetchBars(r, *sink.sink());
      if (!st.ok()) return st;
      std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.symbol < b.symbol; });
      return out;
    };
  } else {
    Status s = open_db();
    if (!s.ok()) return Fail("database: " + s.ToString());
    store::InstrumentsRepository instruments(&db->pool());
    auto listed = instruments.List(true);
    if (!listed.ok()) return Fail("database: " + listed.status().ToString());
    std::vector<std::string> all;
    for (const auto& i : *listed) {
      all.push_back(i.symbol);
      if (i.sector) env.sectors[i.symbol] = *i.sector;
    }
    store::Pool* pool = &db->pool();
    env.load_bars = engine::StoreBarLoader(pool, all);
  }

  Status valid = engine::ValidateBacktestRequest(req, env);
  if (!valid.ok()) return Fail(valid.message());

  Progress progress;
  progress.enabled = isatty(STDERR_FILENO) != 0 && get("--json") != "-";
  env.progress = [&progress](double share) { progress.Draw(share); };

  const bool store_it = !no_store && (from_db || db_configured);
  std::string run_id;
  std::unique_ptr<store::BacktestsRepository> runs;
  if (store_it) {
    Status s = open_db();
    if (!s.ok()) return Fail("database: " + s.ToString());
    runs = std::make_unique<store::BacktestsRepository>(&db->pool());
    store::BacktestRunRow row;
    row.strategy_name = fs::path(get("--strategy")).stem().string();
    row.params = req.value("params", json::object());
    row.universe = symbols;
    row.period_start = *engine::ParseDayMicros(get("--from"));
    row.period_end = *engine::ParseDayMicros(get("--to")) + 86'400'000'000LL - 1;
    auto id = runs->Start(row);
    if (!id.ok()) return Fail("database: " + id.status().ToString());
    run_id = *id;
  }

  auto rep = engine::RunBacktestRequest(req, env);
  if (!rep.ok()) {
    if (runs) (void)runs->Fail(run_id, rep.status().ToString());
    return Fail(rep.status().ToString());
  }
  if (runs) {
    Status s = runs->Finish(run_id, rep->RunRow().metrics, rep->TradeRows());
    if (!s.ok()) return Fail("storing the run: " + s.ToString());
  }

  if (get("--json") != "-") PrintSummary(*rep);
  if (!run_id.empty() && get("--json") != "-") std::printf("  stored as backtest run %s\n", run_id.c_str());
  if (opt.count("--json")) {
    json j = rep->ToJson(true);
    if (!run_id.empty()) j["run_id"] = run_id;
    if (get("--json") == "-") {
      std::cout << j.dump() << "\n";
    } else {
      std::ofstream out(get("--json"));
      out << j.dump(1) << "\n";
      if (!out) return Fail("cannot write " + get("--json"));
      std::printf("  wrote %s\n", get("--json").c_str());
    }
  }
  if (opt.count("--html")) {
    std::ofstream out(get("--html"));
    out << rep->Html();
    if (!out) return Fail("cannot write " + get("--html"));
    if (get("--json") != "-") std::printf("  wrote %s\n", get("--html").c_str());
  }
  return 0;
}

const CommandRegistrar kRegistrar({"backtest",
                                   "backtest a Lua strategy on history (same risk and lifecycle as live)",
                                   kUsage, &RunBacktestCommand});

}  // namespace
}  // namespace sf::app
