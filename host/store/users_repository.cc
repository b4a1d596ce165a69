#include "store/users_repository.h"

namespace sf::store {
namespace {

constexpr const char* kColumns =
    "u.id, u.email, u.display_name, u.password_hash, u.tier, u.risk_profile, u.timezone, "
    "u.status, to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
    "to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

UserRow RowAt(const Result& r, int i) { return ReadUserRow(r, i, 0); }

StatusOr<std::optional<UserRow>> One(Pool* pool, const std::string& sql, const Params& p) {
  auto conn = pool->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(sql, p);
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<UserRow>();
  return std::optional<UserRow>(RowAt(*r, 0));
}

}  // namespace

const char* const kUserColumns = kColumns;

UserRow ReadUserRow(const Result& r, int i, int c) {
  UserRow u;
  u.id = r.GetInt64(i, c);
  u.email = r.GetString(i, c + 1);
  u.display_name = r.GetOptionalString(i, c + 2);
  u.password_hash = r.GetOptionalString(i, c + 3);
  u.tier = r.GetString(i, c + 4);
  u.risk_profile = r.GetString(i, c + 5);
  u.timezone = r.GetString(i, c + 6);
  u.status = r.GetString(i, c + 7);
  u.created_at = r.GetString(i, c + 8);
  u.updated_at = r.GetString(i, c + 9);
  return u;
}

StatusOr<UserRow> UsersRepository::Create(const std::string& email,
                                          const std::optional<std::string>& password_hash,
                                          const std::string& tier) {
  auto r = One(pool_,
               std::string("INSERT INTO users AS u (email, password_hash, tier) VALUES ($1, $2, $3) "
                           "RETURNING ") + kColumns,
               Params().Add(email).Add(password_hash).Add(tier));
  if (!r.ok()) {
    if (r.status().code() == SF_ERR_CONFLICT)
      return Conflict("an account with the email " + email + " already exists");
    return r.status();
  }
  return **r;
}

StatusOr<std::optional<UserRow>> UsersRepository::FindByEmail(const std::string& email) {
  return One(pool_, std::string("SELECT ") + kColumns + " FROM users u WHERE lower(email) = lower($1)",
             Params().Add(email));
}

StatusOr<std::optional<UserRow>> UsersRepository::FindById(int64_t id) {
  return One(pool_, std::string("SELECT ") + kColumns + " FROM users u WHERE id = $1",
             Params().Add(id));
}

StatusOr<std::vector<UserRow>> UsersRepository::List(int64_t after_id, int limit,
                                                     const std::optional<std::string>& tier,
                                                     const std::optional<std::string>& status) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kColumns +
                             " FROM users u WHERE id > $1 AND ($2::text IS NULL OR tier = $2) "
                             "AND ($3::text IS NULL OR status = $3) ORDER BY id LIMIT $4",
                         Params().Add(after_id).Add(tier).Add(status).Add(limit));
  if (!r.ok()) return r.status();
  std::vector<UserRow> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(RowAt(*r, i));
  return out;
}

StatusOr<std::optional<UserRow>> UsersRepository::Update(int64_t id, const UserChange& change,
                                                         UserRow* before) {
  std::optional<UserRow> after;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto old = c.Exec(std::string("SELECT ") + kColumns + " FROM users u WHERE id = $1 FOR UPDATE",
                      Params().Add(id));
    if (!old.ok()) return old.status();
    if (old->rows() == 0) return Status::Ok();
    if (before) *before = RowAt(*old, 0);
    auto r = c.Exec(std::string("UPDATE users u SET tier = coalesce($2, tier), "
                                "status = coalesce($3, status), "
                                "risk_profile = coalesce($4, risk_profile), "
                                "display_name = coalesce($5, display_name), "
                                "timezone = coalesce($6, timezone), "
                                "password_hash = coalesce($7, password_hash), updated_at = now() "
                                "WHERE id = $1 RETURNING ") + kColumns,
                    Params()
                        .Add(id)
                        .Add(change.tier)
                        .Add(change.status)
                        .Add(change.risk_profile)
                        .Add(change.display_name)
                        .Add(change.timezone)
                        .Add(change.password_hash));
    if (!r.ok()) return r.status();
    after = RowAt(*r, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return after;
}

}  // namespace sf::store
