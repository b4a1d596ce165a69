// The "market" section of the config (schemas/config.schema.json, $defs/market)
// as typed settings: calendars, named provider instances, failover order per
// asset class, breaker and quality thresholds, the live feed and universes.
//
// Thread-safety: a value type.
#ifndef SF_MARKET_MARKET_CONFIG_H_
#define SF_MARKET_MARKET_CONFIG_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "market/bar_series.h"
#include "market/failover.h"
#include "market/quality.h"

namespace sf::market {

// One provider instance: which component and the config its create() gets.
struct ProviderSpec {
  std::string name;       // as referred to in failover lists and --provider
  std::string component;  // provider component id in the plugin registry
  nlohmann::json config = nlohmann::json::object();
  std::string asset_class = "equity";
};

struct LiveSettings {
  bool enabled = true;
  int poll_interval_ms = 1000;
  int backfill_days = 5;
  bool store = true;
  std::vector<Timeframe> timeframes = {Timeframe::k1m, Timeframe::k5m, Timeframe::k15m,
                                       Timeframe::k1h, Timeframe::k4h, Timeframe::k1d};
  // News provider instances (rss, reddit...) polled beside the bar feeds;
  // their items are stored in news_events and published to subscribers.
  std::vector<std::string> news;
};

struct MarketSettings {
  std::string calendars_dir;  // resolved
  std::string default_calendar = "nyse";
  std::map<std::string, ProviderSpec> providers;
  std::map<std::string, std::vector<std::string>> failover = {{"equity", {"synthetic"}}};
  BreakerOptions breaker;
  QualityOptions quality;  // thresholds only; callers set the clock
  nlohmann::json synthetic = nlohmann::json::object();
  LiveSettings live;
  nlohmann::json universes = nlohmann::json::object();

  // The instance named `name`: a configured one, or the component of that
  // id with an empty config. The synthetic component gets the "synthetic"
  // settings merged in (explicit instance config wins).
  ProviderSpec Provider(const std::string& name) const;
};

// Reads the section (absent keys take their schema defaults). `resolve`
// turns config paths into absolute ones.
StatusOr<MarketSettings> MarketSettingsFromConfig(
    const nlohmann::json& market, const std::function<std::string(const std::string&)>& resolve);

}  // namespace sf::market

#endif  // SF_MARKET_MARKET_CONFIG_H_
