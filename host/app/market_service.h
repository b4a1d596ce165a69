// The "market" service of `signalforge serve` (start slot kOrderMarket): runs
// the live market feed. A worker thread polls the first healthy provider of
// each asset class's failover list (market.failover; circuit breakers per
// provider, aware of the trading calendar), checks every bar against the
// quality rules, builds the higher timeframes from 1m bars, releases each
// bar to subscribers (the engine) only once it is complete, and stores the
// completed bars through the store's bar repository in batches. A hole
// left by an outage or a provider switch is backfilled from the provider
// now serving (market::LiveFeed does the per-asset-class work). At start it
// backfills market.live.backfill_days of daily bars. News from the bar
// providers and from the news providers of market.live.news is stored in
// news_events (de-duplicated) and published to news subscribers.
//
//   auto* market = dynamic_cast<sf::app::MarketService*>(ctx.FindService("market"));
//   market->SubscribeBars([](const sf::market::CompletedBar& bar) { ... });
//
// Thread-safety: Subscribe* may be called from any thread (before or after
// Start); callbacks run on the market thread, one at a time, and must not
// block for long. Health() and calendars() are safe from any thread.
#ifndef SF_APP_MARKET_SERVICE_H_
#define SF_APP_MARKET_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/service.h"
#include "market/bar_sink.h"
#include "market/calendar.h"
#include "market/failover.h"
#include "market/live_feed.h"
#include "market/market_config.h"
#include "market/resample.h"
#include "plugins/plugin_call.h"

namespace sf::store { class Pool; }

namespace sf::app {

class MarketService final : public Service {
 public:
  using BarFn = std::function<void(const market::CompletedBar&)>;
  using NewsFn = std::function<void(const market::NewsItem&)>;

  MarketService() = default;
  ~MarketService() override;

  Status Start(Context& ctx) override;
  void Stop() override;
  // {"ready","live","providers":{name:{"state","failures","last_error"}},
  //  "active":{asset_class:provider},"feed_clock","bars_released",
  //  "bars_stored","store_errors","news_stored","news_duplicates",
  //  "quality":{rule:count},"error"?}
  nlohmann::json Health() const override;

  void SubscribeBars(BarFn fn);
  void SubscribeNews(NewsFn fn);
  const market::CalendarSet& calendars() const { return calendars_; }
  // The newest news items (up to 1000), oldest first.
  std::vector<market::NewsItem> RecentNews() const;

 private:
  struct NewsSource {
    std::string name;
    std::unique_ptr<plugins::ProviderInstance> instance;
    std::string last_error;
  };
  void Run();
  void PollNews(NewsSource& source, int64_t wall_now);
  void OnNews(std::vector<market::NewsItem>&& items);
  void StoreBars(const market::ProviderBars& bars);
  void Deliver(const market::CompletedBar& bar);
  void FlushStore(bool force);

  market::MarketSettings settings_;
  market::CalendarSet calendars_;
  std::vector<std::unique_ptr<market::LiveFeed>> feeds_;
  std::vector<NewsSource> news_sources_;
  store::Pool* pool_ = nullptr;

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_;

  mutable std::mutex subs_mu_;
  std::vector<BarFn> bar_subs_;
  std::vector<NewsFn> news_subs_;
  std::vector<market::NewsItem> news_;

  // Store buffers by (symbol, timeframe); market thread only.
  std::map<std::pair<std::string, market::Timeframe>, market::ProviderBars> pending_store_;
  int64_t pending_rows_ = 0;
  int64_t last_flush_us_ = 0;

  mutable std::mutex health_mu_;
  nlohmann::json health_ = nlohmann::json::object();
  std::atomic<int64_t> bars_released_{0}, bars_stored_{0}, store_errors_{0};
  std::atomic<int64_t> news_stored_{0}, news_duplicates_{0};
  std::atomic<int64_t> feed_clock_{0};
  std::string error_;
};

}  // namespace sf::app

#endif  // SF_APP_MARKET_SERVICE_H_
