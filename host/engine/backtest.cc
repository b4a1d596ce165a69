#include "engine/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <queue>

#include "engine/lifecycle.h"
#include "lua/strategy_runtime.h"

namespace sf::engine {
namespace {

namespace fs = std::filesystem;

struct Position {
  OpenSignal sig;
  size_t series = 0;
  double qty = 0;           // signed: > 0 long, < 0 short
  double entry_fees = 0;
  double size_pct = 0;
  double confidence = 0;
  int64_t signal_ts = 0;
  int64_t entry_ts = 0;
  bool close_next_open = false;
};

struct PendingEntry {
  size_t series = 0;
  lua::Intent intent;
  double qty = 0;           // shares, > 0
  double size_pct = 0;
};

// The last `n` close-to-close returns of series `s` up to index `last`.
std::vector<double> RecentReturns(const market::BarSeries& s, size_t last, int n) {
  std::vector<double> r;
  size_t first = last > static_cast<size_t>(n) ? last - n : 0;
  for (size_t i = std::max<size_t>(first, 1); i <= last; ++i)
    r.push_back(s.close[i - 1] > 0 ? s.close[i] / s.close[i - 1] - 1 : 0);
  return r;
}

nlohmann::json SeriesJson(const std::vector<EquityPoint>& pts) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : pts) a.push_back({p.ts / 1000, std::round(p.equity * 100) / 100});
  return a;
}

}  // namespace

nlohmann::json BacktestTrade::ToJson() const {
  return {{"symbol", symbol},         {"side", side},
          {"signal_date", UtcDate(signal_ts)},
          {"entry_ts", entry_ts / 1000}, {"entry_date", UtcDate(entry_ts)},
          {"entry_price", entry_price}, {"quantity", quantity},
          {"exit_ts", exit_ts / 1000}, {"exit_date", UtcDate(exit_ts)},
          {"exit_price", exit_price}, {"status", status},
          {"exit_reason", exit_reason}, {"fees", fees},
          {"pnl", pnl},               {"pnl_pct", pnl_pct},
          {"size_pct", size_pct},     {"confidence", confidence},
          {"mfe_pct", mfe_pct},       {"mae_pct", mae_pct}};
}

nlohmann::json BacktestResult::ToJson(bool with_series) const {
  nlohmann::json j = {{"strategy", strategy},
                      {"version", version},
                      {"params", params},
                      {"symbols", symbols},
                      {"from", UtcDate(from)},
                      {"to", UtcDate(to)},
                      {"stats", stats.ToJson()},
                      {"rejections", rejections},
                      {"errors", errors},
                      {"bars", bars},
                      {"steps", steps},
                      {"seconds", seconds},
                      {"signals", signals.size()}};
  nlohmann::json tr = nlohmann::json::array();
  for (const auto& t : trades) tr.push_back(t.ToJson());
  j["trades"] = std::move(tr);
  if (with_series) {
    j["equity"] = SeriesJson(equity);
    j["benchmark"] = SeriesJson(benchmark);
  }
  return j;
}

std::vector<ClosedTrade> ToClosedTrades(const std::vector<BacktestTrade>& trades) {
  std::vector<ClosedTrade> out;
  out.reserve(trades.size());
  for (const auto& t : trades)
    out.push_back({t.symbol, t.side, t.entry_ts, t.exit_ts, t.pnl_pct, t.size_pct});
  return out;
}

StatusOr<BacktestResult> RunBacktest(const BacktestConfig& cfg,
                                     const std::vector<market::BarSeries>& data) {
  const auto started = std::chrono::steady_clock::now();
  if (data.empty()) return InvalidArgument("backtest: no bar series to run over");
  std::error_code ec;
  if (!fs::is_regular_file(cfg.strategy_file, ec))
    return NotFound("backtest: strategy file " + cfg.strategy_file + " does not exist");
  const market::Timeframe tf = data.front().timeframe;
  for (const auto& s : data)
    if (s.timeframe != tf)
      return InvalidArgument("backtest: every series must have one timeframe; " + s.symbol +
                             " is " + std::string(market::TimeframeName(s.timeframe)) +
                             ", the first is " + std::string(market::TimeframeName(tf)));
  if (!(cfg.initial_equity > 0))
    return InvalidArgument("backtest: initial_equity must be > 0");

  lua::RuntimeOptions o;
  o.scripts_dir = fs::absolute(cfg.strategy_file).parent_path().string();
  o.lib_dir = cfg.lib_dir;
  o.worker_path = cfg.worker_path;
  o.plugin_dirs = cfg.plugin_dirs;
  o.history_bars = cfg.history_bars;
  o.max_series = static_cast<uint32_t>(data.size() + 8);
  o.eval_budget = std::chrono::milliseconds(30000);
  const std::string stem = fs::path(cfg.strategy_file).stem().string();
  if (cfg.params.is_object() && !cfg.params.empty()) o.params[stem] = cfg.params;
  auto rt_or = lua::StrategyRuntime::Create(o);
  if (!rt_or.ok()) return rt_or.status();
  lua::StrategyRuntime& rt = **rt_or;
  for (const auto& s : data) {
    auto it = cfg.sectors.find(s.symbol);
    rt.SetInstrument(s.symbol, {"equity", it == cfg.sectors.end() ? "" : it->second, ""});
  }
  const std::string file = fs::absolute(cfg.strategy_file).lexically_normal().string();
  lua::StrategyStatus st = rt.LoadFile(file, true);
  if (st.state != "running")
    return InvalidArgument("backtest: strategy refused: " + st.last_error);
  const std::string decl_tf = st.declaration.value("timeframe", std::string());
  if (decl_tf != market::TimeframeName(tf))
    return InvalidArgument("backtest: " + st.name + " runs on " + decl_tf + " bars, the data is " +
                           std::string(market::TimeframeName(tf)));

  BacktestResult res;
  res.strategy = st.name;
  res.version = st.version;
  res.params = nlohmann::json::object();
  const nlohmann::json declared = st.declaration.value("params", nlohmann::json::object());
  for (const auto& [k, p] : declared.items())
    if (p.is_object() && p.contains("value")) res.params[k] = p["value"];
  for (const auto& s : data) res.symbols.push_back(s.symbol);

  // The simulated clock: every bar end in [from, to] of any series.
  std::vector<int64_t> timeline;
  for (const auto& s : data)
    for (int64_t t : s.ts)
      if (t >= cfg.from && t <= cfg.to) timeline.push_back(t);
  std::sort(timeline.begin(), timeline.end());
  timeline.erase(std::unique(timeline.begin(), timeline.end()), timeline.end());
  if (timeline.empty())
    return InvalidArgument("backtest: no bars between " + UtcDate(cfg.from == INT64_MIN ? 0 : cfg.from) +
                           " and " + UtcDate(cfg.to == INT64_MAX ? 0 : cfg.to));
  res.from = timeline.front();
  res.to = timeline.back();

  // cursor[i]: index of the first bar of series i not yet shown.
  std::vector<size_t> cursor(data.size());
  for (size_t i = 0; i < data.size(); ++i)
    cursor[i] = std::lower_bound(data[i].ts.begin(), data[i].ts.end(), res.from) - data[i].ts.begin();
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < data.size(); ++i) index_of[data[i].symbol] = i;

  RiskManager risk(cfg.risk);
  double cash = cfg.initial_equity, peak = cfg.initial_equity, equity = cfg.initial_equity;
  std::map<size_t, Position> open;            // by series
  std::map<size_t, PendingEntry> pending;     // by series
  const int lookback = cfg.risk.correlation_lookback;

  auto close_position = [&](Position& p, const LifecycleStep& step, double volume) {
    const bool is_long = p.qty > 0;
    Fill f = SimulateFill(!is_long, step.exit_price, std::abs(p.qty), volume, cfg.costs);
    cash += p.qty * f.price - f.fees;
    BacktestTrade t;
    t.symbol = p.sig.symbol;
    t.side = p.sig.side;
    t.signal_ts = p.signal_ts;
    t.entry_ts = p.entry_ts;
    t.entry_price = p.sig.entry;
    t.quantity = std::abs(p.qty);
    t.exit_ts = step.exit_at;
    t.exit_price = f.price;
    t.status = step.status;
    t.exit_reason = step.exit_reason;
    t.fees = p.entry_fees + f.fees;
    t.pnl = p.qty * (f.price - p.sig.entry) - t.fees;
    t.pnl_pct = t.pnl / (t.quantity * p.sig.entry) * 100.0;
    t.size_pct = p.size_pct;
    t.confidence = p.confidence;
    t.mfe_pct = step.mfe_pct;
    t.mae_pct = step.mae_pct;
    res.trades.push_back(std::move(t));
  };

  std::vector<std::string> closed_syms;
  std::vector<size_t> closed_idx;
  const size_t progress_every = std::max<size_t>(1, timeline.size() / 200);
  for (size_t step_i = 0; step_i < timeline.size(); ++step_i) {
    const int64_t t = timeline[step_i];
    if (cfg.cancel && cfg.cancel->load()) return Status(SF_ERR_CANCELLED, "backtest cancelled");
    closed_syms.clear();
    closed_idx.clear();
    for (size_t i = 0; i < data.size(); ++i)
      if (cursor[i] < data[i].size() && data[i].ts[cursor[i]] == t) closed_idx.push_back(i);

    // 1-2. Fills at the open, then the lifecycle of open positions.
    for (size_t i : closed_idx) {
      const market::BarSeries& s = data[i];
      const size_t k = cursor[i];
      const BarView bar{t, s.open[k], s.high[k], s.low[k], s.close[k]};
      auto op = open.find(i);
      if (op != open.end() && op->second.close_next_open) {
        LifecycleStep step = CloseAt(op->second.sig, t, bar.open, kStatusManuallyClosed,
                                     "opposite_signal");
        close_position(op->second, step, s.volume[k]);
        open.erase(op);
        op = open.end();
      }
      auto pe = pending.find(i);
      if (pe != pending.end()) {
        const lua::Intent& in = pe->second.intent;
        const bool buy = in.side == "buy";
        const bool gapped = buy ? (bar.open <= in.stop || bar.open >= in.target)
                                : (bar.open >= in.stop || bar.open <= in.target);
        if (gapped || op != open.end()) {
          ++res.rejections["skipped_gap"];
          for (auto it = res.signals.rbegin(); it != res.signals.rend(); ++it)
            if (it->symbol == in.symbol && it->bar_ts == in.bar_ts) {
              it->verdict = "skipped_gap";
              break;
            }
        } else {
          Fill f = SimulateFill(buy, bar.open, pe->second.qty, s.volume[k], cfg.costs);
          Position p;
          p.series = i;
          p.qty = buy ? pe->second.qty : -pe->second.qty;
          p.entry_fees = f.fees;
          p.size_pct = pe->second.size_pct;
          p.confidence = in.confidence;
          p.signal_ts = in.bar_ts;
          p.entry_ts = t;
          p.sig.id = in.symbol + "@" + std::to_string(in.bar_ts);
          p.sig.symbol = in.symbol;
          p.sig.side = in.side;
          p.sig.entry = f.price;
          p.sig.target = in.target;
          p.sig.stop = in.stop;
          if (in.expiry_bars > 0) p.sig.expires_at = in.expires_at;
          p.sig.opened_at = in.bar_ts;
          p.sig.last_price = f.price;
          cash -= p.qty * f.price + f.fees;
          op = open.emplace(i, std::move(p)).first;
        }
        pending.erase(pe);
      }
      if (op != open.end()) {
        LifecycleStep step = Advance(op->second.sig, bar);
        if (step.closed) {
          close_position(op->second, step, s.volume[k]);
          open.erase(op);
        }
      }
    }

    // 3. Mark to market at the closes of t.
    equity = cash;
    for (const auto& [i, p] : open) {
      size_t k = cursor[i] < data[i].size() && data[i].ts[cursor[i]] == t ? cursor[i]
                 : cursor[i] > 0 ? cursor[i] - 1 : 0;
      equity += p.qty * data[i].close[k];
    }
    peak = std::max(peak, equity);
    res.equity.push_back({t, equity});

    // 4. The strategy sees exactly the bars complete at t.
    for (size_t i : closed_idx) {
      Status u = rt.UpdateSeries(data[i], static_cast<int64_t>(cursor[i] + 1));
      if (!u.ok()) return Status(u.code(), "backtest: " + data[i].symbol + ": " + u.message());
      closed_syms.push_back(data[i].symbol);
      ++res.bars;
    }
    for (size_t i : closed_idx) ++cursor[i];
    if (closed_syms.empty()) continue;
    lua::BarResult br = rt.OnBarClose({tf, t, closed_syms, {}});
    for (const auto& e : br.errors) {
      if (res.errors.size() < 100)
        res.errors.push_back(UtcDate(t) + " " + e.symbol + ": " + e.message);
      if (e.symbol.empty()) {
        auto now = rt.FindStatus(file);
        if (now && now->state != "running")
          return Internal("backtest: strategy " + st.name + " stopped at " + UtcDate(t) + ": " +
                          now->last_error);
      }
    }
    res.rejections["invalid_intent"] += 0;
    for (const auto& p : br.rejected) {
      ++res.rejections["invalid_intent"];
      if (res.errors.size() < 100) res.errors.push_back(UtcDate(t) + " " + p.message);
    }

    // 5. Intents through the risk manager, most confident first.
    std::vector<lua::Intent>& intents = br.intents;
    std::stable_sort(intents.begin(), intents.end(),
                     [](const lua::Intent& a, const lua::Intent& b) { return a.confidence > b.confidence; });
    for (lua::Intent& in : intents) {
      BacktestSignal sig{in.symbol, in.side, in.bar_ts, in.confidence, in.entry, in.target,
                         in.stop, "", in.features};
      auto si = index_of.find(in.symbol);
      if (si == index_of.end()) continue;
      const size_t i = si->second;
      auto op = open.find(i);
      if (op != open.end() && op->second.sig.side != in.side) {
        op->second.close_next_open = true;
        sig.verdict = "opposite_close";
        res.signals.push_back(std::move(sig));
        continue;
      }
      PortfolioState ps;
      ps.equity = equity;
      ps.peak_equity = peak;
      const size_t last = cursor[i] - 1;
      for (const auto& [j, p] : open) {
        auto sec = cfg.sectors.find(data[j].symbol);
        OpenPosition pos{data[j].symbol, p.sig.side,
                         sec == cfg.sectors.end() ? "" : sec->second,
                         std::abs(p.qty) * data[j].close[cursor[j] - 1] / equity * 100.0, {}};
        pos.returns = RecentReturns(data[j], cursor[j] - 1, lookback);
        ps.positions.push_back(std::move(pos));
      }
      for (const auto& [j, pe] : pending) {
        auto sec = cfg.sectors.find(data[j].symbol);
        OpenPosition pos{data[j].symbol, pe.intent.side,
                         sec == cfg.sectors.end() ? "" : sec->second, pe.size_pct, {}};
        pos.returns = RecentReturns(data[j], cursor[j] - 1, lookback);
        ps.positions.push_back(std::move(pos));
      }
      Candidate c;
      c.symbol = in.symbol;
      c.side = in.side;
      auto sec = cfg.sectors.find(in.symbol);
      if (sec != cfg.sectors.end()) c.sector = sec->second;
      c.confidence = in.confidence;
      c.entry = in.entry;
      c.target = in.target;
      c.stop = in.stop;
      if (!ps.positions.empty()) c.returns = RecentReturns(data[i], last, lookback);
      RiskDecision d = risk.Evaluate(c, ps);
      if (!d.accepted) {
        ++res.rejections[d.rule];
        sig.verdict = d.rule;
        res.signals.push_back(std::move(sig));
        continue;
      }
      sig.verdict = "accepted";
      res.signals.push_back(std::move(sig));
      PendingEntry pe;
      pe.series = i;
      pe.size_pct = d.size_pct;
      pe.qty = equity * d.size_pct / 100.0 / in.entry;
      pe.intent = std::move(in);
      pending[i] = std::move(pe);
    }
    if (cfg.progress && (step_i % progress_every == 0 || step_i + 1 == timeline.size()))
      cfg.progress(static_cast<double>(step_i + 1) / timeline.size());
  }

  // Whatever is still open closes at its last close.
  for (auto& [i, p] : open) {
    const market::BarSeries& s = data[i];
    const size_t k = cursor[i] - 1;
    LifecycleStep step = CloseAt(p.sig, s.ts[k], s.close[k], kStatusManuallyClosed, "end_of_data");
    close_position(p, step, s.volume[k]);
  }
  if (!open.empty()) {
    res.equity.back().equity = cash;
    open.clear();
  }
  std::stable_sort(res.trades.begin(), res.trades.end(),
                   [](const BacktestTrade& a, const BacktestTrade& b) { return a.exit_ts < b.exit_ts; });

  std::vector<const market::BarSeries*> universe;
  for (const auto& s : data) universe.push_back(&s);
  for (const auto& p : EqualWeightIndex(universe))
    if (p.ts >= res.from && p.ts <= res.to) res.benchmark.push_back(p);
  res.stats = ComputeStats(ToClosedTrades(res.trades), res.equity, res.benchmark);
  res.steps = static_cast<int64_t>(timeline.size());
  if (res.rejections["invalid_intent"] == 0) res.rejections.erase("invalid_intent");
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return res;
}

}  // namespace sf::engine
