// Provider failover: a circuit breaker per provider and, per asset class, an
// ordered list of providers of which the first healthy one is used.
//
// The breaker: closed (normal) -> open after `failure_threshold` failures in
// a row (calls are refused for `open_us`) -> half-open (up to
// `half_open_probes` trial calls; `probe_successes` successes close it, a
// failure opens it again). It knows the calendar: silence (no new bars) only
// counts as a failure when the market was open for longer than `silence_us`
// since the last bar, so a quiet weekend or night never trips it.
//
// Backfill: the chain remembers, per symbol, the end of the last bar it got;
// when a provider delivers bars after a hole (an outage, or a switch between
// providers), BackfillWindow says which range the calendar expected and did
// not get, so the caller can fetch it.
//
// Thread-safety: not thread-safe; the market service drives it from one
// thread.
#ifndef SF_MARKET_FAILOVER_H_
#define SF_MARKET_FAILOVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "market/bar_series.h"

namespace sf::market {

class TradingCalendar;

struct BreakerOptions {
  int failure_threshold = 3;
  int64_t open_us = 30'000'000;        // stay open 30 s before probing
  int half_open_probes = 1;            // trial calls allowed while half-open
  int probe_successes = 1;             // successes that close it again
  int64_t silence_us = 300'000'000;    // 5 min of open market without bars
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(BreakerOptions options, std::shared_ptr<const TradingCalendar> calendar);

  // Whether a call may be made now (moves open -> half-open when due, and
  // counts the probe).
  bool Allow(int64_t now_us);
  void RecordSuccess(int64_t now_us);
  void RecordFailure(int64_t now_us, const std::string& reason);
  // A call succeeded but brought no new bar. Counts as a failure only when
  // the calendar was open for more than silence_us since last_bar_end_us.
  void RecordSilence(int64_t now_us, int64_t last_bar_end_us);

  State state(int64_t now_us) const;
  int consecutive_failures() const { return failures_; }
  const std::string& last_error() const { return last_error_; }
  // How long the market was open in (from, to].
  int64_t OpenMicrosBetween(int64_t from_us, int64_t to_us) const;

 private:
  BreakerOptions options_;
  std::shared_ptr<const TradingCalendar> calendar_;
  State state_ = State::kClosed;
  int failures_ = 0;
  int64_t opened_at_ = 0;
  int probes_in_flight_ = 0;
  int probe_successes_ = 0;
  std::string last_error_;
};

const char* BreakerStateName(CircuitBreaker::State s);

struct BackfillRequest {
  std::string symbol;
  int64_t from_us = 0;  // exclusive: end of the last bar held
  int64_t to_us = 0;    // exclusive: first bar of the new delivery
  int64_t missing = 0;  // bars the calendar expected in between
};

class ProviderChain {
 public:
  ProviderChain(std::string asset_class, std::vector<std::string> providers,
                BreakerOptions options, std::shared_ptr<const TradingCalendar> calendar,
                Timeframe timeframe);

  const std::string& asset_class() const { return asset_class_; }
  const std::vector<std::string>& providers() const { return providers_; }
  // The first provider, in order, whose breaker allows a call now; nothing
  // when all are open.
  std::optional<std::string> Select(int64_t now_us);
  CircuitBreaker& breaker(const std::string& provider);
  // Outcome of a call on `provider`.
  void OnFailure(const std::string& provider, int64_t now_us, const std::string& reason);
  // A successful call; `last_bar_end_us` is the newest bar end it brought
  // (0 = none) and drives the silence rule.
  void OnSuccess(const std::string& provider, int64_t now_us, int64_t newest_bar_end_us);
  // Called with the first bar end a delivery brings for `symbol`: returns the
  // range to backfill when the calendar expected bars before it that never
  // came. Advances the symbol's high-water mark to `last_end_us`.
  std::optional<BackfillRequest> OnBars(const std::string& symbol, int64_t first_end_us,
                                        int64_t last_end_us);
  // Sets the high-water mark (e.g. from the store at start).
  void SetLastBarEnd(const std::string& symbol, int64_t end_us);
  std::optional<int64_t> LastBarEnd(const std::string& symbol) const;

 private:
  std::string asset_class_;
  std::vector<std::string> providers_;
  std::map<std::string, CircuitBreaker> breakers_;
  std::shared_ptr<const TradingCalendar> calendar_;
  Timeframe timeframe_;
  std::map<std::string, int64_t> last_end_;
  int64_t newest_any_ = 0;
};

}  // namespace sf::market

#endif  // SF_MARKET_FAILOVER_H_
