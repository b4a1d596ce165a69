// The alert rules that watch the market rather than signals: price_cross,
// volume_spike, indicator_threshold (bars) and news. The notify service
// feeds it every completed bar and news item the market service releases;
// it writes an outbox row per matching rule and event, like signal alerts.
//
// What fires (filters: store/alerts_repository.h "Filters of a rule"):
//   price_cross          the close crosses `level` in `direction` (the
//                        reference is the previous close of the series, or
//                        the bar's open for the first bar seen): once per
//                        cross, not on every bar beyond the level;
//   volume_spike         bar volume >= `multiple` (default 3) x the average
//                        of the `lookback` (default 20) bars before it;
//   indicator_threshold  output 0 of indicator plugin `indicator(params)`,
//                        streamed over the series, crosses `value` (op "<":
//                        from >= value to < value; ">": the other way);
//                        warm-up bars give no value and never fire;
//   news                 an item mentioning one of `symbols` (default: the
//                        symbols of the owner's watchlists), with optional
//                        min_score and sentiment / min_abs_sentiment (from
//                        the item's extra_json "sentiment", -1..1).
// Bar rules use the rule's `timeframe`, or else the shortest timeframe the
// feed delivers for that symbol, so one cross is not reported once per
// timeframe. Outbox keys are "<kind>:<rule>:<symbol>:<timeframe>:<bar end>"
// and "news:<rule>:<item id>", so a replayed bar or item adds nothing.
// Series state (previous close, volume window, indicator streams) lives in
// memory: after a restart, volume and indicator rules warm up again.
// Rules are re-read at most every `rules_ttl`; tier and channel checks are
// those of signal alerts (AlertRouter).
//
// Ownership: borrows the pool, channel set and registry (they outlive it).
// Thread-safety: OnBar / OnNews may be called from any thread; calls are
// serialised internally.
#ifndef SF_NOTIFY_ALERT_EVALUATOR_H_
#define SF_NOTIFY_ALERT_EVALUATOR_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"
#include "market/bar_sink.h"
#include "market/resample.h"
#include "notify/channel_set.h"
#include "notify/notify_settings.h"
#include "plugins/plugin_call.h"
#include "plugins/registry.h"
#include "store/alerts_repository.h"
#include "store/outbox_repository.h"
#include "store/pool.h"

namespace sf::notify {

class AlertEvaluator {
 public:
  // `registry` may be null (indicator rules then never fire).
  AlertEvaluator(store::Pool* pool, const ChannelSet* channels, NotifySettings settings,
                 const plugins::Registry* registry,
                 std::chrono::milliseconds rules_ttl = std::chrono::seconds(2));
  ~AlertEvaluator();
  AlertEvaluator(const AlertEvaluator&) = delete;
  AlertEvaluator& operator=(const AlertEvaluator&) = delete;

  // Evaluates the bar rules on one completed bar; enqueues what fired.
  // Returns the number of new outbox rows.
  StatusOr<int> OnBar(const market::CompletedBar& bar);
  // Evaluates the news rules on one item; returns the new outbox rows.
  StatusOr<int> OnNews(const market::NewsItem& item);
  // Later calls do nothing (return 0); waits for a call in progress, so
  // the borrowed pool and channels may go once it returns.
  void Close();

 private:
  struct Series {
    std::optional<double> prev_close;
    std::deque<double> volumes;  // the bars before the current one
    std::unique_ptr<plugins::IndicatorStream> stream;
    bool stream_failed = false;
    std::optional<double> prev_value;
  };
  using SeriesKey = std::tuple<int64_t, std::string, market::Timeframe>;  // rule, symbol, tf
  Status RefreshRules();
  bool Allowed(const store::AlertMatch& m) const;
  std::optional<nlohmann::json> Evaluate(const store::AlertMatch& m,
                                         const market::CompletedBar& bar, Series& s);
  std::set<std::string> WatchedSymbols(const store::AlertMatch& m);

  store::Pool* pool_;
  const ChannelSet* channels_;
  NotifySettings settings_;
  const plugins::Registry* registry_;
  std::chrono::milliseconds rules_ttl_;

  std::mutex mu_;
  bool closed_ = false;
  std::chrono::steady_clock::time_point rules_read_{};
  std::vector<store::AlertMatch> bar_rules_, news_rules_;
  std::map<int64_t, std::set<std::string>> watchlist_symbols_;  // by user, per refresh
  std::map<std::string, market::Timeframe> shortest_;            // by symbol
  std::map<SeriesKey, Series> series_;
};

}  // namespace sf::notify

#endif  // SF_NOTIFY_ALERT_EVALUATOR_H_
