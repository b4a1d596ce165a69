// The offline HTML report of a backtest: one self-contained file (inline CSS
// and SVG, no script, no network) with the statistics, the equity curve
// against the benchmark, the drawdown, monthly returns, the trade list and,
// when given, the Monte Carlo bands and the walk-forward windows.
//
// Thread-safety: a pure function.
#ifndef SF_ENGINE_REPORT_HTML_H_
#define SF_ENGINE_REPORT_HTML_H_

#include <map>
#include <string>
#include <vector>

#include "engine/backtest.h"
#include "engine/monte_carlo.h"
#include "engine/walk_forward.h"

namespace sf::engine {

// Month ("YYYY-MM") -> return of the equity curve over that month, percent
// (last equity of the month ÷ last equity of the month before − 1).
std::map<std::string, double> MonthlyReturns(const std::vector<EquityPoint>& equity);

std::string RenderHtmlReport(const BacktestResult& result, const MonteCarloResult* monte_carlo,
                             const WalkForwardResult* walk_forward);

// Text escaped for HTML element content and attribute values.
std::string HtmlEscape(const std::string& s);

}  // namespace sf::engine

#endif  // SF_ENGINE_REPORT_HTML_H_
