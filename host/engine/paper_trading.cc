#include "engine/paper_trading.h"

#include <algorithm>
#include <cmath>

#include "base/logging.h"

namespace sf::engine {

namespace {

bool ListAllows(const nlohmann::json& filters, const char* key, const std::string& value) {
  if (!filters.contains(key)) return true;
  const auto& list = filters[key];
  if (!list.is_array()) return true;
  return std::any_of(list.begin(), list.end(),
                     [&](const nlohmann::json& v) { return v.is_string() && v.get<std::string>() == value; });
}

}  // namespace

bool PortfolioFollows(const nlohmann::json& filters, const PaperSignal& s) {
  if (!filters.is_object()) return false;
  if (!ListAllows(filters, "strategies", s.strategy) || !ListAllows(filters, "symbols", s.symbol) ||
      !ListAllows(filters, "sectors", s.sector) || !ListAllows(filters, "sides", s.side)) {
    return false;
  }
  if (filters.contains("min_confidence") && filters["min_confidence"].is_number() &&
      s.confidence < filters["min_confidence"].get<double>()) {
    return false;
  }
  return true;
}

double PaperTrader::Equity(const store::Portfolio& p, const std::vector<store::PaperPosition>& positions,
                           const MarkFn& mark) {
  double equity = p.cash;
  for (const auto& pos : positions) {
    double m = mark ? mark(pos.symbol) : 0;
    equity += pos.quantity * (m > 0 ? m : pos.avg_price);
  }
  return equity;
}

StatusOr<int> PaperTrader::OnSignal(const PaperSignal& s, const MarkFn& mark) {
  auto portfolios = repo_.ListActive();
  if (!portfolios.ok()) return portfolios.status();
  int followed = 0;
  auto log = base::Logger("engine");
  for (const auto& p : *portfolios) {
    if (!PortfolioFollows(p.follow_filters, s)) continue;
    auto positions = repo_.Positions(p.id);
    if (!positions.ok()) return positions.status();
    const double equity = Equity(p, *positions, mark);
    const double pct = p.follow_filters.value("position_pct", s.size_pct);
    const double slip = p.follow_filters.value("slippage_bps", 0.0) / 10000.0;
    const double fees = p.follow_filters.value("fee_per_trade", 0.0);
    const double fill = s.side == "buy" ? s.entry * (1 + slip) : s.entry * (1 - slip);
    const double qty = equity * pct / 100.0 / fill;
    if (!(qty > 0) || !std::isfinite(qty)) continue;
    Status st = repo_.OpenPosition(p.id, s.symbol, s.id, s.side == "buy" ? qty : -qty, fill, fees, s.bar_ts);
    if (st.code() == SF_ERR_CONFLICT) {
      log->info("engine: paper portfolio '{}' skips signal {}: {}", p.name, s.id, st.message());
      continue;
    }
    if (!st.ok()) return st;
    ++followed;
  }
  return followed;
}

StatusOr<int> PaperTrader::OnClose(const std::string& signal_id, double exit_price, int64_t exit_at) {
  return repo_.ClosePositionsOf(signal_id, exit_price, exit_at);
}

Status PaperTrader::MarkToMarket(int64_t ts, const MarkFn& mark) {
  auto portfolios = repo_.ListActive();
  if (!portfolios.ok()) return portfolios.status();
  for (const auto& p : *portfolios) {
    auto positions = repo_.Positions(p.id);
    if (!positions.ok()) return positions.status();
    store::PortfolioSnapshot snap{ts, p.cash, Equity(p, *positions, mark), static_cast<int>(positions->size())};
    SF_RETURN_IF_ERROR(repo_.RecordSnapshot(p.id, snap));
  }
  return Status::Ok();
}

}  // namespace sf::engine
