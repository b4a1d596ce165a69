// Paper trading in PostgreSQL (tables portfolios, positions, trades from
// migration 0004, portfolio_snapshots from 0007): portfolios that follow
// signals with simulated fills.
//
// Cash accounting, one rule everywhere: a trade moves cash by
// −quantity × price − fees, with quantity signed (a buy is +, a sell −); so
// opening a long spends cash, opening a short receives it, and closing
// reverses it. Equity = cash + Σ quantity × mark price.
//
// Opening and closing write the position, the trade and the cash in one
// transaction, so a portfolio is never half-updated.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_PAPER_REPOSITORY_H_
#define SF_STORE_PAPER_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct Portfolio {
  int64_t id = 0;
  std::optional<int64_t> user_id;
  std::string name;
  double initial_cash = 0, cash = 0;
  std::optional<double> peak_equity;
  // {"strategies": [...], "symbols": [...], "sides": [...], "min_confidence": x,
  //  "position_pct": x (default: the signal's size), "fee_per_trade": x,
  //  "slippage_bps": x}; an absent key does not filter.
  nlohmann::json follow_filters = nlohmann::json::object();
  bool active = true;
};

struct PaperPosition {
  int64_t id = 0, portfolio_id = 0;
  std::string symbol;
  std::optional<std::string> signal_id;
  double quantity = 0;  // negative = short
  double avg_price = 0;
  int64_t opened_at = 0;
};

struct PaperTrade {
  int64_t id = 0, portfolio_id = 0;
  std::string symbol;
  std::optional<std::string> signal_id;
  std::string side;  // buy | sell
  double quantity = 0, price = 0, fees = 0;
  int64_t executed_at = 0;
};

struct PortfolioSnapshot {
  int64_t ts = 0;
  double cash = 0, equity = 0;
  int positions = 0;
};

class PaperRepository {
 public:
  explicit PaperRepository(Pool* pool) : pool_(pool) {}

  // Creates a house portfolio (or the user's) with `initial_cash`; the
  // existing one's id when the name is taken.
  StatusOr<int64_t> CreatePortfolio(const std::string& name, double initial_cash,
                                    const nlohmann::json& follow_filters = nlohmann::json::object(),
                                    std::optional<int64_t> user_id = std::nullopt);
  StatusOr<std::vector<Portfolio>> ListActive();
  StatusOr<Portfolio> Find(int64_t id);
  StatusOr<std::vector<PaperPosition>> Positions(int64_t portfolio_id);
  StatusOr<std::vector<PaperTrade>> Trades(int64_t portfolio_id);
  StatusOr<std::vector<PortfolioSnapshot>> Snapshots(int64_t portfolio_id);

  // Opens a position (quantity signed) following `signal_id` at `price`;
  // SF_ERR_CONFLICT when the portfolio already holds the symbol or already
  // followed that signal.
  Status OpenPosition(int64_t portfolio_id, const std::string& symbol, const std::string& signal_id,
                      double quantity, double price, double fees, int64_t ts);
  // Closes every position that follows `signal_id`, each at `price` plus its
  // portfolio's slippage and fees; returns how many closed.
  StatusOr<int> ClosePositionsOf(const std::string& signal_id, double price, int64_t ts);
  // Stores one mark-to-market point and raises peak_equity when exceeded.
  Status RecordSnapshot(int64_t portfolio_id, const PortfolioSnapshot& snapshot);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_PAPER_REPOSITORY_H_
