// The news providers of org.signalforge.news: "rss" (RSS 2.0 and Atom feeds)
// and "reddit" (subreddit /new listings). Both fetch over the bounded HTTP
// client shared with the vendors plugin, turn entries into sf_news_item with
// tickers extracted, refuse invalid entries with a reason (sink->reject), and
// de-duplicate by id and by URL: within one fetch, and across polls through a
// bounded FIFO of hashes (dedup_capacity, oldest forgotten first).
//
// Instances are not thread-safe (the host serialises calls on one instance).
#ifndef SF_NEWS_NEWS_PROVIDER_H_
#define SF_NEWS_NEWS_PROVIDER_H_

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/config_reader.h"
#include "common/http_client.h"
#include "signalforge/signalforge.hpp"
#include "tickers.h"

namespace sf::news {

// Remembers up to `capacity` keys (as 64-bit hashes); the oldest goes first.
class SeenSet {
 public:
  explicit SeenSet(size_t capacity) : capacity_(capacity) {}
  bool Contains(const std::string& key) const;
  void Insert(const std::string& key);
  size_t size() const { return order_.size(); }

 private:
  size_t capacity_;
  std::deque<uint64_t> order_;
  std::unordered_set<uint64_t> set_;
};

// One news item before it crosses the ABI.
struct Item {
  std::string id, url, title, summary, source, extra_json;
  std::vector<std::string> symbols;
  int64_t published_us = 0;
  double score = std::numeric_limits<double>::quiet_NaN();
  double upvote_ratio = std::numeric_limits<double>::quiet_NaN();
  int64_t comments = -1;
};

// Where one source's items go: validation, then collection.
class ItemSink {
 public:
  ItemSink(std::string who, const sf_data_sink& sink) : who_(std::move(who)), sink_(sink) {}
  void Reject(const std::string& what, const std::string& reason);
  const std::string& who() const { return who_; }

 private:
  std::string who_;
  const sf_data_sink& sink_;
};

class NewsProvider {
 public:
  NewsProvider(std::string kind, sf::vendors::ConfigReader& config, int64_t default_poll_ms);
  virtual ~NewsProvider() = default;

  sf_status FetchNews(const sf_fetch_request* request, const sf_data_sink* sink);
  sf_status Poll(sf_time_us now_us, const sf_data_sink* sink);
  std::string InstrumentsJson() const;

 protected:
  // The sources (feed URLs, subreddits) this instance reads.
  virtual std::vector<std::string> Sources() const = 0;
  // Fetches one source; appends valid items (tickers not yet extracted),
  // reports invalid ones through `out`. Throws sf::sdk::Error on failure.
  virtual void FetchSource(const std::string& source, ItemSink& out, std::vector<Item>* items) = 0;
  // True for failures that make the other sources pointless (same host).
  virtual bool StopsAllSources(sf_status code) const;

  // Checks the common item rules; false after reporting why.
  bool Validate(Item& item, const std::string& where, ItemSink& out) const;
  // Throws the shared mapping of a non-2xx HTTP status (429 -> rate limited
  // with retry-after, 5xx -> unavailable, 401 -> unauthenticated, 403 ->
  // permission, 404 -> not found, other -> invalid argument).
  [[noreturn]] void FailStatus(const std::string& who, const sf::vendors::HttpResponse& response,
                               const std::string& hint) const;

  const std::string kind_;
  sf::vendors::HttpLimits limits_;

 private:
  struct Collected {
    std::vector<Item> items;
    sf_status first_code = SF_OK;
    std::string first_message;
    size_t failed = 0;
    size_t sources = 0;
  };
  Collected Collect(const sf_data_sink& sink, const std::set<std::string>* extra_instruments);
  sf_status Emit(std::vector<Item>& items, const sf_data_sink& sink);
  sf_status Finish(const Collected& c, bool emitted);

  TickerExtractor tickers_;
  SeenSet seen_;
  int64_t poll_interval_us_;
  int64_t last_poll_us_ = std::numeric_limits<int64_t>::min();
};

class RssProvider : public NewsProvider {
 public:
  static constexpr const char* kId = "rss";
  explicit RssProvider(sf::vendors::ConfigReader& config);

 protected:
  std::vector<std::string> Sources() const override { return feeds_; }
  void FetchSource(const std::string& source, ItemSink& out, std::vector<Item>* items) override;
  bool StopsAllSources(sf_status) const override { return false; }

 private:
  std::vector<std::string> feeds_;
  size_t max_items_;
};

class RedditProvider : public NewsProvider {
 public:
  static constexpr const char* kId = "reddit";
  explicit RedditProvider(sf::vendors::ConfigReader& config);

 protected:
  std::vector<std::string> Sources() const override { return subreddits_; }
  void FetchSource(const std::string& source, ItemSink& out, std::vector<Item>* items) override;

 private:
  std::string base_url_;
  std::string access_token_;
  std::vector<std::string> subreddits_;
  int limit_;
};

}  // namespace sf::news

#endif  // SF_NEWS_NEWS_PROVIDER_H_
