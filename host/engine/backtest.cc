#include "engine/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <future>
#include <iterator>
#include <thread>
#include <unordered_map>

#include "engine/lifecycle.h"
#include "lua/strategy_runtime.h"

namespace sf::engine {
namespace {

namespace fs = std::filesystem;

struct Position {
  bool active = false;
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
  bool active = false;
  size_t series = 0;
  size_t signal = 0;        // index of its BacktestSignal (for a skip verdict)
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

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec / 1e9;
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

nlohmann::json BacktestSignal::ToJson() const {
  return {{"symbol", symbol},         {"side", side},           {"bar_ts", bar_ts / 1000},
          {"date", UtcDate(bar_ts)},  {"confidence", confidence}, {"entry", entry},
          {"target", target},         {"stop", stop},           {"verdict", verdict},
          {"features", features.is_null() ? nlohmann::json::object() : features}};
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
                      {"strategy_seconds", strategy_seconds},
                      {"simulation_seconds", simulation_seconds},
                      {"simulation_cpu_seconds", simulation_cpu_seconds},
                      {"worker_seconds", worker_seconds},
                      {"workers", workers},
                      {"signals", signals.size()}};
  nlohmann::json tr = nlohmann::json::array();
  for (const auto& t : trades) tr.push_back(t.ToJson());
  j["trades"] = std::move(tr);
  if (with_series) {
    nlohmann::json sg = nlohmann::json::array();
    // Capped: the API stores this document as one JSONB row.
    constexpr size_t kMaxSignalDetails = 5000;
    for (size_t i = 0; i < signals.size() && i < kMaxSignalDetails; ++i) sg.push_back(signals[i].ToJson());
    j["signal_details"] = std::move(sg);
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
  for (const auto& f : cfg.features)
    if (f.ts.size() != f.values.size() || !std::is_sorted(f.ts.begin(), f.ts.end()))
      return InvalidArgument("backtest: feature series " + f.set + "." + f.name + " (" + f.scope +
                             "): needs one value per time and ascending times");

  lua::RuntimeOptions o;
  o.scripts_dir = fs::absolute(cfg.strategy_file).parent_path().string();
  o.lib_dir = cfg.lib_dir;
  o.worker_path = cfg.worker_path;
  o.plugin_dirs = cfg.plugin_dirs;
  o.models = cfg.models;
  o.history_bars = cfg.history_bars;
  o.max_series = static_cast<uint32_t>(data.size() + 8);
  {  // each series whole in the arena: EvaluateRange needs it, and both modes
     // then compute indicators from the same first bar
    size_t longest = 0;
    for (const auto& s : data) longest = std::max(longest, s.size());
    o.series_capacity = static_cast<int>(std::max<size_t>(longest, 2 * static_cast<size_t>(cfg.history_bars)));
  }
  o.eval_budget = std::chrono::milliseconds(30000);
  // Range chunks of 100k symbol-bars: each chunk costs every worker a round
  // trip and the host a merge (20k-bar chunks made the SMA-crossover
  // benchmark ~10 % slower, 200k-bar ones left the host's last chunk
  // unoverlapped); a runaway strategy is still killed after 30 s + 200 us per
  // symbol-bar of its chunk.
  o.range_chunk_bars = 100000;
  o.range_workers = cfg.workers > 0 ? cfg.workers
                                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
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
  {
    std::vector<std::span<const int64_t>> lists;
    for (const auto& s : data) {
      auto lo = std::lower_bound(s.ts.begin(), s.ts.end(), cfg.from);
      auto hi = std::upper_bound(lo, s.ts.end(), cfg.to);
      lists.emplace_back(s.ts.data() + (lo - s.ts.begin()), static_cast<size_t>(hi - lo));
    }
    for (const market::TimeCount& t : market::UnionOfTimes(lists)) timeline.push_back(t.ts);
  }
  if (timeline.empty())
    return InvalidArgument("backtest: no bars between " + UtcDate(cfg.from == INT64_MIN ? 0 : cfg.from) +
                           " and " + UtcDate(cfg.to == INT64_MAX ? 0 : cfg.to));
  res.from = timeline.front();
  res.to = timeline.back();

  // first[i]: index of the first bar of series i inside the period.
  std::vector<size_t> first(data.size());
  for (size_t i = 0; i < data.size(); ++i)
    first[i] = std::lower_bound(data[i].ts.begin(), data[i].ts.end(), res.from) - data[i].ts.begin();
  std::unordered_map<std::string, size_t> index_of;
  for (size_t i = 0; i < data.size(); ++i) index_of[data[i].symbol] = i;
  std::vector<std::string> sector_of(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    auto sec = cfg.sectors.find(data[i].symbol);
    if (sec != cfg.sectors.end()) sector_of[i] = sec->second;
  }

  // Phase two, the simulation over the strategy's output, is set up first:
  // run_steps(upto) advances it over the bar times <= upto whose output is
  // in `outputs`.
  std::vector<std::pair<int64_t, lua::BarResult>> outputs;
  const double strategy_share = 0.9;  // of the progress bar
  RiskManager risk(cfg.risk);
  risk.set_explain(false);  // verdicts keep the rule; no sentence is shown
  double cash = cfg.initial_equity, peak = cfg.initial_equity, equity = cfg.initial_equity;
  // Positions and entry orders by series; the *_list vectors hold the
  // series that have one, ascending, so scans cost O(open), not O(symbols).
  std::vector<Position> open(data.size());
  std::vector<PendingEntry> pending(data.size());
  std::vector<size_t> open_list, pending_list;
  auto list_insert = [](std::vector<size_t>& l, size_t i) {
    auto it = std::lower_bound(l.begin(), l.end(), i);
    if (it == l.end() || *it != i) l.insert(it, i);
  };
  auto list_erase = [](std::vector<size_t>& l, size_t i) {
    auto it = std::lower_bound(l.begin(), l.end(), i);
    if (it != l.end() && *it == i) l.erase(it);
  };
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
    p.active = false;
    list_erase(open_list, p.series);
  };

  // Bars of the period in time order: series i's bars at or after cursor[i].
  // next_ts[i]: time of that bar (INT64_MAX past the end), contiguous so the
  // per-step scan touches one cache line per 8 series.
  std::vector<size_t> cursor = first;
  std::vector<int64_t> next_ts(data.size());
  for (size_t i = 0; i < data.size(); ++i)
    next_ts[i] = cursor[i] < data[i].size() ? data[i].ts[cursor[i]] : INT64_MAX;
  std::vector<size_t> busy;  // series with a position or an entry order and a bar at t
  busy.reserve(data.size());
  res.equity.reserve(timeline.size());
  size_t out_i = 0;
  PortfolioState ps;  // built once per bar that has intents, then kept current
  const size_t progress_every = std::max<size_t>(1, timeline.size() / 50);
  size_t step_i = 0;
  bool evaluation_done = false;  // progress of the simulation is shown after the strategy's
  double simulation_cpu = 0;
  auto run_steps = [&](int64_t upto) -> Status {
    const double cpu0 = ThreadCpuSeconds();
    for (; step_i < timeline.size() && timeline[step_i] <= upto; ++step_i) {
      const int64_t t = timeline[step_i];
      if (cfg.cancel && (step_i & 1023) == 0 && cfg.cancel->load())
        return Status(SF_ERR_CANCELLED, "backtest cancelled");
      // Only series with a position or an order do anything at the open; in
      // series order, as a scan of every closing series would visit them.
      busy.clear();
      std::set_union(open_list.begin(), open_list.end(), pending_list.begin(), pending_list.end(),
                     std::back_inserter(busy));
      std::erase_if(busy, [&](size_t i) { return next_ts[i] != t; });

      // 1-2. Fills at the open, then the lifecycle of open positions.
      for (size_t i : busy) {
        const market::BarSeries& s = data[i];
        const size_t k = cursor[i];
        const BarView bar{t, s.open[k], s.high[k], s.low[k], s.close[k]};
        Position& op = open[i];
        if (op.active && op.close_next_open) {
          LifecycleStep step = CloseAt(op.sig, t, bar.open, kStatusManuallyClosed, "opposite_signal");
          close_position(op, step, s.volume[k]);
        }
        PendingEntry& pe = pending[i];
        if (pe.active) {
          const lua::Intent& in = pe.intent;
          const bool buy = in.side == "buy";
          const bool gapped = buy ? (bar.open <= in.stop || bar.open >= in.target)
                                  : (bar.open >= in.stop || bar.open <= in.target);
          if (gapped || op.active) {
            ++res.rejections["skipped_gap"];
            res.signals[pe.signal].verdict = "skipped_gap";
          } else {
            Fill f = SimulateFill(buy, bar.open, pe.qty, s.volume[k], cfg.costs);
            Position p;
            p.active = true;
            p.series = i;
            p.qty = buy ? pe.qty : -pe.qty;
            p.entry_fees = f.fees;
            p.size_pct = pe.size_pct;
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
            op = std::move(p);
            list_insert(open_list, i);
          }
          pe.active = false;
          list_erase(pending_list, i);
        }
        if (op.active) {
          LifecycleStep step = Advance(op.sig, bar);
          if (step.closed) close_position(op, step, s.volume[k]);
        }
      }

      // 3. Mark to market at the closes of t.
      equity = cash;
      for (size_t i : open_list) {
        size_t k = next_ts[i] == t ? cursor[i] : cursor[i] > 0 ? cursor[i] - 1 : 0;
        equity += open[i].qty * data[i].close[k];
      }
      peak = std::max(peak, equity);
      res.equity.push_back({t, equity});
      for (size_t i = 0; i < data.size(); ++i)
        if (next_ts[i] == t) {
          ++cursor[i];
          next_ts[i] = cursor[i] < data[i].size() ? data[i].ts[cursor[i]] : INT64_MAX;
        }

      // 4. The strategy's output for bar t.
      while (out_i < outputs.size() && outputs[out_i].first < t) ++out_i;
      if (out_i >= outputs.size() || outputs[out_i].first != t) {
        if (evaluation_done && cfg.progress && step_i % progress_every == 0)
          cfg.progress(strategy_share + (1 - strategy_share) * (step_i + 1) / timeline.size());
        continue;
      }
      lua::BarResult& br = outputs[out_i].second;
      for (const auto& e : br.errors)
        if (res.errors.size() < 100) res.errors.push_back(UtcDate(t) + " " + e.symbol + ": " + e.message);
      for (const auto& p : br.rejected) {
        ++res.rejections["invalid_intent"];
        if (res.errors.size() < 100) res.errors.push_back(UtcDate(t) + " " + p.message);
      }

      // 5. Intents through the risk manager, most confident first.
      std::vector<lua::Intent>& intents = br.intents;
      std::stable_sort(intents.begin(), intents.end(),
                       [](const lua::Intent& a, const lua::Intent& b) { return a.confidence > b.confidence; });
      bool ps_built = false;
      // ps.positions: open positions by series, then entry orders by series.
      auto pending_pos = [&](size_t j) {
        return OpenPosition{data[j].symbol, pending[j].intent.side, sector_of[j], pending[j].size_pct,
                            RecentReturns(data[j], cursor[j] - 1, lookback)};
      };
      for (lua::Intent& in : intents) {
        auto si = index_of.find(in.symbol);
        if (si == index_of.end()) continue;
        res.signals.push_back({in.symbol, in.side, in.bar_ts, in.confidence, in.entry, in.target,
                               in.stop, "", in.features});
        BacktestSignal& sig = res.signals.back();
        const size_t i = si->second;
        Position& op = open[i];
        if (op.active && op.sig.side != in.side) {
          op.close_next_open = true;
          sig.verdict = "opposite_close";
          continue;
        }
        if (!ps_built) {
          ps.equity = equity;
          ps.peak_equity = peak;
          ps.positions.clear();
          for (size_t j : open_list)
            ps.positions.push_back({data[j].symbol, open[j].sig.side, sector_of[j],
                                    std::abs(open[j].qty) * data[j].close[cursor[j] - 1] / equity * 100.0,
                                    RecentReturns(data[j], cursor[j] - 1, lookback)});
          for (size_t j : pending_list) ps.positions.push_back(pending_pos(j));
          ps_built = true;
        }
        Candidate c;
        c.symbol = in.symbol;
        c.side = in.side;
        c.sector = sector_of[i];
        c.confidence = in.confidence;
        c.entry = in.entry;
        c.target = in.target;
        c.stop = in.stop;
        if (!ps.positions.empty()) c.returns = RecentReturns(data[i], cursor[i] - 1, lookback);
        RiskDecision d = risk.Evaluate(c, ps);
        if (!d.accepted) {
          ++res.rejections[d.rule];
          sig.verdict = d.rule;
          continue;
        }
        sig.verdict = "accepted";
        PendingEntry& pe = pending[i];
        const bool replaces = pe.active;
        pe.active = true;
        pe.series = i;
        pe.signal = res.signals.size() - 1;
        pe.size_pct = d.size_pct;
        pe.qty = equity * d.size_pct / 100.0 / in.entry;
        pe.intent = std::move(in);
        list_insert(pending_list, i);
        // Keep ps equal to a fresh build: the entry order sits among the
        // pending ones in series order.
        const size_t pos = open_list.size() + static_cast<size_t>(
            std::lower_bound(pending_list.begin(), pending_list.end(), i) - pending_list.begin());
        if (replaces) ps.positions[pos] = pending_pos(i);
        else ps.positions.insert(ps.positions.begin() + static_cast<std::ptrdiff_t>(pos), pending_pos(i));
      }
      if (evaluation_done && cfg.progress && step_i % progress_every == 0)
        cfg.progress(strategy_share + (1 - strategy_share) * (step_i + 1) / timeline.size());
    }

    simulation_cpu += ThreadCpuSeconds() - cpu0;
    return Status::Ok();
  };

  // Phase one: every bar's strategy output, ascending bar time. In range
  // mode the simulation runs each chunk of bars while the worker evaluates
  // the next one.
  auto strategy_stopped = [&](const lua::BarResult& br, int64_t t) -> Status {
    for (const auto& e : br.errors)
      if (e.symbol.empty()) {
        auto now = rt.FindStatus(file);
        if (now && now->state != "running")
          return Internal("backtest: strategy " + st.name + " stopped at " + UtcDate(t) + ": " +
                          now->last_error);
      }
    return Status::Ok();
  };
  if (cfg.per_bar) {
    std::vector<size_t> cursor = first;
    std::vector<std::string> closed_syms;
    std::vector<size_t> closed_idx;
    std::vector<size_t> feature_at(cfg.features.size(), 0);  // points with ts <= t
    const size_t progress_every = std::max<size_t>(1, timeline.size() / 200);
    for (size_t step_i = 0; step_i < timeline.size(); ++step_i) {
      const int64_t t = timeline[step_i];
      if (cfg.cancel && cfg.cancel->load()) return Status(SF_ERR_CANCELLED, "backtest cancelled");
      closed_syms.clear();
      closed_idx.clear();
      for (size_t i = 0; i < data.size(); ++i)
        if (cursor[i] < data[i].size() && data[i].ts[cursor[i]] == t) closed_idx.push_back(i);
      for (size_t i : closed_idx) {
        Status u = rt.UpdateSeries(data[i], static_cast<int64_t>(cursor[i] + 1));
        if (!u.ok()) return Status(u.code(), "backtest: " + data[i].symbol + ": " + u.message());
        closed_syms.push_back(data[i].symbol);
        ++cursor[i];
      }
      res.bars += static_cast<int64_t>(closed_idx.size());
      lua::BarClose bc{tf, t, closed_syms, nlohmann::json::object()};
      if (!cfg.features.empty()) {
        for (size_t f = 0; f < cfg.features.size(); ++f) {
          const auto& fs_ = cfg.features[f];
          while (feature_at[f] < fs_.ts.size() && fs_.ts[feature_at[f]] <= t) ++feature_at[f];
        }
        for (size_t i : closed_idx) {
          nlohmann::json sets = nlohmann::json::object();
          for (size_t f = 0; f < cfg.features.size(); ++f) {
            const auto& fs_ = cfg.features[f];
            if (feature_at[f] == 0) continue;
            const bool applies = fs_.scope.empty() ||
                                 (fs_.scope.starts_with("sector:") && fs_.scope.substr(7) == sector_of[i]) ||
                                 (fs_.scope.starts_with("symbol:") && fs_.scope.substr(7) == data[i].symbol);
            const double v = fs_.values[feature_at[f] - 1];
            if (applies && std::isfinite(v)) sets[fs_.set][fs_.name] = v;
          }
          if (!sets.empty()) bc.extras[data[i].symbol] = {{"features", std::move(sets)}};
        }
      }
      lua::BarResult br = rt.OnBarClose(bc);
      SF_RETURN_IF_ERROR(strategy_stopped(br, t));
      if (!br.intents.empty() || !br.errors.empty() || !br.rejected.empty())
        outputs.emplace_back(t, std::move(br));
      if (cfg.progress && step_i % progress_every == 0)
        cfg.progress(strategy_share * static_cast<double>(step_i + 1) / timeline.size());
    }
  } else {
    Status u = rt.UpdateSeriesMany(data, o.range_workers);
    if (!u.ok()) return Status(u.code(), "backtest: " + u.message());
    lua::RangeRequest rq;
    rq.file = file;
    rq.timeframe = tf;
    for (const auto& s : data) rq.symbols.push_back(s.symbol);
    rq.from_ts = res.from;
    rq.to_ts = res.to;
    rq.features = cfg.features;
    rq.intent_identity = false;  // res carries the strategy's version
    if (cfg.progress) rq.progress = [&](double share) { cfg.progress(strategy_share * share); };
    rq.cancel = cfg.cancel;
    Status simulated = Status::Ok();
    rq.on_chunk = [&](int64_t upto, std::vector<std::pair<int64_t, lua::BarResult>>& bars) {
      for (auto& b : bars) outputs.push_back(std::move(b));
      simulated = run_steps(upto);
      return simulated.ok();
    };
    auto rr = rt.EvaluateRange(rq);
    SF_RETURN_IF_ERROR(simulated);
    if (!rr.ok()) return Status(rr.status().code(), "backtest: " + rr.status().message());
    if (cfg.cancel && cfg.cancel->load()) return Status(SF_ERR_CANCELLED, "backtest cancelled");
    for (const auto& [t, br] : outputs) SF_RETURN_IF_ERROR(strategy_stopped(br, t));
    res.bars = rr->evaluated;
    res.worker_seconds = rr->worker_seconds;
    res.workers = rr->workers;
  }
  const auto evaluated = std::chrono::steady_clock::now();
  res.strategy_seconds = std::chrono::duration<double>(evaluated - started).count();
  // The runtime (workers, the series arena) is not used past this point:
  // it is torn down on another thread while the simulation finishes (the
  // future waits for it when RunBacktest returns).
  auto teardown = std::async(std::launch::async, [r = std::move(*rt_or)]() mutable { r.reset(); });
  // The benchmark index needs only the bars: it is built on another core
  // while the simulation finishes.
  auto benchmark = std::async(std::launch::async, [&data, &timeline, from = res.from, to = res.to] {
    std::vector<const market::BarSeries*> universe;
    bool whole = true;  // every bar inside the period: the timeline is the union of all times
    for (const auto& s : data) {
      universe.push_back(&s);
      whole = whole && (s.size() == 0 || (s.ts.front() >= from && s.ts.back() <= to));
    }
    return EqualWeightIndex(universe, whole ? &timeline : nullptr);
  });
  evaluation_done = true;
  SF_RETURN_IF_ERROR(run_steps(INT64_MAX));
  // The strategy's output is spent: freeing it (an allocation or more per
  // intent) happens off this thread too.
  auto freed = std::async(std::launch::async, [spent = std::move(outputs)]() mutable {
    std::vector<std::pair<int64_t, lua::BarResult>>().swap(spent);
  });

  // Whatever is still open closes at its last close.
  const bool had_open = !open_list.empty();
  for (size_t i : std::vector<size_t>(open_list)) {
    const market::BarSeries& s = data[i];
    const size_t k = cursor[i] - 1;
    LifecycleStep step = CloseAt(open[i].sig, s.ts[k], s.close[k], kStatusManuallyClosed, "end_of_data");
    close_position(open[i], step, s.volume[k]);
  }
  if (had_open) res.equity.back().equity = cash;
  std::stable_sort(res.trades.begin(), res.trades.end(),
                   [](const BacktestTrade& a, const BacktestTrade& b) { return a.exit_ts < b.exit_ts; });

  for (const auto& p : benchmark.get())
    if (p.ts >= res.from && p.ts <= res.to) res.benchmark.push_back(p);
  res.stats = ComputeStats(ToClosedTrades(res.trades), res.equity, res.benchmark);
  res.steps = static_cast<int64_t>(timeline.size());
  if (res.rejections["invalid_intent"] == 0) res.rejections.erase("invalid_intent");
  if (cfg.progress) cfg.progress(1.0);
  const auto done = std::chrono::steady_clock::now();
  res.simulation_seconds = std::chrono::duration<double>(done - evaluated).count();
  res.simulation_cpu_seconds = simulation_cpu;
  res.seconds = std::chrono::duration<double>(done - started).count();
  return res;
}

}  // namespace sf::engine
