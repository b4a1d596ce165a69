#include "store/paper_repository.h"

#include <cmath>

namespace sf::store {

namespace {

#define SF_PP_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

Portfolio PortfolioFromRow(const Result& r, int i) {
  Portfolio p;
  p.id = r.GetInt64(i, 0);
  if (!r.IsNull(i, 1)) p.user_id = r.GetInt64(i, 1);
  p.name = r.GetString(i, 2);
  p.initial_cash = r.GetDouble(i, 3);
  p.cash = r.GetDouble(i, 4);
  p.peak_equity = r.GetOptionalDouble(i, 5);
  p.follow_filters = nlohmann::json::parse(r.GetString(i, 6), nullptr, false);
  p.active = r.GetBool(i, 7);
  return p;
}

constexpr const char* kPortfolioColumns =
    "id, user_id, name, initial_cash, cash, peak_equity, follow_filters::text, active";

// The trade that moves a position by `quantity` (signed) at `price`.
Status WriteTrade(Connection& c, int64_t portfolio_id, int64_t instrument_id,
                  const std::optional<std::string>& signal_id, double quantity, double price, double fees,
                  int64_t ts) {
  SF_RETURN_IF_ERROR(c.Run(
      "INSERT INTO trades (portfolio_id, instrument_id, signal_id, side, quantity, price, fees, executed_at)"
      " VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8)",
      Params().Add(portfolio_id).Add(instrument_id).Add(signal_id).Add(quantity > 0 ? "buy" : "sell")
          .Add(std::fabs(quantity)).Add(price).Add(fees).AddTimestamp(ts)));
  return c.Run("UPDATE portfolios SET cash = cash - $2::float8 * $3::float8 - $4::float8, updated_at = now()"
               " WHERE id = $1",
               Params().Add(portfolio_id).Add(quantity).Add(price).Add(fees));
}

}  // namespace

StatusOr<int64_t> PaperRepository::CreatePortfolio(const std::string& name, double initial_cash,
                                                   const nlohmann::json& follow_filters,
                                                   std::optional<int64_t> user_id) {
  if (!(std::isfinite(initial_cash) && initial_cash > 0))
    return InvalidArgument("portfolio '" + name + "': initial_cash must be > 0");
  if (!follow_filters.is_object())
    return InvalidArgument("portfolio '" + name + "': follow_filters must be a JSON object");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "WITH ins AS (INSERT INTO portfolios (user_id, name, initial_cash, cash, peak_equity, follow_filters)"
      " VALUES ($1, $2, $3, $3, $3, $4::jsonb) ON CONFLICT DO NOTHING RETURNING id)"
      " SELECT id FROM ins UNION ALL"
      " SELECT id FROM portfolios WHERE coalesce(user_id, 0) = coalesce($1::bigint, 0) AND name = $2",
      Params().Add(user_id).Add(name).Add(initial_cash).Add(follow_filters.dump()));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

StatusOr<std::vector<Portfolio>> PaperRepository::ListActive() {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kPortfolioColumns +
                         " FROM portfolios WHERE active ORDER BY id");
  if (!r.ok()) return r.status();
  std::vector<Portfolio> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(PortfolioFromRow(*r, i));
  return out;
}

StatusOr<Portfolio> PaperRepository::Find(int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kPortfolioColumns + " FROM portfolios WHERE id = $1",
                         Params().Add(id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("unknown portfolio " + std::to_string(id));
  return PortfolioFromRow(*r, 0);
}

StatusOr<std::vector<PaperPosition>> PaperRepository::Positions(int64_t portfolio_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT p.id, p.portfolio_id, i.symbol, p.signal_id::text, p.quantity, p.avg_price, " SF_PP_US("p.opened_at")
      " FROM positions p JOIN instruments i ON i.id = p.instrument_id WHERE p.portfolio_id = $1"
      " ORDER BY p.opened_at, p.id",
      Params().Add(portfolio_id));
  if (!r.ok()) return r.status();
  std::vector<PaperPosition> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->GetInt64(i, 0), r->GetInt64(i, 1), r->GetString(i, 2), r->GetOptionalString(i, 3),
                   r->GetDouble(i, 4), r->GetDouble(i, 5), r->GetInt64(i, 6)});
  }
  return out;
}

StatusOr<std::vector<PaperTrade>> PaperRepository::Trades(int64_t portfolio_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT t.id, t.portfolio_id, i.symbol, t.signal_id::text, t.side, t.quantity, t.price, t.fees, "
      SF_PP_US("t.executed_at")
      " FROM trades t JOIN instruments i ON i.id = t.instrument_id WHERE t.portfolio_id = $1"
      " ORDER BY t.executed_at, t.id",
      Params().Add(portfolio_id));
  if (!r.ok()) return r.status();
  std::vector<PaperTrade> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->GetInt64(i, 0), r->GetInt64(i, 1), r->GetString(i, 2), r->GetOptionalString(i, 3),
                   r->GetString(i, 4), r->GetDouble(i, 5), r->GetDouble(i, 6), r->GetDouble(i, 7),
                   r->GetInt64(i, 8)});
  }
  return out;
}

StatusOr<std::vector<PortfolioSnapshot>> PaperRepository::Snapshots(int64_t portfolio_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("SELECT " SF_PP_US("ts") ", cash, equity, positions FROM portfolio_snapshots"
                         " WHERE portfolio_id = $1 ORDER BY ts",
                         Params().Add(portfolio_id));
  if (!r.ok()) return r.status();
  std::vector<PortfolioSnapshot> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({r->GetInt64(i, 0), r->GetDouble(i, 1), r->GetDouble(i, 2),
                   static_cast<int>(r->GetInt64(i, 3))});
  }
  return out;
}

Status PaperRepository::OpenPosition(int64_t portfolio_id, const std::string& symbol,
                                     const std::string& signal_id, double quantity, double price,
                                     double fees, int64_t ts) {
  if (!(std::isfinite(quantity) && quantity != 0))
    return InvalidArgument("paper position " + symbol + ": quantity must be non-zero");
  if (!(std::isfinite(price) && price > 0))
    return InvalidArgument("paper position " + symbol + ": price must be > 0");
  if (!(std::isfinite(fees) && fees >= 0)) return InvalidArgument("paper position " + symbol + ": fees must be >= 0");
  return pool_->InTransaction([&](Connection& c) -> Status {
    auto inst = c.Exec("SELECT id FROM instruments WHERE symbol = $1", Params().Add(symbol));
    if (!inst.ok()) return inst.status();
    if (inst->rows() == 0) return NotFound("paper position: unknown instrument '" + symbol + "'");
    const int64_t instrument_id = inst->GetInt64(0, 0);
    auto followed = c.Exec("SELECT 1 FROM trades WHERE portfolio_id = $1 AND signal_id = $2::uuid",
                           Params().Add(portfolio_id).Add(signal_id));
    if (!followed.ok()) return followed.status();
    if (followed->rows() > 0)
      return Conflict("portfolio " + std::to_string(portfolio_id) + " already followed signal " + signal_id);
    auto pos = c.Exec(
        "INSERT INTO positions (portfolio_id, instrument_id, signal_id, quantity, avg_price, opened_at)"
        " VALUES ($1, $2, $3::uuid, $4, $5, $6) ON CONFLICT (portfolio_id, instrument_id) DO NOTHING RETURNING id",
        Params().Add(portfolio_id).Add(instrument_id).Add(signal_id).Add(quantity).Add(price).AddTimestamp(ts));
    if (!pos.ok()) return pos.status();
    if (pos->rows() == 0)
      return Conflict("portfolio " + std::to_string(portfolio_id) + " already holds " + symbol);
    return WriteTrade(c, portfolio_id, instrument_id, signal_id, quantity, price, fees, ts);
  });
}

StatusOr<int> PaperRepository::ClosePositionsOf(const std::string& signal_id, double price, int64_t ts) {
  if (!(std::isfinite(price) && price > 0)) return InvalidArgument("paper close: price must be > 0");
  int closed = 0;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto r = c.Exec(
        "SELECT p.id, p.portfolio_id, p.instrument_id, p.quantity, pf.follow_filters::text"
        " FROM positions p JOIN portfolios pf ON pf.id = p.portfolio_id"
        " WHERE p.signal_id = $1::uuid FOR UPDATE OF p",
        Params().Add(signal_id));
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->rows(); ++i) {
      const double qty = r->GetDouble(i, 3);
      auto filters = nlohmann::json::parse(r->GetString(i, 4), nullptr, false);
      const double slip = filters.is_object() ? filters.value("slippage_bps", 0.0) / 10000.0 : 0.0;
      const double fees = filters.is_object() ? filters.value("fee_per_trade", 0.0) : 0.0;
      // Closing sells a long (fills a little lower) and buys back a short (higher).
      const double fill = qty > 0 ? price * (1 - slip) : price * (1 + slip);
      SF_RETURN_IF_ERROR(c.Run("DELETE FROM positions WHERE id = $1", Params().Add(r->GetInt64(i, 0))));
      SF_RETURN_IF_ERROR(WriteTrade(c, r->GetInt64(i, 1), r->GetInt64(i, 2), signal_id, -qty, fill, fees, ts));
      ++closed;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return closed;
}

Status PaperRepository::RecordSnapshot(int64_t portfolio_id, const PortfolioSnapshot& snap) {
  if (!std::isfinite(snap.equity) || !std::isfinite(snap.cash))
    return InvalidArgument("portfolio snapshot: cash and equity must be finite");
  return pool_->InTransaction([&](Connection& c) -> Status {
    SF_RETURN_IF_ERROR(c.Run(
        "INSERT INTO portfolio_snapshots (portfolio_id, ts, cash, equity, positions) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (portfolio_id, ts) DO UPDATE SET cash = EXCLUDED.cash, equity = EXCLUDED.equity,"
        " positions = EXCLUDED.positions",
        Params().Add(portfolio_id).AddTimestamp(snap.ts).Add(snap.cash).Add(snap.equity).Add(snap.positions)));
    return c.Run(
        "UPDATE portfolios SET peak_equity = greatest(coalesce(peak_equity, $2), $2) WHERE id = $1",
        Params().Add(portfolio_id).Add(snap.equity));
  });
}

}  // namespace sf::store
