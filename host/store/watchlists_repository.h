// Users' watchlists (named lists of instruments) in PostgreSQL.
//
// Every method takes the owner's user id and only ever touches that user's
// rows: another user's watchlist id answers SF_ERR_NOT_FOUND, exactly like
// an id that does not exist, so ids reveal nothing across accounts.
//
// Thread-safety: holds only a Pool pointer; all methods are thread-safe.
// The Pool must outlive the repository.
#ifndef SF_STORE_WATCHLISTS_REPOSITORY_H_
#define SF_STORE_WATCHLISTS_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct Watchlist {
  int64_t id = 0;
  std::string name;
  std::vector<std::string> symbols;  // ordered by symbol
  int64_t created_at = 0;            // µs since the epoch
};

class WatchlistsRepository {
 public:
  explicit WatchlistsRepository(Pool* pool) : pool_(pool) {}

  StatusOr<std::vector<Watchlist>> List(int64_t user_id);
  StatusOr<Watchlist> Get(int64_t user_id, int64_t id);
  // SF_ERR_CONFLICT when the user already has a list of that name,
  // SF_ERR_NOT_FOUND naming the first unknown symbol.
  StatusOr<Watchlist> Create(int64_t user_id, const std::string& name,
                             const std::vector<std::string>& symbols);
  // Renames and/or replaces the symbols (each optional), in one transaction.
  StatusOr<Watchlist> Update(int64_t user_id, int64_t id, const std::optional<std::string>& name,
                             const std::optional<std::vector<std::string>>& symbols);
  Status Delete(int64_t user_id, int64_t id);

 private:
  Pool* pool_;
};

}  // namespace sf::store

#endif  // SF_STORE_WATCHLISTS_REPOSITORY_H_
