#include "store/refresh_tokens_repository.h"

namespace sf::store {

Status RefreshTokensRepository::Create(int64_t user_id, const std::string& token_hash,
                                       int64_t ttl_s) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "INSERT INTO refresh_tokens (user_id, token_hash, family, expires_at) "
      "VALUES ($1, $2, gen_random_uuid(), now() + make_interval(secs => $3::bigint))",
      Params().Add(user_id).Add(token_hash).Add(ttl_s));
}

StatusOr<int64_t> RefreshTokensRepository::Rotate(const std::string& old_hash,
                                                  const std::string& new_hash, int64_t ttl_s) {
  int64_t user_id = 0;
  bool reused = false;
  std::string family;
  Status s = pool_->InTransaction([&](Connection& c) -> Status {
    auto r = c.Exec(
        "SELECT user_id, family::text, used_at IS NOT NULL, revoked_at IS NOT NULL, "
        "expires_at <= now() FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        Params().Add(old_hash));
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return PermissionDenied("the refresh token is not known");
    family = r->GetString(0, 1);
    if (r->GetBool(0, 3)) return PermissionDenied("the refresh token was revoked");
    if (r->GetBool(0, 2)) {
      reused = true;
      return PermissionDenied("the refresh token was already used; its family is now revoked");
    }
    if (r->GetBool(0, 4)) return PermissionDenied("the refresh token expired");
    user_id = r->GetInt64(0, 0);
    SF_RETURN_IF_ERROR(c.Run("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
                             Params().Add(old_hash)));
    return c.Run(
        "INSERT INTO refresh_tokens (user_id, token_hash, family, expires_at) "
        "VALUES ($1, $2, $3::uuid, now() + make_interval(secs => $4::bigint))",
        Params().Add(user_id).Add(new_hash).Add(family).Add(ttl_s));
  });
  if (reused) {
    auto conn = pool_->Acquire();
    if (conn.ok())
      (void)(*conn)->Run(
          "UPDATE refresh_tokens SET revoked_at = now() WHERE family = $1::uuid "
          "AND revoked_at IS NULL",
          Params().Add(family));
  }
  if (!s.ok()) return s;
  return user_id;
}

StatusOr<bool> RefreshTokensRepository::Revoke(int64_t user_id, const std::string& token_hash) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family = "
      "(SELECT family FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)",
      Params().Add(token_hash).Add(user_id));
  if (!r.ok()) return r.status();
  return r->AffectedRows() > 0;
}

Status RefreshTokensRepository::RevokeAllForUser(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Run(
      "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
      Params().Add(user_id));
}

}  // namespace sf::store
