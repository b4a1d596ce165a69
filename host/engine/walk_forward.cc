#include "engine/walk_forward.h"

#include <algorithm>
#include <cmath>

namespace sf::engine {
namespace {
constexpr int64_t kDayUs = 86'400'000'000LL;
}  // namespace

StatusOr<WalkForwardOptions> WalkForwardOptions::Parse(const std::string& spec) {
  WalkForwardOptions o;
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = spec.find(',', start);
    std::string item = spec.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? spec.size() : end + 1;
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos)
      return InvalidArgument("walk-forward '" + item + "': expected key=value (is, oos, mode, objective)");
    std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    if (k == "is" || k == "oos") {
      char* e = nullptr;
      long days = std::strtol(v.c_str(), &e, 10);
      if (v.empty() || *e != '\0' || days < 1 || days > 36500)
        return InvalidArgument("walk-forward " + k + ": must be a whole number of days in [1, 36500], got '" + v + "'");
      (k == "is" ? o.is_days : o.oos_days) = static_cast<int>(days);
    } else if (k == "mode") {
      if (v != "rolling" && v != "anchored")
        return InvalidArgument("walk-forward mode: must be rolling or anchored, got '" + v + "'");
      o.anchored = v == "anchored";
    } else if (k == "objective") {
      if (!IsObjective(v)) return Objective(PerformanceStats{}, v).status();
      o.objective = v;
    } else {
      return InvalidArgument("walk-forward '" + k + "': unknown key (known: is, oos, mode, objective)");
    }
  }
  return o;
}

nlohmann::json WalkForwardResult::ToJson() const {
  nlohmann::json w = nlohmann::json::array();
  for (const auto& x : windows)
    w.push_back({{"is_from", UtcDate(x.is_from)},
                 {"is_to", UtcDate(x.is_to - 1)},
                 {"oos_from", UtcDate(x.oos_from)},
                 {"oos_to", UtcDate(x.oos_to - 1)},
                 {"best_params", x.best_params},
                 {"is_score", std::isfinite(x.is_score) ? nlohmann::json(x.is_score) : nlohmann::json()},
                 {"is_stats", x.is_stats.ToJson()},
                 {"oos_stats", x.oos_stats.ToJson()},
                 {"oos_trades", x.oos_trades},
                 {"error", x.error}});
  return {{"windows", w}, {"stats", stats.ToJson()}, {"trades", trades.size()}};
}

StatusOr<WalkForwardResult> RunWalkForward(const BacktestConfig& base,
                                           const std::vector<market::BarSeries>& data,
                                           const ParamGrid& grid,
                                           const WalkForwardOptions& opt) {
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const auto& s : data)
    if (s.size()) {
      first = std::min(first, s.ts.front());
      last = std::max(last, s.ts.back());
    }
  if (first == INT64_MAX) return InvalidArgument("walk-forward: no bars");
  const int64_t from = std::max(first, base.from), to = std::min(last, base.to);
  const int64_t is_us = opt.is_days * kDayUs, oos_us = opt.oos_days * kDayUs;
  if (from + is_us >= to)
    return InvalidArgument("walk-forward: the period " + UtcDate(from) + ".." + UtcDate(to) +
                           " is shorter than one in-sample window of " +
                           std::to_string(opt.is_days) + " days");
  WalkForwardResult res;
  double level = base.initial_equity;
  res.equity.push_back({from + is_us, level});
  for (int64_t s = from + is_us; s < to; s += oos_us) {
    WalkForwardWindow w;
    w.is_from = opt.anchored ? from : s - is_us;
    w.is_to = s;
    w.oos_from = s;
    w.oos_to = std::min(s + oos_us, to + 1);
    BacktestConfig is_cfg = base;
    is_cfg.progress = nullptr;
    is_cfg.from = w.is_from;
    is_cfg.to = w.is_to - 1;
    auto rows = RunSweep(is_cfg, data, grid, opt.objective, opt.parallel);
    if (!rows.ok()) return rows.status();
    if (rows->empty() || !rows->front().error.empty()) {
      w.error = rows->empty() ? "no combination" : rows->front().error;
      res.windows.push_back(std::move(w));
      continue;
    }
    w.best_params = rows->front().params;
    w.is_score = rows->front().score;
    w.is_stats = rows->front().stats;
    BacktestConfig oos_cfg = base;
    oos_cfg.progress = nullptr;
    oos_cfg.from = w.oos_from;
    oos_cfg.to = w.oos_to - 1;
    if (!oos_cfg.params.is_object()) oos_cfg.params = nlohmann::json::object();
    oos_cfg.params.update(w.best_params);
    auto r = RunBacktest(oos_cfg, data);
    if (!r.ok()) {
      w.error = r.status().ToString();
      res.windows.push_back(std::move(w));
      continue;
    }
    w.oos_stats = r->stats;
    w.oos_trades = static_cast<int>(r->trades.size());
    // Each window starts at initial_equity; chain it onto the level reached so far.
    const double scale = level / base.initial_equity;
    for (const auto& p : r->equity) res.equity.push_back({p.ts, p.equity * scale});
    if (!r->equity.empty()) level = r->equity.back().equity * scale;
    for (auto& t : r->trades) res.trades.push_back(std::move(t));
    res.windows.push_back(std::move(w));
  }
  res.stats = ComputeStats(ToClosedTrades(res.trades), res.equity, {});
  return res;
}

}  // namespace sf::engine
