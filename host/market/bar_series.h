// In-memory bar series: the one shape bars take inside the host, between
// providers, the store, indicators and Lua strategies. Columnar so that a
// column can be handed to an indicator (sf_bar_series) or to Lua (an FFI
// view) without copying. Prices are split/dividend-adjusted unless said
// otherwise; timestamps are bar END times in microseconds since the epoch UTC.
//
// Thread-safety: a value type; concurrent reads are safe, writes need
// external synchronisation.
#ifndef SF_MARKET_BAR_SERIES_H_
#define SF_MARKET_BAR_SERIES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signalforge/indicator.h"

namespace sf::market {

enum class Timeframe { k1m, k5m, k15m, k1h, k4h, k1d };

// "1m","5m","15m","1h","4h","1d".
std::string_view TimeframeName(Timeframe tf);
std::optional<Timeframe> ParseTimeframe(std::string_view name);
// Nominal length in microseconds (1d = 86'400'000'000).
int64_t TimeframeMicros(Timeframe tf);

struct BarSeries {
  std::string symbol;
  Timeframe timeframe = Timeframe::k1d;
  std::vector<int64_t> ts;  // bar end, µs since epoch UTC, strictly increasing
  std::vector<double> open, high, low, close, volume;

  size_t size() const { return ts.size(); }
  void Reserve(size_t n) {
    ts.reserve(n); open.reserve(n); high.reserve(n); low.reserve(n);
    close.reserve(n); volume.reserve(n);
  }
  void Append(int64_t t, double o, double h, double l, double c, double v) {
    ts.push_back(t); open.push_back(o); high.push_back(h); low.push_back(l);
    close.push_back(c); volume.push_back(v);
  }
  // A borrowed SDK view of the first `count` bars (all when count < 0).
  sf_bar_series View(int64_t count = -1) const {
    sf_bar_series v{};
    v.struct_size = sizeof(v);
    v.count = count < 0 ? static_cast<int64_t>(size()) : count;
    v.ts = ts.data(); v.open = open.data(); v.high = high.data();
    v.low = low.data(); v.close = close.data(); v.volume = volume.data();
    return v;
  }
};

// A bar time and how many of the merged lists hold it.
struct TimeCount {
  int64_t ts;
  int64_t count;
};

// The union of ascending, duplicate-free time lists (e.g. the ts of many
// series), ascending, with each time's multiplicity. Merges in a balanced
// tree: O(total log lists) at worst, about O(total) when the lists share
// their times (one calendar), where sorting all the times would cost
// O(total log total).
std::vector<TimeCount> UnionOfTimes(const std::vector<std::span<const int64_t>>& lists);

}  // namespace sf::market

#endif  // SF_MARKET_BAR_SERIES_H_
