#include "store/scans_repository.h"

#include "store/signal_queries_repository.h"

namespace sf::store {

namespace {

#define SF_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kColumns =
    "id, user_id, strategy_name, timeframe, symbols::text, params::text, status, results::text,"
    " error, " SF_US("created_at") ", " SF_US("started_at") ", " SF_US("finished_at");

Scan FromRow(const Result& r, int row) {
  Scan s;
  s.id = r.GetString(row, 0);
  s.user_id = r.IsNull(row, 1) ? 0 : r.GetInt64(row, 1);
  s.strategy = r.GetString(row, 2);
  s.timeframe = r.GetString(row, 3);
  s.symbols = nlohmann::json::parse(r.Get(row, 4)).get<std::vector<std::string>>();
  s.params = nlohmann::json::parse(r.Get(row, 5));
  s.status = r.GetString(row, 6);
  if (!r.IsNull(row, 7)) s.results = nlohmann::json::parse(r.Get(row, 7));
  s.error = r.GetOptionalString(row, 8);
  s.created_at = r.GetInt64(row, 9);
  if (!r.IsNull(row, 10)) s.started_at = r.GetInt64(row, 10);
  if (!r.IsNull(row, 11)) s.finished_at = r.GetInt64(row, 11);
  return s;
}

Status NotFoundScan(const std::string& id) { return NotFound("scan " + id + " not found"); }

}  // namespace

StatusOr<Scan> ScansRepository::Submit(int64_t user_id, const std::string& strategy,
                                       const std::string& timeframe,
                                       const std::vector<std::string>& symbols,
                                       const nlohmann::json& params) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      std::string("INSERT INTO scans (user_id, strategy_id, strategy_name, timeframe, symbols, params)"
                  " VALUES ($1, (SELECT id FROM strategies WHERE name = $2), $2, $3, $4::jsonb,"
                  " $5::jsonb) RETURNING ") + kColumns,
      Params().Add(user_id).Add(strategy).Add(timeframe).Add(nlohmann::json(symbols).dump()).Add(
          params.dump()));
  if (!r.ok()) return r.status();
  return FromRow(*r, 0);
}

StatusOr<Scan> ScansRepository::Get(int64_t user_id, const std::string& id) {
  if (!IsUuidText(id)) return NotFoundScan(id);
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns + " FROM scans WHERE id = $1 AND user_id = $2",
                         Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return NotFoundScan(id);
  return FromRow(*r, 0);
}

StatusOr<std::vector<Scan>> ScansRepository::List(int64_t user_id, int limit) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM scans WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2",
                         Params().Add(user_id).Add(limit));
  if (!r.ok()) return r.status();
  std::vector<Scan> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(FromRow(*r, i));
  return out;
}

StatusOr<std::optional<Scan>> ScansRepository::ClaimNext(const std::string& worker) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      std::string("UPDATE scans SET status = 'running', started_at = now(), claimed_by = $1"
                  " WHERE id = (SELECT id FROM scans WHERE status = 'queued'"
                  " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ") + kColumns,
      Params().Add(worker));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<Scan>();
  return std::optional<Scan>(FromRow(*r, 0));
}

Status ScansRepository::Finish(const std::string& id, const nlohmann::json& results) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE scans SET status = 'done', results = $2::jsonb, error = NULL, finished_at = now()"
      " WHERE id = $1 AND status = 'running'",
      Params().Add(id).Add(results.dump()));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1 ? Status::Ok() : Conflict("scan " + id + " is not running");
}

Status ScansRepository::Fail(const std::string& id, const std::string& error) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE scans SET status = 'failed', error = $2, finished_at = now()"
      " WHERE id = $1 AND status = 'running'",
      Params().Add(id).Add(error));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1 ? Status::Ok() : Conflict("scan " + id + " is not running");
}

StatusOr<int64_t> ScansRepository::Requeue(const std::string& worker) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE scans SET status = 'queued', started_at = NULL, claimed_by = NULL"
      " WHERE status = 'running' AND claimed_by = $1",
      Params().Add(worker));
  if (!r.ok()) return r.status();
  return r->AffectedRows();
}

}  // namespace sf::store
