// The host side of sf_data_sink: receives bars, news and rejections from a
// provider call, checks each batch's shape (a provider's bad batch is
// refused with a reason, never trusted), copies it into ProviderBars and
// hands it to a callback or keeps it.
//
// Ownership: the sink owns what it keeps; sink() points into this object and
// is valid while it lives. Thread-safety: one provider call at a time (the
// SDK says sink functions run on the calling thread only).
#ifndef SF_MARKET_BAR_SINK_H_
#define SF_MARKET_BAR_SINK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "market/provider_bars.h"
#include "signalforge/provider.h"

namespace sf::market {

struct Rejection {
  std::string what;    // "BF.B.csv", "AAPL.csv:17", a symbol
  std::string reason;
  // A whole input (file, symbol) refused, as opposed to one row of it
  // ("FILE:LINE").
  bool whole_input() const;
};

struct NewsItem {
  std::string id, url, title, summary, source, symbols, extra_json;
  int64_t published_us = 0;
  double score = 0, upvote_ratio = 0;
  int64_t comments = -1;
};

// True for a symbol the host accepts: 1-32 of A-Z a-z 0-9 . - _ ^ = / :
bool IsValidSymbol(const std::string& symbol);

class BarSink {
 public:
  // Called with each accepted batch; a non-OK status cancels the provider
  // call (SF_ERR_CANCELLED to the provider). Without a callback, batches are
  // kept (merged per symbol) and returned by TakeBars.
  using BarsFn = std::function<Status(ProviderBars&&)>;
  using NewsFn = std::function<void(std::vector<NewsItem>&&)>;

  explicit BarSink(std::string source, BarsFn on_bars = nullptr, NewsFn on_news = nullptr);
  BarSink(const BarSink&) = delete;
  BarSink& operator=(const BarSink&) = delete;

  const sf_data_sink* sink() const { return &sink_; }
  // Only bars of this timeframe are accepted (others are rejected).
  void ExpectTimeframe(Timeframe tf) { expected_tf_ = tf; has_expected_tf_ = true; }

  // Kept bars of one timeframe by symbol (without `tf`: the lowest
  // timeframe received). Each call hands over what it returns.
  std::map<std::string, ProviderBars> TakeBars(std::optional<Timeframe> tf = std::nullopt);
  std::vector<NewsItem> TakeNews() { return std::move(news_); }
  const std::vector<Rejection>& rejections() const { return rejections_; }
  int64_t bars_received() const { return bars_received_; }
  // The first error a callback returned (the reason a call was cancelled).
  const Status& callback_error() const { return callback_error_; }

 private:
  static sf_status EmitBars(void* self, const sf_bar_batch* batch);
  static sf_status EmitNews(void* self, const sf_news_item* items, int64_t count);
  static void Reject(void* self, const char* what, const char* reason);

  std::string source_;
  BarsFn on_bars_;
  NewsFn on_news_;
  sf_data_sink sink_{};
  bool has_expected_tf_ = false;
  Timeframe expected_tf_ = Timeframe::k1d;
  std::map<Timeframe, std::map<std::string, ProviderBars>> kept_;
  std::vector<NewsItem> news_;
  std::vector<Rejection> rejections_;
  int64_t bars_received_ = 0;
  Status callback_error_;
};

}  // namespace sf::market

#endif  // SF_MARKET_BAR_SINK_H_
