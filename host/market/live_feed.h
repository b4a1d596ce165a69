// The live feed of one asset class: an ordered list of provider instances
// behind a ProviderChain (circuit breaker per provider, calendar-aware
// silence rule). Each Poll asks the first healthy provider for what is new,
// stamps bar ends from the calendar, runs the quality checks, backfills any
// hole the chain finds (an outage, a switch between providers) from the
// provider now serving, builds the higher timeframes from 1m bars and
// releases each bar only once it is complete.
//
// What comes out goes through callbacks (the market service stores and
// publishes it); the feed itself holds no SQL and no threads.
//
//   LiveFeed feed("equity", nyse, std::move(providers), breaker, quality,
//                 {Timeframe::k5m, Timeframe::k1h}, callbacks);
//   feed.BackfillHistory(now, 5);
//   while (running) feed.Poll(WallNow());
//
// Thread-safety: not thread-safe; one thread drives a feed. Callbacks run on
// that thread, inside Poll / BackfillHistory.
#ifndef SF_MARKET_LIVE_FEED_H_
#define SF_MARKET_LIVE_FEED_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/failover.h"
#include "market/provider_bars.h"
#include "market/quality.h"
#include "market/resample.h"
#include "plugins/plugin_call.h"

namespace sf::market {

// One provider of a feed, in failover order.
struct LiveProvider {
  std::string name;  // the instance name of market.providers
  std::unique_ptr<plugins::ProviderInstance> instance;
  // A simulated market runs ahead of the wall clock by this factor; the
  // future-timestamp bound scales with it.
  double speed = 1.0;
};

struct LiveFeedCallbacks {
  // Provider bars that passed the quality checks, in the timeframe the
  // provider delivered (live, backfilled and history alike).
  std::function<void(const ProviderBars&)> store;
  // Every complete bar, once: 1m and provider timeframes as delivered (split
  // adjusted), and the targets built from 1m bars.
  std::function<void(const CompletedBar&)> release;
  std::function<void(std::vector<NewsItem>&&)> news;
  // Provider rejections and quality findings ("level", message).
  std::function<void(const std::string& level, const std::string& message)> log;
};

class LiveFeed {
 public:
  // `providers` must be non-empty, each with an instance that has poll.
  LiveFeed(std::string asset_class, std::shared_ptr<const TradingCalendar> calendar,
           std::vector<LiveProvider> providers, const BreakerOptions& breaker,
           QualityOptions quality, std::vector<Timeframe> targets, LiveFeedCallbacks callbacks);

  // Fetches `days` calendar days of daily bars up to `now_us` from the first
  // healthy provider (stored, not released: history is not news).
  void BackfillHistory(int64_t now_us, int days);
  // One live round at host time `now_us`.
  void Poll(int64_t now_us);

  const std::string& asset_class() const { return asset_class_; }
  const std::shared_ptr<const TradingCalendar>& calendar() const { return calendar_; }
  ProviderChain& chain() { return *chain_; }
  // The provider the last Poll used ("" when every breaker was open).
  const std::string& active() const { return active_; }
  // The newest bar end accepted (the feed's clock; ahead of the wall clock
  // for a sped-up simulated market). 0 before any bar.
  int64_t clock() const { return clock_; }
  // {name: {"state","failures","last_error"}} in failover order.
  nlohmann::json ProviderStates(int64_t now_us) const;
  // The instance of a provider of this feed, or nullptr.
  plugins::ProviderInstance* Instance(const std::string& name);
  const std::vector<LiveProvider>& providers() const { return providers_; }

 private:
  LiveProvider* Find(const std::string& name);
  void Backfill(LiveProvider& p, const std::string& symbol, int64_t from_us, int64_t to_us, Timeframe tf,
                int64_t now_us);
  // Checks and hands on a delivery; returns the newest bar end kept (0: none).
  int64_t Accept(ProviderBars&& bars, bool live, int64_t now_us);
  void Release(int64_t now_us);
  void Log(const std::string& level, const std::string& message);

  std::string asset_class_;
  std::shared_ptr<const TradingCalendar> calendar_;
  std::vector<LiveProvider> providers_;
  std::unique_ptr<ProviderChain> chain_;
  QualityOptions quality_;
  LiveFeedCallbacks callbacks_;
  BarAggregator aggregator_;
  std::vector<CompletedBar> held_;  // provider bars not complete yet (1d...)
  std::vector<BackfillRequest> backfills_;
  std::string active_;
  int64_t clock_ = 0;
};

}  // namespace sf::market

#endif  // SF_MARKET_LIVE_FEED_H_
