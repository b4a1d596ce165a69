// Bars as a provider delivered them: raw (as traded) prices plus the
// split/dividend factor (adjusted = raw * adj_factor), with start and end
// times. The host keeps raw values and derives the adjusted series from them,
// so a corporate action never rewrites what was traded.
//
// Thread-safety: a value type.
#ifndef SF_MARKET_PROVIDER_BARS_H_
#define SF_MARKET_PROVIDER_BARS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "market/bar_series.h"
#include "signalforge/provider.h"

namespace sf::market {

class TradingCalendar;

struct ProviderBars {
  std::string symbol;
  Timeframe timeframe = Timeframe::k1d;
  std::string source;  // provider id
  std::vector<int64_t> ts_start, ts_end;  // µs UTC
  std::vector<double> open, high, low, close, volume;
  // Empty when no row has one; otherwise one per row, NaN where a row has
  // none (the store writes NaN as NULL: "unknown", never a price of 0).
  std::vector<double> vwap;
  std::vector<double> adj_factor;  // empty means 1.0 everywhere

  size_t size() const { return ts_start.size(); }
  void Reserve(size_t n);
  // Appends a batch from a provider (copies; the batch stays the provider's).
  // ts_end is left 0 when the batch has none; see AssignBarEnds.
  void AppendBatch(const sf_bar_batch& batch);
  // Appends the rows of `other` (same symbol and timeframe), padding the
  // optional columns as AppendBatch does.
  void Append(const ProviderBars& other);
  // Keeps the rows whose keep[i] is true (keep.size() == size()).
  void Filter(const std::vector<bool>& keep);
  // Sorts rows by ts_start (stable: equal times keep provider order).
  void SortByStart();
  double Factor(size_t i) const { return adj_factor.empty() ? 1.0 : adj_factor[i]; }
  // The series with OHLC scaled by adj_factor (volume unchanged), stamped
  // with bar end times.
  BarSeries Adjusted() const;
  // The series as traded.
  BarSeries Raw() const;
};

// Stamps bars with their end time from the calendar where the provider did
// not: a 1d bar's ts_start names the trading date (its UTC date) and becomes
// [session open, session close) of that date, early closes included; an
// intraday bar ends tf later, cut at the session close. A 1d bar whose date
// is not a session keeps ts_end 0, which the quality check rejects as
// off-calendar.
void AssignBarEnds(ProviderBars* bars, const TradingCalendar& calendar);

}  // namespace sf::market

#endif  // SF_MARKET_PROVIDER_BARS_H_
