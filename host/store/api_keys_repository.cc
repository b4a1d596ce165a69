#include "store/api_keys_repository.h"

namespace sf::store {
namespace {

#define SF_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
constexpr const char* kKeyColumns =
    "k.id, k.user_id, k.name, k.key_prefix, k.scopes::text, " SF_ISO("k.created_at") ", " SF_ISO(
        "k.last_used_at") ", " SF_ISO("k.expires_at") ", " SF_ISO("k.revoked_at");
constexpr int kKeyColumnCount = 9;
#undef SF_ISO

ApiKeyRow KeyAt(const Result& r, int i) {
  ApiKeyRow k;
  k.id = r.GetInt64(i, 0);
  k.user_id = r.GetInt64(i, 1);
  k.name = r.GetString(i, 2);
  k.key_prefix = r.GetString(i, 3);
  auto scopes = nlohmann::json::parse(r.Get(i, 4), nullptr, false);
  if (scopes.is_array())
    for (const auto& s : scopes)
      if (s.is_string()) k.scopes.push_back(s.get<std::string>());
  k.created_at = r.GetString(i, 5);
  k.last_used_at = r.GetOptionalString(i, 6);
  k.expires_at = r.GetOptionalString(i, 7);
  k.revoked_at = r.GetOptionalString(i, 8);
  return k;
}

}  // namespace

StatusOr<ApiKeyRow> ApiKeysRepository::Create(int64_t user_id, const std::string& name,
                                              const std::string& prefix,
                                              const std::string& key_hash,
                                              const std::vector<std::string>& scopes,
                                              std::optional<int64_t> expires_in_s) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      std::string("INSERT INTO api_keys AS k (user_id, name, key_prefix, key_hash, scopes, "
                  "expires_at) VALUES ($1, $2, $3, $4, $5::jsonb, "
                  "now() + make_interval(secs => $6::bigint)) RETURNING ") +
          kKeyColumns,
      Params()
          .Add(user_id)
          .Add(name)
          .Add(prefix)
          .Add(key_hash)
          .Add(nlohmann::json(scopes).dump())
          .Add(expires_in_s));
  if (!r.ok()) return r.status();
  return KeyAt(*r, 0);
}

StatusOr<std::optional<ApiKeysRepository::KeyAndUser>> ApiKeysRepository::FindLiveByHash(
    const std::string& key_hash) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kKeyColumns + ", " + kUserColumns +
                             " FROM api_keys k JOIN users u ON u.id = k.user_id "
                             "WHERE k.key_hash = $1 AND k.revoked_at IS NULL "
                             "AND (k.expires_at IS NULL OR k.expires_at > now())",
                         Params().Add(key_hash));
  if (!r.ok()) return r.status();
  if (r->rows() == 0) return std::optional<KeyAndUser>();
  KeyAndUser out{KeyAt(*r, 0), ReadUserRow(*r, 0, kKeyColumnCount)};
  auto touched = (*conn)->Run(
      "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND "
      "(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
      Params().Add(out.key.id));
  if (!touched.ok()) return touched;
  return std::optional<KeyAndUser>(std::move(out));
}

StatusOr<std::vector<ApiKeyRow>> ApiKeysRepository::ListForUser(int64_t user_id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(std::string("SELECT ") + kKeyColumns +
                             " FROM api_keys k WHERE k.user_id = $1 ORDER BY k.id DESC",
                         Params().Add(user_id));
  if (!r.ok()) return r.status();
  std::vector<ApiKeyRow> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(KeyAt(*r, i));
  return out;
}

StatusOr<bool> ApiKeysRepository::Revoke(int64_t user_id, int64_t id) {
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto r = (*conn)->Exec(
      "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 "
      "AND revoked_at IS NULL",
      Params().Add(id).Add(user_id));
  if (!r.ok()) return r.status();
  return r->AffectedRows() == 1;
}

}  // namespace sf::store
