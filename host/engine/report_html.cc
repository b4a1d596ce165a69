#include "engine/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sf::engine {
namespace {

std::string F(double v, int decimals = 2) {
  if (!std::isfinite(v)) return v > 0 ? "&infin;" : "&ndash;";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

constexpr double kW = 900, kH = 260, kPad = 40;

// A polyline path of `pts` scaled into the chart box [ymin, ymax].
std::string Path(const std::vector<EquityPoint>& pts, int64_t t0, int64_t t1, double ymin,
                 double ymax) {
  std::ostringstream o;
  const double span = t1 > t0 ? static_cast<double>(t1 - t0) : 1;
  const double h = ymax > ymin ? ymax - ymin : 1;
  // At most ~1500 vertices: a chart wider than the screen shows nothing more.
  const size_t stride = std::max<size_t>(1, pts.size() / 1500);
  bool first = true;
  auto vertex = [&](const EquityPoint& p) {
    double x = kPad + (static_cast<double>(p.ts - t0) / span) * (kW - 2 * kPad);
    double y = kH - kPad - (p.equity - ymin) / h * (kH - 2 * kPad);
    o << (first ? "M" : "L") << F(x, 1) << "," << F(y, 1);
    first = false;
  };
  for (size_t i = 0; i < pts.size(); i += stride) vertex(pts[i]);
  if (!pts.empty() && (pts.size() - 1) % stride != 0) vertex(pts.back());
  return o.str();
}

std::string Axis(double ymin, double ymax, const std::string& t0, const std::string& t1,
                 const std::string& unit) {
  std::ostringstream o;
  o << "<line x1='" << kPad << "' y1='" << kH - kPad << "' x2='" << kW - kPad << "' y2='"
    << kH - kPad << "' class='ax'/>"
    << "<text x='" << kPad << "' y='" << kH - 12 << "'>" << t0 << "</text>"
    << "<text x='" << kW - kPad << "' y='" << kH - 12 << "' text-anchor='end'>" << t1 << "</text>"
    << "<text x='4' y='" << kPad << "'>" << F(ymax, 1) << unit << "</text>"
    << "<text x='4' y='" << kH - kPad << "'>" << F(ymin, 1) << unit << "</text>";
  return o.str();
}

}  // namespace

std::string HtmlEscape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::map<std::string, double> MonthlyReturns(const std::vector<EquityPoint>& equity) {
  std::map<std::string, double> last;  // month -> last equity
  std::vector<std::string> order;
  for (const auto& p : equity) {
    std::string m = UtcDate(p.ts).substr(0, 7);
    if (!last.count(m)) order.push_back(m);
    last[m] = p.equity;
  }
  std::map<std::string, double> out;
  double prev = equity.empty() ? 0 : equity.front().equity;
  for (const auto& m : order) {
    if (prev > 0) out[m] = (last[m] / prev - 1) * 100;
    prev = last[m];
  }
  return out;
}

std::string RenderHtmlReport(const BacktestResult& r, const MonteCarloResult* mc,
                             const WalkForwardResult* wf) {
  std::ostringstream o;
  const PerformanceStats& s = r.stats;
  o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Backtest "
    << HtmlEscape(r.strategy) << "</title><style>"
    << "body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:980px}"
    << "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 7px;"
       "text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}"
    << "svg{background:#fafafa;border:1px solid #ddd}svg text{font-size:11px;fill:#555}"
    << ".ax{stroke:#999}.eq{fill:none;stroke:#1f6feb;stroke-width:1.5}"
    << ".bm{fill:none;stroke:#999;stroke-width:1;stroke-dasharray:4 3}"
    << ".dd{fill:#d73a49;fill-opacity:.35;stroke:#d73a49}.pos{background:#e6f4ea}.neg{background:#fde8e8}"
    << "</style></head><body>";
  o << "<h1>Backtest: " << HtmlEscape(r.strategy) << "</h1><p>" << UtcDate(r.from) << " to "
    << UtcDate(r.to) << " &middot; " << r.symbols.size() << " symbols &middot; " << r.bars
    << " bars &middot; version <code>" << HtmlEscape(r.version.substr(0, 12))
    << "</code> &middot; params <code>" << HtmlEscape(r.params.dump()) << "</code></p>";

  o << "<h2>Statistics</h2><table id='stats'>";
  auto row = [&](const char* name, const std::string& v) {
    o << "<tr><th class='l'>" << name << "</th><td>" << v << "</td></tr>";
  };
  row("Trades", std::to_string(s.count));
  row("Win rate", F(s.win_rate * 100, 1) + " %");
  row("Average return", F(s.avg_return_pct) + " %");
  row("Median return", F(s.median_return_pct) + " %");
  row("Total return", F(s.total_return_pct) + " %");
  row("Sharpe", F(s.sharpe));
  row("Sortino", F(s.sortino));
  row("Max drawdown", F(s.max_drawdown_pct) + " %");
  row("Profit factor", F(s.profit_factor));
  row("Average holding", F(s.avg_holding_days, 1) + " days");
  row("Alpha (annual)", F(s.alpha_pct) + " %");
  row("Beta", F(s.beta));
  o << "</table>";
  if (!r.rejections.empty()) {
    o << "<p>Signals refused by the risk manager:";
    for (const auto& [rule, n] : r.rejections) o << " " << HtmlEscape(rule) << " " << n << ";";
    o << "</p>";
  }

  // Equity against the benchmark, both rebased to the starting equity.
  if (!r.equity.empty()) {
    const int64_t t0 = r.equity.front().ts, t1 = r.equity.back().ts;
    std::vector<EquityPoint> bench;
    if (!r.benchmark.empty() && r.benchmark.front().equity > 0) {
      const double k = r.equity.front().equity / r.benchmark.front().equity;
      for (const auto& p : r.benchmark) bench.push_back({p.ts, p.equity * k});
    }
    double lo = INFINITY, hi = -INFINITY;
    for (const std::vector<EquityPoint>* v : {&r.equity, static_cast<const std::vector<EquityPoint>*>(&bench)})
      for (const auto& p : *v) { lo = std::min(lo, p.equity); hi = std::max(hi, p.equity); }
    o << "<h2>Equity curve</h2><svg id='equity' viewBox='0 0 " << kW << " " << kH << "' width='"
      << kW << "' height='" << kH << "'>" << Axis(lo, hi, UtcDate(t0), UtcDate(t1), "")
      << "<path class='bm' d='" << Path(bench, t0, t1, lo, hi) << "'/><path class='eq' d='"
      << Path(r.equity, t0, t1, lo, hi) << "'/></svg>"
      << "<p>Blue: strategy. Dashed: equal-weight index of the universe.</p>";

    std::vector<EquityPoint> dd;
    double peak = r.equity.front().equity, worst = 0;
    for (const auto& p : r.equity) {
      peak = std::max(peak, p.equity);
      double d = peak > 0 ? (p.equity / peak - 1) * 100 : 0;
      worst = std::min(worst, d);
      dd.push_back({p.ts, d});
    }
    std::string path = Path(dd, t0, t1, std::min(worst, -1e-9), 0);
    o << "<h2>Drawdown</h2><svg id='drawdown' viewBox='0 0 " << kW << " " << kH << "' width='"
      << kW << "' height='" << kH << "'>" << Axis(worst, 0, UtcDate(t0), UtcDate(t1), " %")
      << "<path class='dd' d='" << path << "L" << kW - kPad << "," << kPad << "L" << kPad << ","
      << kPad << "Z'/></svg>";
  }

  // Monthly returns: a year × month grid.
  std::map<std::string, double> monthly = MonthlyReturns(r.equity);
  if (!monthly.empty()) {
    o << "<h2>Monthly returns (%)</h2><table id='monthly'><tr><th>Year</th>";
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (const char* m : kMonths) o << "<th>" << m << "</th>";
    o << "<th>Year</th></tr>";
    std::string y0 = monthly.begin()->first.substr(0, 4), y1 = monthly.rbegin()->first.substr(0, 4);
    for (int y = std::stoi(y0); y <= std::stoi(y1); ++y) {
      o << "<tr><th>" << y << "</th>";
      double year = 1;
      for (int m = 1; m <= 12; ++m) {
        char key[16];
        std::snprintf(key, sizeof key, "%04d-%02d", y % 10000, m % 100);
        auto it = monthly.find(key);
        if (it == monthly.end()) {
          o << "<td></td>";
          continue;
        }
        year *= 1 + it->second / 100;
        o << "<td class='" << (it->second >= 0 ? "pos" : "neg") << "'>" << F(it->second, 1) << "</td>";
      }
      o << "<td>" << F((year - 1) * 100, 1) << "</td></tr>";
    }
    o << "</table>";
  }

  if (mc && mc->runs > 0) {
    o << "<h2>Monte Carlo (" << mc->runs << " bootstrap sequences of " << mc->trades
      << " trades)</h2><table id='montecarlo'><tr><th class='l'></th><th>p5</th><th>p25</th>"
         "<th>p50</th><th>p75</th><th>p95</th></tr>";
    for (auto [name, b] : {std::pair{"Total return %", &mc->total_return_pct},
                           std::pair{"Max drawdown %", &mc->max_drawdown_pct}})
      o << "<tr><th class='l'>" << name << "</th><td>" << F(b->p5) << "</td><td>" << F(b->p25)
        << "</td><td>" << F(b->p50) << "</td><td>" << F(b->p75) << "</td><td>" << F(b->p95)
        << "</td></tr>";
    o << "</table><p>Probability of ending below the start: " << F(mc->probability_of_loss * 100, 1)
      << " %</p>";
  }

  if (wf && !wf->windows.empty()) {
    o << "<h2>Walk-forward</h2><table id='walkforward'><tr><th class='l'>In sample</th>"
         "<th class='l'>Out of sample</th><th class='l'>Best parameters</th><th>IS score</th>"
         "<th>OOS trades</th><th>OOS return %</th><th>OOS Sharpe</th></tr>";
    for (const auto& w : wf->windows)
      o << "<tr><td class='l'>" << UtcDate(w.is_from) << " &ndash; " << UtcDate(w.is_to - 1)
        << "</td><td class='l'>" << UtcDate(w.oos_from) << " &ndash; " << UtcDate(w.oos_to - 1)
        << "</td><td class='l'>"
        << HtmlEscape(w.error.empty() ? w.best_params.dump() : "failed: " + w.error) << "</td><td>"
        << F(w.is_score) << "</td><td>" << w.oos_trades << "</td><td>"
        << F(w.oos_stats.total_return_pct) << "</td><td>" << F(w.oos_stats.sharpe) << "</td></tr>";
    o << "</table><p>Stitched out-of-sample: " << wf->trades.size() << " trades, return "
      << F(wf->stats.total_return_pct) << " %, Sharpe " << F(wf->stats.sharpe) << ", max drawdown "
      << F(wf->stats.max_drawdown_pct) << " %</p>";
  }

  o << "<h2>Trades (" << r.trades.size() << ")</h2><table id='trades'><tr><th class='l'>Symbol</th>"
       "<th class='l'>Side</th><th class='l'>Entry</th><th>Price</th><th class='l'>Exit</th>"
       "<th>Price</th><th class='l'>Outcome</th><th>Size %</th><th>P&amp;L %</th><th>MFE %</th>"
       "<th>MAE %</th></tr>";
  for (const auto& t : r.trades)
    o << "<tr><td class='l'>" << HtmlEscape(t.symbol) << "</td><td class='l'>" << t.side
      << "</td><td class='l'>" << UtcDate(t.entry_ts) << "</td><td>" << F(t.entry_price)
      << "</td><td class='l'>" << UtcDate(t.exit_ts) << "</td><td>" << F(t.exit_price)
      << "</td><td class='l'>" << HtmlEscape(t.status + " (" + t.exit_reason + ")") << "</td><td>"
      << F(t.size_pct, 1) << "</td><td class='" << (t.pnl_pct >= 0 ? "pos" : "neg") << "'>"
      << F(t.pnl_pct) << "</td><td>" << F(t.mfe_pct) << "</td><td>" << F(t.mae_pct) << "</td></tr>";
  o << "</table></body></html>\n";
  return o.str();
}

}  // namespace sf::engine
