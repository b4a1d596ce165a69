// Refresh tokens of the hosted API (table `refresh_tokens`, migration 0009).
// The caller hashes tokens (SHA-256 hex); the database never sees one.
// Rotate() is the refresh: it consumes a live token and issues its successor
// in the same family, in one transaction; presenting a consumed token again
// revokes the whole family.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
#ifndef SF_STORE_REFRESH_TOKENS_REPOSITORY_H_
#define SF_STORE_REFRESH_TOKENS_REPOSITORY_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

class RefreshTokensRepository {
 public:
  explicit RefreshTokensRepository(Pool* pool) : pool_(pool) {}

  // Stores a new token (a new family) valid for ttl_s seconds.
  Status Create(int64_t user_id, const std::string& token_hash, int64_t ttl_s);
  // Consumes `old_hash` and stores `new_hash` in its family; returns the
  // user id. SF_ERR_PERMISSION when the token is unknown, expired, revoked
  // or already used (the last also revokes the family).
  StatusOr<int64_t> Rotate(const std::string& old_hash, const std::string& new_hash, int64_t ttl_s);
  // Revokes the token's family when it belongs to `user_id`; false when
  // there was no such live token.
  StatusOr<bool> Revoke(int64_t user_id, const std::string& token_hash);
  // Revokes every live token of a user (password change, disable).
  Status RevokeAllForUser(int64_t user_id);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_REFRESH_TOKENS_REPOSITORY_H_
