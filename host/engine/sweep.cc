#include "engine/sweep.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

namespace sf::engine {
namespace {

nlohmann::json Value(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (!text.empty() && end && *end == '\0' && std::isfinite(v)) return v;
  return text;
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

}  // namespace

StatusOr<ParamGrid> ParamGrid::Parse(const std::vector<std::string>& specs) {
  ParamGrid g;
  for (const auto& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return InvalidArgument("sweep '" + spec + "': expected name=v1,v2 or name=from:to:step");
    std::string name = spec.substr(0, eq), rest = spec.substr(eq + 1);
    for (const auto& [n, v] : g.axes)
      if (n == name) return InvalidArgument("sweep '" + spec + "': " + name + " is given twice");
    std::vector<nlohmann::json> values;
    if (rest.find(':') != std::string::npos) {
      auto parts = SplitOn(rest, ':');
      if (parts.size() != 3)
        return InvalidArgument("sweep '" + spec + "': a range is from:to:step");
      double a, b, step;
      try {
        a = std::stod(parts[0]); b = std::stod(parts[1]); step = std::stod(parts[2]);
      } catch (const std::exception&) {
        return InvalidArgument("sweep '" + spec + "': from, to and step must be numbers");
      }
      if (step == 0 || (b - a) / step < 0)
        return InvalidArgument("sweep '" + spec + "': step must move from " + parts[0] +
                               " towards " + parts[1]);
      double n = std::floor((b - a) / step + 1e-9);
      if (n > 10000) return InvalidArgument("sweep '" + spec + "': more than 10000 values");
      for (int i = 0; i <= static_cast<int>(n); ++i) {
        double v = a + i * step;
        values.push_back(std::round(v * 1e9) / 1e9);
      }
    } else {
      for (const auto& v : SplitOn(rest, ','))
        if (!v.empty()) values.push_back(Value(v));
    }
    if (values.empty()) return InvalidArgument("sweep '" + spec + "': no values");
    g.axes.emplace_back(name, std::move(values));
    if (g.size() > 10000)
      return InvalidArgument("sweep: the grid has more than 10000 combinations");
  }
  return g;
}

size_t ParamGrid::size() const {
  size_t n = 1;
  for (const auto& [name, v] : axes) n *= v.size();
  return n;
}

std::vector<nlohmann::json> ParamGrid::Combinations() const {
  std::vector<nlohmann::json> out;
  const size_t n = size();
  for (size_t k = 0; k < n; ++k) {
    nlohmann::json c = nlohmann::json::object();
    size_t rem = k;
    for (size_t a = axes.size(); a-- > 0;) {
      const auto& [name, vals] = axes[a];
      c[name] = vals[rem % vals.size()];
      rem /= vals.size();
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool IsObjective(const std::string& name) {
  return Objective(PerformanceStats{}, name).ok();
}

StatusOr<double> Objective(const PerformanceStats& s, const std::string& name) {
  if (name == "sharpe") return s.sharpe;
  if (name == "sortino") return s.sortino;
  if (name == "total_return") return s.total_return_pct;
  if (name == "profit_factor") return s.profit_factor;
  if (name == "win_rate") return s.win_rate;
  if (name == "avg_return") return s.avg_return_pct;
  if (name == "calmar")
    return s.max_drawdown_pct > 0 ? s.total_return_pct / s.max_drawdown_pct : s.total_return_pct;
  return InvalidArgument("objective '" + name +
                         "' is not one of sharpe, sortino, total_return, profit_factor, "
                         "win_rate, avg_return, calmar");
}

StatusOr<std::vector<SweepRow>> RunSweep(const BacktestConfig& base,
                                         const std::vector<market::BarSeries>& data,
                                         const ParamGrid& grid, const std::string& objective,
                                         int parallel) {
  if (!IsObjective(objective)) return Objective(PerformanceStats{}, objective).status();
  std::vector<nlohmann::json> combos = grid.Combinations();
  std::vector<SweepRow> rows(combos.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t k = next++; k < combos.size(); k = next++) {
      BacktestConfig cfg = base;
      cfg.progress = nullptr;
      if (parallel > 1) cfg.workers = 1;  // the runs are the parallelism
      if (!cfg.params.is_object()) cfg.params = nlohmann::json::object();
      cfg.params.update(combos[k]);
      SweepRow& row = rows[k];
      row.params = combos[k];
      auto r = RunBacktest(cfg, data);
      if (!r.ok()) {
        row.error = r.status().ToString();
        row.score = -std::numeric_limits<double>::infinity();
        continue;
      }
      row.stats = r->stats;
      row.score = *Objective(r->stats, objective);
      if (std::isnan(row.score)) row.score = -std::numeric_limits<double>::infinity();
    }
  };
  const int n = std::max(1, std::min<int>(parallel, static_cast<int>(combos.size())));
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  std::stable_sort(rows.begin(), rows.end(),
                   [](const SweepRow& a, const SweepRow& b) { return a.score > b.score; });
  return rows;
}

}  // namespace sf::engine
