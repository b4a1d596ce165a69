// The synthetic market: a seeded, reproducible universe of equities (default
// 500 symbols across the 11 GICS sectors, plus an equal-weighted index) for
// demos and tests without a network. Part of the synthetic plugin; no host
// code.
//
// Daily model, per trading day (weekdays; sessions 09:30-16:00 New York
// time, US DST rules):
//   r_i = mu + beta_i * m + gamma_i * s_sector(i) + e_i + news_i
// where the market factor m and each idiosyncratic e_i follow GARCH(1,1)
// with Student-t (4 degrees of freedom) shocks (volatility clustering, fat
// tails), the sector factor s adds correlation within a sector, and news_i is
// a sudden drop tied to a headline with a severity (minor, moderate, severe);
// depending on its kind a drop mean-reverts over the following days or not.
// Intraday 1m bars are a Brownian bridge from the day's open to its close
// (the drop happens in the minute the headline is published), seeded per
// (symbol, day), so a daily bar is exactly the aggregate of its minutes and
// any range can be generated on its own. Same seed -> identical data.
//
// Thread-safety: not thread-safe (lazily extends its daily cache).
#ifndef SF_PLUGINS_SYNTHETIC_SYNTHETIC_MARKET_H_
#define SF_PLUGINS_SYNTHETIC_SYNTHETIC_MARKET_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sf::synthetic {

struct MarketConfig {
  uint64_t seed = 42;
  int symbols = 500;
  int64_t epoch_day = 0;        // first simulated trading day (days since 1970)
  double news_rate = 0.003;     // news shocks per symbol per day
  bool index = true;            // add the equal-weighted index "SYNX"
};

struct InstrumentInfo {
  std::string symbol, name, sector, type;
  double beta = 1, gamma = 1;
};

struct NewsEvent {
  int sym = 0;
  int64_t day = 0;
  int minute = 0;              // minute of the session the drop happens in
  double drop = 0;             // log return of the shock (< 0)
  int severity = 0;            // 0 minor, 1 moderate, 2 severe
  bool reverts = false;
  std::string kind, headline;
};

struct Bars {
  std::vector<int64_t> ts_start, ts_end;
  std::vector<double> open, high, low, close, volume;
  void Clear();
  size_t size() const { return ts_start.size(); }
};

class SyntheticMarket {
 public:
  explicit SyntheticMarket(const MarketConfig& config);

  const std::vector<InstrumentInfo>& instruments() const { return instruments_; }
  int FindSymbol(const std::string& symbol) const;  // -1 when unknown

  // Session of a civil day in UTC µs; false on weekends.
  static bool SessionOf(int64_t day, int64_t* open_us, int64_t* close_us);
  static constexpr int kMinutesPerSession = 390;

  // Bars of one symbol whose START lies in [from_us, to_us), appended to out.
  // tf_minutes 1 or 1440 (daily).
  void Generate(int sym, bool daily, int64_t from_us, int64_t to_us, Bars* out);
  // News published in [from_us, to_us).
  std::vector<NewsEvent> News(int64_t from_us, int64_t to_us);
  int64_t epoch_day() const { return config_.epoch_day; }

 private:
  struct DayState {
    // Per symbol: previous close, gap and total log return of the day.
    std::vector<double> prev_close, gap, ret, sigma, volume_base;
  };
  void ExtendTo(int64_t day_index);
  // Calls emit(start_us, open, high, low, close, volume) for every minute of
  // the session, in order; the same draws whatever the caller keeps.
  template <typename Emit>
  void WalkMinutes(int sym, int64_t day_index, Emit&& emit);
  void MinutePath(int sym, int64_t day_index, Bars* out, int64_t from_us, int64_t to_us);
  void DailyBar(int sym, int64_t day_index, double* o, double* h, double* l, double* c, double* v);
  int64_t DayIndex(int64_t day) const;  // trading-day index since epoch, -1 on weekend/before
  int64_t DayOfIndex(int64_t index) const;

  MarketConfig config_;
  std::vector<InstrumentInfo> instruments_;
  int n_ = 0;      // number of stocks (without index)
  int total_ = 0;  // with index
  // Daily state, by trading-day index.
  std::vector<DayState> days_;
  std::vector<double> garch_var_;  // idiosyncratic variance, per stock
  std::vector<double> long_var_;
  double market_var_ = 0;
  std::vector<double> last_close_;
  std::vector<double> revert_left_;   // pending reversion per stock (log)
  std::vector<int> revert_days_;
  std::vector<NewsEvent> news_;       // all generated so far, by day
};

}  // namespace sf::synthetic

#endif  // SF_PLUGINS_SYNTHETIC_SYNTHETIC_MARKET_H_
