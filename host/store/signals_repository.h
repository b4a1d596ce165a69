// Strategies, their versions, signals and their outbox rows in PostgreSQL.
//
// InsertSignalWithOutbox writes a signal and every outbox row (table
// `deliveries`) in ONE transaction, and announces it with NOTIFY on the
// channels kSignalsChannel (payload: the signal id) and kOutboxChannel;
// PostgreSQL delivers a NOTIFY only when its transaction commits, so nobody
// hears of a signal that was not committed. It is idempotent on the signal's
// unique key (strategy, instrument, timeframe, bar): a re-run returns the
// existing id with created = false and writes no further outbox rows.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_SIGNALS_REPOSITORY_H_
#define SF_STORE_SIGNALS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "market/bar_series.h"
#include "store/pool.h"

namespace sf::store {

inline constexpr const char* kSignalsChannel = "sf_signals";
inline constexpr const char* kOutboxChannel = "sf_outbox";

struct StrategyVersionRef {
  int64_t strategy_id = 0;
  int64_t version_id = 0;
  bool created = false;  // this content hash was new for the strategy
};

class StrategiesRepository {
 public:
  explicit StrategiesRepository(Pool* pool) : pool_(pool) {}
  // The (strategy, version) rows for `name` running `content_hash`,
  // created on first sight. `status` is loaded | rejected | retired.
  StatusOr<StrategyVersionRef> EnsureVersion(const std::string& name,
                                             const std::string& content_hash,
                                             const std::string& source,
                                             const nlohmann::json& params = nlohmann::json::object(),
                                             const std::string& status = "loaded",
                                             const std::optional<std::string>& load_errors = {});

 private:
  Pool* pool_;
};

// A new signal as the engine produced it. Prices are in the instrument's
// currency; times are µs since the epoch UTC.
struct NewSignal {
  int64_t strategy_version_id = 0;
  std::string symbol;
  std::string side;  // buy | sell
  market::Timeframe timeframe = market::Timeframe::k1d;
  int64_t bar_ts = 0;  // END of the bar that produced it
  std::optional<int64_t> expires_at;
  double entry_price = 0;
  double current_price = 0;
  std::optional<double> target_price, stop_price, risk_reward;
  std::optional<double> position_size_pct, max_risk_pct;  // 0..100
  double confidence = 0;                                  // 0..1
  nlohmann::json model_attribution = nlohmann::json::object();
  nlohmann::json features = nlohmann::json::object();
  std::string summary;
  std::optional<int64_t> triggering_news_id;
};

// One outbox row to write with a signal: where to deliver it. The stored
// payload is `payload` with "signal_id" added.
struct OutboxItem {
  std::string event_type = "signal.created";
  std::optional<int64_t> subscription_id{};
  std::string channel{};      // notifier id: webhook, email, telegram, log...
  std::string destination{};  // URL, address, chat id
  nlohmann::json payload = nlohmann::json::object();
};

struct InsertSignalResult {
  std::string signal_id;  // UUID text
  bool created = false;   // false: the signal existed already (re-run)
  int outbox_rows = 0;    // rows written by this call
};

// A stored signal (the columns the engine's position monitor needs).
struct StoredSignal {
  std::string id;
  int64_t strategy_id = 0, strategy_version_id = 0;
  std::string symbol;
  std::string side;
  std::string timeframe;
  int64_t bar_ts = 0, created_at = 0;
  std::optional<int64_t> expires_at;
  double entry_price = 0, current_price = 0, confidence = 0;
  std::optional<double> target_price, stop_price;
  std::string status;
  std::optional<double> exit_price;
  std::optional<int64_t> exit_at;
  std::optional<double> realized_pnl_pct;
};

// How a signal closed.
struct SignalClose {
  std::string status;  // target_reached | stopped_out | expired | manually_closed
  double exit_price = 0;
  std::string exit_reason;
  int64_t exit_at = 0;  // END of the bar that closed it
  double realized_pnl_pct = 0;
  std::optional<double> max_favorable_excursion_pct, max_adverse_excursion_pct;
};

class SignalsRepository {
 public:
  explicit SignalsRepository(Pool* pool) : pool_(pool) {}

  // See the header comment. SF_ERR_NOT_FOUND for an unknown strategy
  // version or symbol, SF_ERR_INVALID_ARGUMENT for a value outside its rule.
  // When this returns OK the signal and its outbox rows are durable.
  StatusOr<InsertSignalResult> InsertSignalWithOutbox(const NewSignal& signal,
                                                      const std::vector<OutboxItem>& outbox);

  StatusOr<StoredSignal> Find(const std::string& id);
  // Open signals, oldest first (the position monitor's work list).
  StatusOr<std::vector<StoredSignal>> ListActive();
  // Closes an active signal; SF_ERR_CONFLICT when it is not active.
  Status Close(const std::string& id, const SignalClose& close);
  // One performance snapshot per bar (idempotent per signal and bar).
  Status RecordPerformance(const std::string& id, int64_t bar_ts, double price,
                           double unrealized_pnl_pct, double days_held);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_SIGNALS_REPOSITORY_H_
