// Resampling bars to a higher timeframe, and live bar completion.
//
// Buckets follow the instrument's calendar (TradingCalendar::BucketEnd):
// for equities 1h bars run from the session open (09:30-10:30 ... 15:30-16:00)
// and 1d bars are one session each (early closes included); for crypto they
// are aligned to UTC. Bars are stamped with their END time and a bucket is
// complete once the clock has reached its end.
//
// Thread-safety: Resample is reentrant. A BarAggregator is not thread-safe
// (one owner feeds it and drains it).
#ifndef SF_MARKET_RESAMPLE_H_
#define SF_MARKET_RESAMPLE_H_

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "market/bar_series.h"

namespace sf::market {

class TradingCalendar;

// True when bars of `from` can be combined into bars of `to`.
bool CanResample(Timeframe from, Timeframe to);

// Resamples `in` (bar end times, increasing) to `to`. Only buckets whose end
// is <= as_of_us are produced (a bucket still in progress is left out); with
// the default, every bucket that has any bar is produced. Bars outside every
// session are skipped. Open = first open, close = last close, high/low the
// extremes, volume the sum.
StatusOr<BarSeries> Resample(const BarSeries& in, Timeframe to,
                             const TradingCalendar& calendar,
                             int64_t as_of_us = std::numeric_limits<int64_t>::max());

// One completed bar of a live series.
struct CompletedBar {
  std::string symbol;
  Timeframe timeframe = Timeframe::k1m;
  int64_t ts_start = 0, ts_end = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// Builds the higher timeframes of live series from their base bars and
// releases every bar only once it is complete: Release(now) returns the bars
// (base and aggregated) whose end is <= now, oldest first, each exactly once.
class BarAggregator {
 public:
  BarAggregator(std::shared_ptr<const TradingCalendar> calendar, Timeframe base,
                std::vector<Timeframe> targets);

  // Adds a base bar (end time ts_end). A bar older than the last one released
  // for its symbol is refused with SF_ERR_CONFLICT (it would rewrite history).
  Status Add(const std::string& symbol, int64_t ts_end, double open, double high,
             double low, double close, double volume);
  std::vector<CompletedBar> Release(int64_t now_us);
  // Bars held back because they are not complete yet.
  size_t pending() const;

 private:
  struct Bucket {
    int64_t ts_end = 0;
    double open = 0, high = 0, low = 0, close = 0, volume = 0;
    bool empty = true;
  };
  struct SymbolState {
    std::vector<CompletedBar> base_pending;  // base bars not yet released
    std::map<Timeframe, Bucket> buckets;     // open bucket per target
    std::vector<CompletedBar> ready;         // closed buckets awaiting release
    int64_t last_end = std::numeric_limits<int64_t>::min();
  };
  std::shared_ptr<const TradingCalendar> calendar_;
  Timeframe base_;
  std::vector<Timeframe> targets_;
  std::map<std::string, SymbolState> symbols_;
};

}  // namespace sf::market

#endif  // SF_MARKET_RESAMPLE_H_
