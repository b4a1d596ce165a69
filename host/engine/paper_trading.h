// Paper trading: portfolios (store/paper_repository.h) that follow the live
// engine's signals with simulated fills.
//
// A new signal opens a position in every active portfolio whose
// follow_filters match it (strategies, symbols, sectors, sides,
// min_confidence); its size is the portfolio's "position_pct" of current
// equity, or else the signal's own risk-managed size; it fills at the
// signal's entry moved against the trader by "slippage_bps", paying
// "fee_per_trade". The signal's close (target, stop, expiry, opposite)
// closes the position at the exit price the same way. After every bar of
// the marking timeframe each portfolio is marked to market (cash +
// positions at their last close) and a snapshot is stored, which is the
// portfolio's P&L over time.
//
// Thread-safety: not thread-safe; the engine's scheduler thread owns it.
#ifndef SF_ENGINE_PAPER_TRADING_H_
#define SF_ENGINE_PAPER_TRADING_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/paper_repository.h"
#include "store/pool.h"

namespace sf::engine {

// A signal as paper trading sees it.
struct PaperSignal {
  std::string id;
  std::string strategy, symbol, side, sector;
  double confidence = 0;
  double entry = 0;
  double size_pct = 0;  // the risk manager's size, % of equity
  int64_t bar_ts = 0;
};

// True when `filters` (a portfolio's follow_filters) lets it follow `s`.
bool PortfolioFollows(const nlohmann::json& filters, const PaperSignal& s);

class PaperTrader {
 public:
  // Last known price of a symbol (0 when unknown).
  using MarkFn = std::function<double(const std::string& symbol)>;

  explicit PaperTrader(store::Pool* pool) : repo_(pool) {}

  // Opens positions for `s`; returns how many portfolios followed it.
  StatusOr<int> OnSignal(const PaperSignal& s, const MarkFn& mark);
  // Closes the positions following `signal_id`.
  StatusOr<int> OnClose(const std::string& signal_id, double exit_price, int64_t exit_at);
  // Marks every active portfolio at `ts` and stores a snapshot each.
  Status MarkToMarket(int64_t ts, const MarkFn& mark);

  // Equity of a portfolio now: cash + Σ quantity × mark (avg price when the
  // mark is unknown).
  static double Equity(const store::Portfolio& p, const std::vector<store::PaperPosition>& positions,
                       const MarkFn& mark);

 private:
  store::PaperRepository repo_;
};

}  // namespace sf::engine

#endif  // SF_ENGINE_PAPER_TRADING_H_
