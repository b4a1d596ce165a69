// Read side of signals for the HTTP API: the filtered, cursor-paginated list
// (the hottest read path: one indexed query through a prepared statement,
// joined once, no per-row queries), one signal with everything it points at
// (features, triggering news and its analysis, per-bar performance), and
// performance summaries of closed signals per period and strategy.
//
// Visibility rules (tiers) are passed in as filter fields
// (closed_only / created_before) so the store applies them inside the same
// query; the API decides which values a caller gets.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_SIGNAL_QUERIES_REPOSITORY_H_
#define SF_STORE_SIGNAL_QUERIES_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

// Position in the list: the (created_at, id) of the last row of a page.
struct SignalCursor {
  int64_t created_at = 0;  // µs since the epoch
  std::string id;          // UUID text
};

struct SignalFilter {
  std::optional<std::string> status;    // active | target_reached | ...
  std::optional<std::string> symbol;
  std::optional<std::string> strategy;  // strategy name
  std::optional<double> min_confidence;
  std::optional<std::string> side;      // buy | sell
  std::optional<int64_t> from, to;      // created_at range, µs, inclusive
  bool closed_only = false;             // exclude status 'active'
  std::optional<int64_t> created_before;  // created_at <= this (tier delay)
  std::optional<SignalCursor> after;    // rows strictly after this cursor
  int limit = 50;                       // rows wanted (1..1000)
};

// One signal as the API lists it.
struct SignalRow {
  std::string id;
  std::string strategy;
  std::string strategy_version;  // content hash
  std::string symbol;
  std::string side;
  std::string timeframe;
  int64_t bar_ts = 0, created_at = 0, updated_at = 0;
  std::optional<int64_t> expires_at, exit_at;
  double entry_price = 0, current_price = 0, confidence = 0;
  std::optional<double> target_price, stop_price, risk_reward, position_size_pct, max_risk_pct;
  std::optional<double> exit_price, realized_pnl_pct;
  std::optional<std::string> exit_reason;
  std::string status;
  std::string summary;
};

struct SignalPage {
  std::vector<SignalRow> rows;
  std::optional<SignalCursor> next;  // set when more rows follow
};

struct PerformancePoint {
  int64_t bar_ts = 0;
  double price = 0, unrealized_pnl_pct = 0, days_held = 0;
};

struct SignalDetail {
  SignalRow signal;
  nlohmann::json features = nlohmann::json::object();
  nlohmann::json model_attribution = nlohmann::json::object();
  std::optional<double> max_favorable_excursion_pct, max_adverse_excursion_pct;
  // {id, headline, url, source, published_at, sentiment} or null.
  nlohmann::json triggering_news;
  // Every news_analysis row of the triggering news (may be empty).
  nlohmann::json news_analysis = nlohmann::json::array();
  std::vector<PerformancePoint> performance;
  // {count, ratings_avg, actions: {executed: n, ...}}
  nlohmann::json feedback = nlohmann::json::object();
};

// Statistics over closed signals (realized_pnl_pct), for one group.
struct PerformanceStats {
  std::string key;  // strategy name, or the bucket start (ISO date)
  int64_t count = 0, wins = 0, losses = 0;
  double win_rate = 0, avg_return_pct = 0, median_return_pct = 0, total_return_pct = 0;
  double best_pct = 0, worst_pct = 0, stddev_pct = 0, avg_days_held = 0;
};

struct PerformanceQuery {
  std::optional<int64_t> since;          // exit_at >= since (µs); none: all time
  std::optional<std::string> strategy;   // one strategy only
  std::string grouping = "daily";        // daily | weekly buckets of exit_at
};

struct PerformanceReport {
  PerformanceStats overall;
  std::vector<PerformanceStats> by_strategy;
  std::vector<PerformanceStats> buckets;  // time order
  int64_t active = 0;                     // open signals now (same strategy filter)
};

// A strategy as the admin pages list it, with its newest version.
struct StrategyRow {
  int64_t id = 0;
  std::string name;
  std::string status;  // active | disabled | error
  int64_t updated_at = 0;
  int64_t versions = 0;
  std::optional<std::string> version;         // newest content hash
  std::optional<std::string> version_status;  // loaded | rejected | retired
  std::optional<std::string> load_errors;     // file:line of a refused version
  std::optional<int64_t> version_created_at;
  int64_t signals = 0, active_signals = 0;
};

class SignalQueriesRepository {
 public:
  explicit SignalQueriesRepository(Pool* pool) : pool_(pool) {}

  // Newest first (created_at DESC, id DESC). SF_ERR_INVALID_ARGUMENT when
  // limit is outside 1..1000.
  StatusOr<SignalPage> List(const SignalFilter& filter);
  // SF_ERR_NOT_FOUND for an unknown (or malformed) id.
  StatusOr<SignalDetail> Detail(const std::string& id);
  // Just the row (the API's visibility check before detail or feedback).
  StatusOr<SignalRow> Find(const std::string& id);
  StatusOr<PerformanceReport> Performance(const PerformanceQuery& query);

  // Every strategy by name, with its newest version and signal counts.
  StatusOr<std::vector<StrategyRow>> Strategies();
  // Switches a strategy active/disabled; SF_ERR_NOT_FOUND for an unknown name.
  Status SetStrategyStatus(const std::string& name, const std::string& status);

 private:
  Pool* pool_;
};

// True for 8-4-4-4-12 hex text (ids the signals table can hold).
bool IsUuidText(const std::string& s);

}  // namespace sf::store

#endif  // SF_STORE_SIGNAL_QUERIES_REPOSITORY_H_
