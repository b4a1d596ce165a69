#include "store/portfolio_queries_repository.h"

#include <cmath>

namespace sf::store {

namespace {

#define SF_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

// Positions valued at the latest daily close (the primary key of bars makes
// this one index probe per position).
constexpr const char* kPositionsSql =
    "SELECT i.symbol, p.quantity, p.avg_price, coalesce(b.close, p.avg_price), " SF_US("b.ts_end")
    ", " SF_US("p.opened_at")
    " FROM positions p JOIN instruments i ON i.id = p.instrument_id"
    " LEFT JOIN LATERAL (SELECT close, ts_end FROM bars WHERE instrument_id = p.instrument_id"
    " AND timeframe = '1d' ORDER BY ts_start DESC LIMIT 1) b ON true"
    " WHERE p.portfolio_id = $1 ORDER BY i.symbol";

constexpr const char* kPortfolioColumns =
    "p.id, p.name, p.base_currency, p.initial_cash, p.cash, " SF_US("p.created_at") ","
    " p.cash + coalesce((SELECT sum(pos.quantity * coalesce((SELECT close FROM bars"
    " WHERE instrument_id = pos.instrument_id AND timeframe = '1d' ORDER BY ts_start DESC"
    " LIMIT 1), pos.avg_price)) FROM positions pos WHERE pos.portfolio_id = p.id), 0)";

PaperPortfolio PortfolioFrom(const Result& r, int row) {
  PaperPortfolio p;
  p.id = r.GetInt64(row, 0);
  p.name = r.GetString(row, 1);
  p.base_currency = r.GetString(row, 2);
  p.initial_cash = r.GetDouble(row, 3);
  p.cash = r.GetDouble(row, 4);
  p.created_at = r.GetInt64(row, 5);
  p.equity = r.GetDouble(row, 6);
  p.total_pnl = p.equity - p.initial_cash;
  p.total_pnl_pct = p.initial_cash > 0 ? 100.0 * p.total_pnl / p.initial_cash : 0;
  return p;
}

Status NotFoundPortfolio(int64_t id) {
  return NotFound("portfolio " + std::to_string(id) + " not found");
}

StatusOr<PaperPortfolio> Load(Connection& c, int64_t user_id, int64_t id) {
  auto r = c.Exec(std::string("SELECT ") + kPortfolioColumns +
                      " FROM portfolios p WHERE p.id = $1 AND p.user_id = $2",
                  Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFoundPortfolio(id);
  PaperPortfolio p = PortfolioFrom(*r, 0);
  auto pos = c.Exec(kPositionsSql, Params().Add(id));
  if (!pos.ok()) return pos.status();
  for (int i = 0; i < pos->rows(); ++i) {
    PaperPosition q;
    q.symbol = pos->GetString(i, 0);
    q.quantity = pos->GetDouble(i, 1);
    q.avg_price = pos->GetDouble(i, 2);
    q.last_price = pos->GetDouble(i, 3);
    if (!pos->IsNull(i, 4)) q.last_price_at = pos->GetInt64(i, 4);
    q.opened_at = pos->GetInt64(i, 5);
    q.market_value = q.quantity * q.last_price;
    q.unrealized_pnl = (q.last_price - q.avg_price) * q.quantity;
    double basis = std::abs(q.quantity * q.avg_price);
    q.unrealized_pnl_pct = basis > 0 ? 100.0 * q.unrealized_pnl / basis : 0;
    p.positions.push_back(std::move(q));
  }
  return p;
}

}  // namespace

StatusOr<std::vector<PaperPortfolio>> PortfolioQueriesRepository::List(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kPortfolioColumns +
                             " FROM portfolios p WHERE p.user_id = $1 ORDER BY p.id",
                         Params().Add(user_id));
  if (!r.ok()) return r.status();
  std::vector<PaperPortfolio> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(PortfolioFrom(*r, i));
  return out;
}

StatusOr<PaperPortfolio> PortfolioQueriesRepository::Get(int64_t user_id, int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return Load(**conn, user_id, id);
}

StatusOr<PaperPortfolio> PortfolioQueriesRepository::Create(int64_t user_id,
                                                            const std::string& name,
                                                            double initial_cash,
                                                            const std::string& base_currency) {
  if (!(std::isfinite(initial_cash) && initial_cash >= 0)) {
    return InvalidArgument("initial_cash must be a finite number >= 0");
  }
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "INSERT INTO portfolios (user_id, name, base_currency, initial_cash, cash, peak_equity)"
      " VALUES ($1, $2, $3, $4, $4, $4) RETURNING id",
      Params().Add(user_id).Add(name).Add(base_currency).Add(initial_cash));
  if (!r.ok()) {
    if (r.status().code() == SF_ERR_CONFLICT) {
      return Conflict("a portfolio named '" + name + "' exists already");
    }
    return r.status();
  }
  return Load(**conn, user_id, r->GetInt64(0, 0));
}

Status PortfolioQueriesRepository::Delete(int64_t user_id, int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM portfolios WHERE id = $1 AND user_id = $2",
                         Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1 ? Status::Ok() : NotFoundPortfolio(id);
}

StatusOr<PaperPortfolio> PortfolioQueriesRepository::Trade(int64_t user_id, int64_t id,
                                                           const PaperTrade& t) {
  if (t.side != "buy" && t.side != "sell") {
    return InvalidArgument("side '" + t.side + "' must be buy or sell");
  }
  if (!(std::isfinite(t.quantity) && t.quantity > 0)) return InvalidArgument("quantity must be > 0");
  if (t.price && !(std::isfinite(*t.price) && *t.price > 0)) return InvalidArgument("price must be > 0");
  if (!(std::isfinite(t.fees) && t.fees >= 0)) return InvalidArgument("fees must be >= 0");
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Connection& c = **conn;
  SF_RETURN_IF_ERROR(c.Run("BEGIN"));
  auto body = [&]() -> Status {
    auto own = c.Exec("SELECT cash FROM portfolios WHERE id = $1 AND user_id = $2 FOR UPDATE",
                      Params().Add(id).Add(user_id));
    if (!own.ok()) return own.status();
    if (own->rows() == 0) return NotFoundPortfolio(id);
    double cash = own->GetDouble(0, 0);
    auto inst = c.Exec(
        "SELECT i.id, (SELECT close FROM bars WHERE instrument_id = i.id AND timeframe = '1d'"
        " ORDER BY ts_start DESC LIMIT 1) FROM instruments i WHERE i.symbol = $1",
        Params().Add(t.symbol));
    if (!inst.ok()) return inst.status();
    if (inst->rows() == 0) return NotFound("symbol " + t.symbol + " is not a known instrument");
    int64_t instrument_id = inst->GetInt64(0, 0);
    std::optional<double> price = t.price ? t.price : inst->GetOptionalDouble(0, 1);
    if (!price) {
      return InvalidArgument("no daily bar stored for " + t.symbol + "; give a price");
    }
    double signed_qty = t.side == "buy" ? t.quantity : -t.quantity;
    double new_cash = cash - signed_qty * *price - t.fees;
    if (new_cash < 0) return InvalidArgument("not enough cash: the trade needs " +
                                             std::to_string(signed_qty * *price + t.fees) +
                                             ", the portfolio has " + std::to_string(cash));
    auto pos = c.Exec(
        "SELECT quantity, avg_price FROM positions WHERE portfolio_id = $1 AND instrument_id = $2"
        " FOR UPDATE",
        Params().Add(id).Add(instrument_id));
    if (!pos.ok()) return pos.status();
    double old_qty = pos->rows() ? pos->GetDouble(0, 0) : 0;
    double old_avg = pos->rows() ? pos->GetDouble(0, 1) : *price;
    double qty = old_qty + signed_qty;
    // Adding to a position averages the price; reducing keeps it; flipping
    // through zero starts a new basis at the fill.
    double avg = old_avg;
    if (old_qty == 0 || (old_qty > 0) != (qty > 0)) {
      avg = *price;
    } else if (std::abs(qty) > std::abs(old_qty)) {
      avg = (old_avg * old_qty + *price * signed_qty) / qty;
    }
    if (std::abs(qty) < 1e-12) {
      SF_RETURN_IF_ERROR(c.Run("DELETE FROM positions WHERE portfolio_id = $1 AND instrument_id = $2",
                               Params().Add(id).Add(instrument_id)));
    } else {
      SF_RETURN_IF_ERROR(c.Run(
          "INSERT INTO positions (portfolio_id, instrument_id, quantity, avg_price, opened_at)"
          " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (portfolio_id, instrument_id) DO UPDATE"
          " SET quantity = EXCLUDED.quantity, avg_price = EXCLUDED.avg_price, updated_at = now()",
          Params().Add(id).Add(instrument_id).Add(qty).Add(avg)));
    }
    SF_RETURN_IF_ERROR(c.Run(
        "INSERT INTO trades (portfolio_id, instrument_id, side, quantity, price, fees, executed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, now())",
        Params().Add(id).Add(instrument_id).Add(t.side).Add(t.quantity).Add(*price).Add(t.fees)));
    return c.Run("UPDATE portfolios SET cash = $2, updated_at = now() WHERE id = $1",
                 Params().Add(id).Add(new_cash));
  };
  Status s = body();
  if (!s.ok()) {
    (void)c.Run("ROLLBACK");
    return s;
  }
  SF_RETURN_IF_ERROR(c.Run("COMMIT"));
  return Load(c, user_id, id);
}

}  // namespace sf::store
