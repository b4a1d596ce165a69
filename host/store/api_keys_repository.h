// API keys of the hosted API (table `api_keys`). Only a hash of each key is
// stored (the caller hashes); the short prefix lets a user recognise a key
// in listings. A key is usable while not revoked, not expired and its user
// is active.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_API_KEYS_REPOSITORY_H_
#define SF_STORE_API_KEYS_REPOSITORY_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"
#include "store/users_repository.h"

namespace sf::store {

struct ApiKeyRow {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string key_prefix;
  std::vector<std::string> scopes;
  std::string created_at;                   // ISO-8601 UTC
  std::optional<std::string> last_used_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
};

class ApiKeysRepository {
 public:
  explicit ApiKeysRepository(Pool* pool) : pool_(pool) {}

  // expires_in_s: nullopt = never expires.
  StatusOr<ApiKeyRow> Create(int64_t user_id, const std::string& name, const std::string& prefix,
                             const std::string& key_hash, const std::vector<std::string>& scopes,
                             std::optional<int64_t> expires_in_s);
  // The live key with this hash and its user (whatever the user's status:
  // the caller decides), or nullopt. Stamps last_used_at at most once a
  // minute per key.
  struct KeyAndUser {
    ApiKeyRow key;
    UserRow user;
  };
  StatusOr<std::optional<KeyAndUser>> FindLiveByHash(const std::string& key_hash);
  // A user's keys, newest first, revoked ones included.
  StatusOr<std::vector<ApiKeyRow>> ListForUser(int64_t user_id);
  // Revokes key `id` of `user_id`; false when the user has no such live key.
  StatusOr<bool> Revoke(int64_t user_id, int64_t id);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_API_KEYS_REPOSITORY_H_
