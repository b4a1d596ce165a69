// Market settings from the config (market_config.h).
#include "market/market_config.h"

namespace sf::market {

ProviderSpec MarketSettings::Provider(const std::string& name) const {
  ProviderSpec spec;
  auto it = providers.find(name);
  if (it != providers.end()) {
    spec = it->second;
  } else {
    spec.name = name;
    spec.component = name;
  }
  if (spec.component == "synthetic" && synthetic.is_object()) {
    for (const auto& [k, v] : synthetic.items()) {
      if (!spec.config.contains(k)) spec.config[k] = v;
    }
  }
  return spec;
}

StatusOr<MarketSettings> MarketSettingsFromConfig(
    const nlohmann::json& m, const std::function<std::string(const std::string&)>& resolve) {
  MarketSettings s;
  const nlohmann::json market = m.is_object() ? m : nlohmann::json::object();
  auto bad = [](const std::string& what) { return InvalidArgument("config error at /market" + what); };
  s.calendars_dir = resolve(market.value("calendars_dir", std::string("config/calendars")));
  s.default_calendar = market.value("default_calendar", std::string("nyse"));
  if (auto it = market.find("providers"); it != market.end() && it->is_object()) {
    for (const auto& [name, p] : it->items()) {
      if (!p.is_object() || !p.contains("provider") || !p["provider"].is_string()) {
        return bad("/providers/" + name + ": needs \"provider\": the provider component id");
      }
      ProviderSpec spec;
      spec.name = name;
      spec.component = p["provider"].get<std::string>();
      spec.config = p.value("config", nlohmann::json::object());
      spec.asset_class = p.value("asset_class", std::string("equity"));
      s.providers[name] = std::move(spec);
    }
  }
  if (auto it = market.find("failover"); it != market.end() && it->is_object()) {
    s.failover.clear();
    for (const auto& [cls, list] : it->items()) {
      if (!list.is_array() || list.empty()) return bad("/failover/" + cls + ": must list provider names");
      for (const auto& p : list) {
        if (!p.is_string()) return bad("/failover/" + cls + ": must list provider names");
        s.failover[cls].push_back(p.get<std::string>());
      }
    }
  }
  if (auto it = market.find("breaker"); it != market.end() && it->is_object()) {
    const auto& b = *it;
    s.breaker.failure_threshold = b.value("failure_threshold", s.breaker.failure_threshold);
    s.breaker.open_us = static_cast<int64_t>(b.value("open_seconds", 30.0) * 1e6);
    s.breaker.half_open_probes = b.value("half_open_probes", s.breaker.half_open_probes);
    s.breaker.silence_us = static_cast<int64_t>(b.value("silence_seconds", 300.0) * 1e6);
  }
  if (auto it = market.find("quality"); it != market.end() && it->is_object()) {
    const auto& q = *it;
    s.quality.outlier_z = q.value("outlier_z", s.quality.outlier_z);
    s.quality.outlier_window = q.value("outlier_window", s.quality.outlier_window);
    s.quality.max_future_us = static_cast<int64_t>(q.value("max_future_seconds", 86400.0) * 1e6);
  }
  if (auto it = market.find("synthetic"); it != market.end() && it->is_object()) s.synthetic = *it;
  if (!s.synthetic.contains("speed")) s.synthetic["speed"] = 390;
  if (auto it = market.find("live"); it != market.end() && it->is_object()) {
    const auto& l = *it;
    s.live.enabled = l.value("enabled", true);
    s.live.poll_interval_ms = l.value("poll_interval_ms", 1000);
    s.live.backfill_days = l.value("backfill_days", 5);
    s.live.store = l.value("store", true);
    if (l.contains("timeframes")) {
      s.live.timeframes.clear();
      for (const auto& t : l["timeframes"]) {
        auto tf = t.is_string() ? ParseTimeframe(t.get<std::string>()) : std::nullopt;
        if (!tf) return bad("/live/timeframes: " + t.dump() + " is not one of 1m 5m 15m 1h 4h 1d");
        s.live.timeframes.push_back(*tf);
      }
    }
    if (l.contains("news")) {
      for (const auto& n : l["news"]) {
        if (!n.is_string() || n.get<std::string>().empty()) {
          return bad("/live/news: " + n.dump() + " is not a provider name");
        }
        s.live.news.push_back(n.get<std::string>());
      }
    }
  }
  if (auto it = market.find("universes"); it != market.end() && it->is_object()) s.universes = *it;
  return s;
}

}  // namespace sf::market
