// Backtest runs and their trades in PostgreSQL (tables backtest_runs and
// backtest_trades of migration 0004).
//
// A run is created "running" before the simulation starts, so a crashed or
// cancelled backtest leaves a visible row; Finish stores the metrics and
// every trade in ONE transaction (one INSERT from a JSON recordset), so a run marked
// "done" always has its complete trade list. The store knows nothing about
// the engine: rows are plain values.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe. The
// Pool must outlive the repository.
#ifndef SF_STORE_BACKTESTS_REPOSITORY_H_
#define SF_STORE_BACKTESTS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "market/bar_series.h"
#include "store/pool.h"

namespace sf::store {

struct BacktestRunRow {
  std::string id;                 // uuid, set by the database
  std::optional<int64_t> user_id;
  std::string strategy_name;
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json universe = nlohmann::json::array();
  std::string timeframe = "1d";
  int64_t period_start = 0;       // µs
  int64_t period_end = 0;         // µs, > period_start
  std::string status;             // queued | running | done | failed | cancelled
  nlohmann::json metrics = nlohmann::json::object();
  std::string error;
};

struct BacktestTradeRow {
  std::string symbol;
  std::string side;               // buy | sell
  double quantity = 0;            // > 0
  int64_t entry_ts = 0;           // µs
  double entry_price = 0;         // > 0
  std::optional<int64_t> exit_ts;
  std::optional<double> exit_price;
  std::string exit_reason;
  std::optional<double> pnl_pct;
  double fees = 0;                // >= 0
};

class BacktestsRepository {
 public:
  explicit BacktestsRepository(Pool* pool) : pool_(pool) {}

  // Inserts the run with status "running" and started_at now; returns its id.
  StatusOr<std::string> Start(const BacktestRunRow& run);
  // Stores the trades (instrument_id resolved by symbol when the instrument
  // is known) and marks the run done with `metrics`, in one transaction.
  Status Finish(const std::string& run_id, const nlohmann::json& metrics,
                const std::vector<BacktestTradeRow>& trades);
  // Marks the run failed (or cancelled) with `error`.
  Status Fail(const std::string& run_id, const std::string& error, bool cancelled = false);

  StatusOr<BacktestRunRow> Get(const std::string& run_id);
  StatusOr<std::vector<BacktestTradeRow>> Trades(const std::string& run_id);
  // Newest first.
  StatusOr<std::vector<BacktestRunRow>> List(int limit = 50);

  // The split/dividend-adjusted bars a backtest runs on (raw × adj_factor,
  // exactly as market::ProviderBars::Adjusted, so a backtest from the
  // database equals one straight from the provider); from <= ts_end <= to.
  // Unknown symbol -> SF_ERR_NOT_FOUND.
  StatusOr<market::BarSeries> LoadAdjustedBars(const std::string& symbol,
                                               market::Timeframe timeframe, int64_t from_us,
                                               int64_t to_us);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_BACKTESTS_REPOSITORY_H_
