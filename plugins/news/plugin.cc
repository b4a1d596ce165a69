// org.signalforge.news: the entry point and registration of the "rss" and
// "reddit" news providers.
#include "news_provider.h"

namespace sf::news {
namespace {

template <typename T>
struct Shim {
  static sf_status Create(const char* config_json, void** instance) {
    return sf::sdk::Guard([&] {
      if (instance == nullptr)
        throw sf::sdk::Error(SF_ERR_INVALID_ARGUMENT, std::string(T::kId) + ": instance is NULL");
      sf::vendors::ConfigReader reader(config_json, T::kId);
      auto created = std::make_unique<T>(reader);
      reader.Finish();
      *instance = created.release();
    });
  }
  static void Destroy(void* instance) { delete static_cast<T*>(instance); }
  static sf_status ListInstruments(void* instance, char* buf, size_t cap, size_t* needed) {
    return sf::sdk::Guard([&] {
      return sf::sdk::WriteOut(static_cast<T*>(instance)->InstrumentsJson(), buf, cap, needed);
    });
  }
  static sf_status FetchBars(void*, const sf_fetch_request*, const sf_data_sink*) {
    sf::sdk::SetError(
        SF_ERR_UNSUPPORTED,
        std::string(T::kId) + ": a news provider has no bars; use fetch_news or poll");
    return SF_ERR_UNSUPPORTED;
  }
  static sf_status FetchNews(void* instance, const sf_fetch_request* request,
                             const sf_data_sink* sink) {
    return sf::sdk::Guard([&] { return static_cast<T*>(instance)->FetchNews(request, sink); });
  }
  static sf_status Poll(void* instance, sf_time_us now_us, const sf_data_sink* sink) {
    return sf::sdk::Guard([&] { return static_cast<T*>(instance)->Poll(now_us, sink); });
  }
  static sf_provider_vtable Vtable(const char* metadata_json) {
    sf_provider_vtable vt = sf::sdk::Make<sf_provider_vtable>();
    vt.id = T::kId;
    vt.metadata_json = metadata_json;
    vt.create = &Create;
    vt.destroy = &Destroy;
    vt.list_instruments = &ListInstruments;
    vt.fetch_bars = &FetchBars;
    vt.fetch_news = &FetchNews;
    vt.poll = &Poll;
    return vt;
  }
};

#define SF_NEWS_COMMON_SCHEMA                                                            \
  "\"instruments\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                \
  "\"stopwords\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"                  \
  "\"dedup_capacity\":{\"type\":\"integer\",\"minimum\":16,\"default\":50000},"          \
  "\"connect_timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":5000},"        \
  "\"timeout_ms\":{\"type\":\"integer\",\"minimum\":1,\"default\":15000},"               \
  "\"max_body_bytes\":{\"type\":\"integer\",\"minimum\":1024,\"default\":4194304},"      \
  "\"max_redirects\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":10,\"default\":0}," \
  "\"user_agent\":{\"type\":\"string\"}"

constexpr const char kRssMeta[] =
    "{\"description\":\"RSS 2.0 and Atom news feeds with ticker extraction\","
    "\"asset_classes\":[],\"timeframes\":[],\"bars\":false,\"news\":true,\"live\":true,"
    "\"config\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"feeds\"],"
    "\"properties\":{\"feeds\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1},"
    "\"max_items_per_feed\":{\"type\":\"integer\",\"minimum\":1,\"default\":500},"
    "\"poll_interval_ms\":{\"type\":\"integer\",\"minimum\":0,\"default\":300000}"
    "," SF_NEWS_COMMON_SCHEMA "}}}";

constexpr const char kRedditMeta[] =
    "{\"description\":\"Reddit subreddit /new listings (score, comments, upvote ratio) with "
    "ticker extraction\",\"asset_classes\":[],\"timeframes\":[],\"bars\":false,\"news\":true,"
    "\"live\":true,\"config\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"subreddits\"],\"properties\":{"
    "\"subreddits\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1},"
    "\"base_url\":{\"type\":\"string\",\"default\":\"https://www.reddit.com\"},"
    "\"access_token\":{\"type\":\"string\"},\"access_token_env\":{\"type\":\"string\"},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":100},"
    "\"poll_interval_ms\":{\"type\":\"integer\",\"minimum\":0,\"default\":60000}"
    "," SF_NEWS_COMMON_SCHEMA "}}}";

const sf_provider_vtable kRssVt = Shim<RssProvider>::Vtable(kRssMeta);
const sf_provider_vtable kRedditVt = Shim<RedditProvider>::Vtable(kRedditMeta);

sf_status Init(const sf_host_api* host, sf_plugin_handle* plugin, const char* /*config_json*/) {
  sf::sdk::Remember(host);
  if (host == nullptr || !SF_HOST_HAS(host, register_provider)) return SF_ERR_ABI_MISMATCH;
  for (const sf_provider_vtable* vt : {&kRssVt, &kRedditVt}) {
    const sf_status s = host->register_provider(plugin, vt);
    if (s != SF_OK) return s;
  }
  return SF_OK;
}

const sf_plugin_manifest kManifest = {
    SF_MANIFEST_HEADER,
    /*min_host_minor=*/0,
    /*reserved0=*/0,
    "org.signalforge.news",
    "0.1.0",
    "News feeds",
    "News from RSS 2.0 / Atom feeds and Reddit listings, with ticker extraction and "
    "de-duplication",
    "Signalforge",
    "Apache-2.0",
    &Init,
    nullptr,
};

}  // namespace
}  // namespace sf::news

SF_PLUGIN_ENTRY(host) {
  sf::sdk::Remember(host);
  return &sf::news::kManifest;
}
