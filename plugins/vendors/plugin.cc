// org.signalforge.vendors: the entry point and registration of the four HTTP
// vendor providers (alphavantage, yahoo, alpaca, binance).
#include "vendors.h"

namespace sf::vendors {

namespace {

#define SF_COMMON_CONFIG_SCHEMA                                                          \
  "\"base_url\":{\"type\":\"string\"},"                                                  \
  "\"connect_timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":5000},"        \
  "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":30000},"               \
  "\"max_body_bytes\":{\"type\":\"integer\",\"minimum\":1024,\"default\":33554432},"     \
  "\"max_redirects\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10,\"default\":0}," \
  "\"max_pages\":{\"type\":\"integer\",\"minimum\":1,\"default\":50},"                   \
  "\"user_agent\":{\"type\":\"string\"},"                                                \
  "\"min_date\":{\"type\":\"string\",\"format\":\"date\",\"default\":\"1980-01-01\"},"   \
  "\"symbols\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                  \
  "\"live_timeframe\":{\"type\":\"string\",\"default\":\"1m\"},"                          \
  "\"poll_interval_ms\":{\"type\":\"integer\",\"minimum\":0,\"default\":60000},"         \
  "\"live_lookback_minutes\":{\"type\":\"integer\",\"minimum\":1,\"default\":15}"

constexpr const char kAlphaVantageMeta[] =
    "{\"description\":\"AlphaVantage TIME_SERIES_DAILY_ADJUSTED and TIME_SERIES_INTRADAY JSON\","
    "\"asset_classes\":[\"equity\"],\"timeframes\":[\"1m\",\"5m\",\"15m\",\"1h\",\"1d\"],"
    "\"bars\":true,\"news\":false,\"live\":true,\"config\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"properties\":{" SF_COMMON_CONFIG_SCHEMA
    ","
    "\"api_key\":{\"type\":\"string\"},\"api_key_env\":{\"type\":\"string\"},"
    "\"outputsize\":{\"enum\":[\"full\",\"compact\"],\"default\":\"full\"},"
    "\"extended_hours\":{\"type\":\"boolean\",\"default\":false}}}}";

constexpr const char kYahooMeta[] =
    "{\"description\":\"Yahoo Finance chart v8 JSON\",\"asset_classes\":[\"equity\",\"index\","
    "\"etf\",\"fx\",\"crypto\"],\"timeframes\":[\"1m\",\"5m\",\"15m\",\"1h\",\"1d\"],"
    "\"bars\":true,\"news\":false,\"live\":true,\"config\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"properties\":{" SF_COMMON_CONFIG_SCHEMA "}}}";

constexpr const char kAlpacaMeta[] =
    "{\"description\":\"Alpaca market data v2 stock bars\",\"asset_classes\":[\"equity\"],"
    "\"timeframes\":[\"1m\",\"5m\",\"15m\",\"1h\",\"4h\",\"1d\"],\"bars\":true,\"news\":false,"
    "\"live\":true,\"config\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"properties\":{" SF_COMMON_CONFIG_SCHEMA
    ","
    "\"key_id\":{\"type\":\"string\"},\"key_id_env\":{\"type\":\"string\"},"
    "\"secret_key\":{\"type\":\"string\"},\"secret_key_env\":{\"type\":\"string\"},"
    "\"feed\":{\"enum\":[\"iex\",\"sip\",\"otc\"],\"default\":\"iex\"},"
    "\"adjustment\":{\"enum\":[\"raw\",\"split\",\"dividend\",\"all\"],\"default\":\"raw\"}}}}";

constexpr const char kBinanceMeta[] =
    "{\"description\":\"Binance spot klines (crypto, 24/7)\",\"asset_classes\":[\"crypto\"],"
    "\"timeframes\":[\"1m\",\"5m\",\"15m\",\"1h\",\"4h\",\"1d\"],\"bars\":true,\"news\":false,"
    "\"live\":true,\"calendar\":\"24/7\",\"config\":{\"type\":\"object\","
    "\"additionalProperties\":false,\"properties\":{" SF_COMMON_CONFIG_SCHEMA
    ","
    "\"api_key\":{\"type\":\"string\"},\"api_key_env\":{\"type\":\"string\"},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000,\"default\":1000}}}}";

const sf_provider_vtable kAlphaVantageVt = ProviderShim<AlphaVantage>::Vtable(kAlphaVantageMeta);
const sf_provider_vtable kYahooVt = ProviderShim<Yahoo>::Vtable(kYahooMeta);
const sf_provider_vtable kAlpacaVt = ProviderShim<Alpaca>::Vtable(kAlpacaMeta);
const sf_provider_vtable kBinanceVt = ProviderShim<Binance>::Vtable(kBinanceMeta);

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* /*config_json*/) {
  sf::sdk::Remember(host);
  if (host == nullptr || !SF_HOST_HAS(host, register_provider)) return SF_ERR_ABI_MISMATCH;
  for (const sf_provider_vtable* vt : {&kAlphaVantageVt, &kYahooVt, &kAlpacaVt, &kBinanceVt}) {
    const sf_status s = host->register_provider(plugin, vt);
    if (s != SF_OK) return s;
  }
  return SF_OK;
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    /*min_host_minor=*/0,
    /*reserved0=*/0,
    "org.signalforge.vendors",
    "0.1.0",
    "HTTP market data vendors",
    "Bars from AlphaVantage, Yahoo Finance chart v8, Alpaca v2 and Binance klines over HTTP(S), "
    "with bounded requests and validated responses",
    "Signalforge",
    "Apache-2.0",
    &Init,
    nullptr,
};

}  // namespace
}  // namespace sf::vendors

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &sf::vendors::kManifest;
}
