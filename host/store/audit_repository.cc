#include "store/audit_repository.h"

namespace sf::store {

StatusOr<int64_t> AuditRepository::Append(const std::string& actor, const std::string& action,
                                          const std::optional<std::string>& target,
                                          const nlohmann::json& detail) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4::jsonb) "
      "RETURNING id",
      Params().Add(actor).Add(action).Add(target).Add(
          detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  if (!r.ok()) return r.status();
  return r->GetInt64(0, 0);
}

StatusOr<std::vector<AuditEntry>> AuditRepository::List(int64_t before_id, int limit,
                                                        const std::optional<std::string>& action) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "SELECT id, actor, action, target, detail::text, "
      "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM audit_log "
      "WHERE ($1 = 0 OR id < $1) AND ($2::text IS NULL OR action = $2) ORDER BY id DESC LIMIT $3",
      Params().Add(before_id).Add(action).Add(limit));
  if (!r.ok()) return r.status();
  std::vector<AuditEntry> out;
  for (int i = 0; i < r->rows(); ++i) {
    AuditEntry e;
    e.id = r->GetInt64(i, 0);
    e.actor = r->GetString(i, 1);
    e.action = r->GetString(i, 2);
    e.target = r->GetOptionalString(i, 3);
    e.detail = nlohmann::json::parse(r->Get(i, 4), nullptr, false);
    e.ts = r->GetString(i, 5);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sf::store
