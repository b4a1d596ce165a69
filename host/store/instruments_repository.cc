#include "store/instruments_repository.h"

namespace sf::store {

namespace {

constexpr const char* kUpsert =
    "INSERT INTO instruments (symbol, name, type, exchange, currency, sector, market_cap,"
    " active, data_provider, provider_symbol)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (symbol) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type,"
    " exchange = EXCLUDED.exchange, currency = EXCLUDED.currency, sector = EXCLUDED.sector,"
    " market_cap = EXCLUDED.market_cap, active = EXCLUDED.active,"
    " data_provider = EXCLUDED.data_provider, provider_symbol = EXCLUDED.provider_symbol,"
    " updated_at = now()"
    " RETURNING id";

constexpr const char* kColumns =
    "id, symbol, name, type, exchange, currency, sector, market_cap, active, data_provider,"
    " provider_symbol";

Status Validate(const Instrument& i) {
  if (i.symbol.empty() || i.symbol.size() > 32) {
    return InvalidArgument("instrument symbol '" + i.symbol + "' must be 1-32 characters");
  }
  if (i.type != "equity" && i.type != "crypto" && i.type != "forex" && i.type != "commodity") {
    return InvalidArgument("instrument " + i.symbol + ": type '" + i.type +
                           "' must be one of equity, crypto, forex, commodity");
  }
  if (i.currency.size() != 3) {
    return InvalidArgument("instrument " + i.symbol + ": currency '" + i.currency +
                           "' must be a 3-letter ISO code");
  }
  if (i.market_cap && *i.market_cap < 0) {
    return InvalidArgument("instrument " + i.symbol + ": market_cap must be >= 0");
  }
  return Status::Ok();
}

Params UpsertParams(const Instrument& i) {
  Params p;
  p.Add(i.symbol).Add(i.name).Add(i.type).Add(i.exchange).Add(i.currency).Add(i.sector);
  p.Add(i.market_cap).Add(i.active).Add(i.data_provider).Add(i.provider_symbol);
  return p;
}

Instrument FromRow(const Result& r, int row) {
  Instrument i;
  i.id = r.GetInt64(row, 0);
  i.symbol = r.GetString(row, 1);
  i.name = r.GetOptionalString(row, 2);
  i.type = r.GetString(row, 3);
  i.exchange = r.GetOptionalString(row, 4);
  i.currency = r.GetString(row, 5);
  i.sector = r.GetOptionalString(row, 6);
  if (!r.IsNull(row, 7)) i.market_cap = r.GetInt64(row, 7);
  i.active = r.GetBool(row, 8);
  i.data_provider = r.GetOptionalString(row, 9);
  i.provider_symbol = r.GetOptionalString(row, 10);
  return i;
}

}  // namespace

StatusOr<int64_t> InstrumentsRepository::Upsert(const Instrument& instrument) {
  SF_RETURN_IF_ERROR(Validate(instrument));
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(kUpsert, UpsertParams(instrument));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

Status InstrumentsRepository::UpsertAll(const std::vector<Instrument>& instruments) {
  for (const auto& i : instruments) SF_RETURN_IF_ERROR(Validate(i));
  return pool_->InTransaction([&](Connection& c) -> Status {
    for (const auto& i : instruments) SF_RETURN_IF_ERROR(c.Run(kUpsert, UpsertParams(i)));
    return Status::Ok();
  });
}

StatusOr<std::vector<Instrument>> InstrumentsRepository::List(bool active_only) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM instruments WHERE active OR NOT $1 ORDER BY symbol",
                         Params().Add(active_only));
  if (!r.ok()) return r.status();
  std::vector<Instrument> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) out.push_back(FromRow(*r, i));
  return out;
}

StatusOr<Instrument> InstrumentsRepository::FindBySymbol(const std::string& symbol) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns + " FROM instruments WHERE symbol = $1",
                         Params().Add(symbol));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFound("unknown instrument '" + symbol + "'");
  return FromRow(*r, 0);
}

}  // namespace sf::store
