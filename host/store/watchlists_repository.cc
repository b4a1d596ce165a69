#include "store/watchlists_repository.h"

#include <nlohmann/json.hpp>

namespace sf::store {

namespace {

Status NotFoundList(int64_t id) { return NotFound("watchlist " + std::to_string(id) + " not found"); }

// Replaces the items of list `id` with `symbols`; names the first unknown one.
Status SetItems(Connection& c, int64_t id, const std::vector<std::string>& symbols) {
  SF_RETURN_IF_ERROR(c.Run("DELETE FROM watchlist_items WHERE watchlist_id = $1", Params().Add(id)));
  if (symbols.empty()) return Status::Ok();
  std::string arr = nlohmann::json(symbols).dump();
  auto missing = c.Exec(
      "SELECT s FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS t(s, n)"
      " WHERE NOT EXISTS (SELECT 1 FROM instruments i WHERE i.symbol = t.s) ORDER BY n LIMIT 1",
      Params().Add(arr));
  if (!missing.ok()) return missing.status();
  if (missing->rows() > 0) return NotFound("symbol " + missing->GetString(0, 0) + " is not a known instrument");
  return c.Run(
      "INSERT INTO watchlist_items (watchlist_id, instrument_id)"
      " SELECT $1, i.id FROM instruments i WHERE i.symbol IN"
      " (SELECT jsonb_array_elements_text($2::jsonb)) ON CONFLICT DO NOTHING",
      Params().Add(id).Add(arr));
}

StatusOr<Watchlist> Load(Connection& c, int64_t user_id, int64_t id) {
  auto r = c.Exec(
      "SELECT w.id, w.name, (extract(epoch FROM w.created_at) * 1000000)::bigint,"
      " coalesce((SELECT jsonb_agg(i.symbol ORDER BY i.symbol) FROM watchlist_items wi"
      " JOIN instruments i ON i.id = wi.instrument_id WHERE wi.watchlist_id = w.id), '[]')::text"
      " FROM watchlists w WHERE w.id = $1 AND w.user_id = $2",
      Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFoundList(id);
  Watchlist w;
  w.id = r->GetInt64(0, 0);
  w.name = r->GetString(0, 1);
  w.created_at = r->GetInt64(0, 2);
  w.symbols = nlohmann::json::parse(r->Get(0, 3)).get<std::vector<std::string>>();
  return w;
}

}  // namespace

StatusOr<std::vector<Watchlist>> WatchlistsRepository::List(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT w.id, w.name, (extract(epoch FROM w.created_at) * 1000000)::bigint,"
      " coalesce((SELECT jsonb_agg(i.symbol ORDER BY i.symbol) FROM watchlist_items wi"
      " JOIN instruments i ON i.id = wi.instrument_id WHERE wi.watchlist_id = w.id), '[]')::text"
      " FROM watchlists w WHERE w.user_id = $1 ORDER BY w.id",
      Params().Add(user_id));
  if (!r.ok()) return r.status();
  std::vector<Watchlist> out;
  for (int i = 0; i < r->rows(); ++i) {
    Watchlist w;
    w.id = r->GetInt64(i, 0);
    w.name = r->GetString(i, 1);
    w.created_at = r->GetInt64(i, 2);
    w.symbols = nlohmann::json::parse(r->Get(i, 3)).get<std::vector<std::string>>();
    out.push_back(std::move(w));
  }
  return out;
}

StatusOr<Watchlist> WatchlistsRepository::Get(int64_t user_id, int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return Load(**conn, user_id, id);
}

StatusOr<Watchlist> WatchlistsRepository::Create(int64_t user_id, const std::string& name,
                                                 const std::vector<std::string>& symbols) {
  int64_t id = 0;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto r = c.Exec("INSERT INTO watchlists (user_id, name) VALUES ($1, $2) RETURNING id",
                    Params().Add(user_id).Add(name));
    if (!r.ok()) {
      if (r.status().code() == SF_ERR_CONFLICT) return Conflict("a watchlist named '" + name + "' exists already");
      return r.status();
    }
    id = r->GetInt64(0, 0);
    return SetItems(c, id, symbols);
  });
  if (!s.ok()) return s;
  return Get(user_id, id);
}

StatusOr<Watchlist> WatchlistsRepository::Update(
    int64_t user_id, int64_t id, const std::optional<std::string>& name,
    const std::optional<std::vector<std::string>>& symbols) {
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto own = c.Exec("SELECT 1 FROM watchlists WHERE id = $1 AND user_id = $2 FOR UPDATE",
                      Params().Add(id).Add(user_id));
    if (!own.ok()) return own.status();
    if (own->rows() == 0) return NotFoundList(id);
    if (name) {
      Status r = c.Run("UPDATE watchlists SET name = $3 WHERE id = $1 AND user_id = $2",
                       Params().Add(id).Add(user_id).Add(*name));
      if (r.code() == SF_ERR_CONFLICT) return Conflict("a watchlist named '" + *name + "' exists already");
      SF_RETURN_IF_ERROR(r);
    }
    if (symbols) return SetItems(c, id, *symbols);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return Get(user_id, id);
}

Status WatchlistsRepository::Delete(int64_t user_id, int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec("DELETE FROM watchlists WHERE id = $1 AND user_id = $2",
                         Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1 ? Status::Ok() : NotFoundList(id);
}

}  // namespace sf::store
