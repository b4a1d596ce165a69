// Users' paper portfolios for the API: create, list, one portfolio with its
// positions valued at the latest stored daily close (unrealized P/L), and
// paper trades that move cash and positions in one transaction.
//
// Every method takes the owner's user id; another user's portfolio answers
// SF_ERR_NOT_FOUND like an id that does not exist. House portfolios
// (user_id NULL) are never visible here.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_PORTFOLIO_QUERIES_REPOSITORY_H_
#define SF_STORE_PORTFOLIO_QUERIES_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct PaperPosition {
  std::string symbol;
  double quantity = 0;  // negative = short
  double avg_price = 0;
  double last_price = 0;                  // latest daily close, avg_price when none
  std::optional<int64_t> last_price_at;   // that bar's end (µs)
  double market_value = 0;                // quantity * last_price
  double unrealized_pnl = 0;              // (last - avg) * quantity
  double unrealized_pnl_pct = 0;          // relative to the cost basis
  int64_t opened_at = 0;
};

struct PaperPortfolio {
  int64_t id = 0;
  std::string name;
  std::string base_currency;
  double initial_cash = 0, cash = 0;
  double equity = 0;          // cash + sum of market values
  double total_pnl = 0;       // equity - initial_cash
  double total_pnl_pct = 0;   // relative to initial_cash
  std::vector<PaperPosition> positions;  // empty in List()
  int64_t created_at = 0;
};

struct PaperTrade {
  std::string symbol;
  std::string side;  // buy | sell
  double quantity = 0;
  std::optional<double> price;  // default: latest daily close
  double fees = 0;
};

class PortfolioQueriesRepository {
 public:
  explicit PortfolioQueriesRepository(Pool* pool) : pool_(pool) {}

  // With equity and P/L, without positions.
  StatusOr<std::vector<PaperPortfolio>> List(int64_t user_id);
  StatusOr<PaperPortfolio> Get(int64_t user_id, int64_t id);
  // SF_ERR_CONFLICT when the user has a portfolio of that name.
  StatusOr<PaperPortfolio> Create(int64_t user_id, const std::string& name, double initial_cash,
                                  const std::string& base_currency);
  Status Delete(int64_t user_id, int64_t id);
  // Applies a paper fill; SF_ERR_NOT_FOUND for an unknown symbol/portfolio,
  // SF_ERR_INVALID_ARGUMENT when there is no price to fill at or cash would
  // go negative. Returns the portfolio after the trade.
  StatusOr<PaperPortfolio> Trade(int64_t user_id, int64_t id, const PaperTrade& trade);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_PORTFOLIO_QUERIES_REPOSITORY_H_
