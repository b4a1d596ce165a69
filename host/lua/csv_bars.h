// Daily bars from the AlphaVantage TIME_SERIES_DAILY_ADJUSTED CSV layout
// (timestamp,open,high,low,close,adjusted_close,volume,...), as used by
// /work/shared/data/sp500/daily and `signalforge strategy check --data`.
//
// Prices are split- and dividend-adjusted with adjusted_close/close (so a
// strategy never sees a split as a crash). A bar's ts is its session close,
// 21:00 UTC of its date. Rows that do not parse are refused with file:line.
// Thread-safety: free functions, no shared state.
#ifndef SF_LUA_CSV_BARS_H_
#define SF_LUA_CSV_BARS_H_

#include <optional>
#include <string>

#include "base/status.h"
#include "market/bar_series.h"

namespace sf::lua {

StatusOr<market::BarSeries> LoadDailyCsv(const std::string& path, const std::string& symbol);

// "2020-03-16" -> µs at 21:00 UTC that day; std::nullopt when malformed.
std::optional<int64_t> ParseDateToCloseMicros(const std::string& date);

}  // namespace sf::lua

#endif  // SF_LUA_CSV_BARS_H_
