// Schema migrations: numbered SQL files applied forward-only.
//
// Files live in one folder (schemas/migrations, installed to
// share/signalforge/migrations) and are named NNNN_description.sql; NNNN is
// the version (1, 2, ...), applied in ascending order. Each pending file runs
// inside its own transaction together with its row in `schema_migrations`
// (version, name, checksum = md5 of the file text, applied_at), so a file is
// either fully applied and recorded or not at all. Concurrent migrators
// (several hosts starting at once) are serialised with an advisory lock.
// A file that was applied and later edited makes Migrate() refuse, naming
// the file: migrations are forward-only, changes go into a new file.
//
// Thread-safety: stateless apart from the pool pointer; safe to call from
// any thread (the advisory lock serialises the work itself).
#ifndef SF_STORE_MIGRATOR_H_
#define SF_STORE_MIGRATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/pool.h"

namespace sf::store {

struct MigrationFile {
  int version = 0;
  std::string name;      // "0001_market.sql"
  std::string path;
  std::string sql;
};

struct MigrationStatus {
  int version = 0;
  std::string name;
  bool applied = false;
  std::string applied_at;       // "" when pending
  bool checksum_changed = false;  // applied, but the file differs now
  bool missing_file = false;      // applied, but no such file in the folder
};

struct MigrateResult {
  std::vector<std::string> applied;  // names applied by this call, in order
  int current_version = 0;
};

class Migrator {
 public:
  Migrator(Pool* pool, std::string dir) : pool_(pool), dir_(std::move(dir)) {}

  // Reads and validates the folder: names must be NNNN_name.sql, versions
  // unique. SF_ERR_NOT_FOUND when the folder does not exist.
  StatusOr<std::vector<MigrationFile>> ReadFiles() const;

  // Applies pending migrations. Refuses (SF_ERR_CONFLICT) when an applied
  // migration's file changed or disappeared.
  StatusOr<MigrateResult> Migrate();

  // One line per known version, files and database merged.
  StatusOr<std::vector<MigrationStatus>> Describe();

 private:
  Pool* pool_;
  std::string dir_;
};

// The advisory lock key that serialises migrators ("sfmigrat").
inline constexpr long long kMigrationLockKey = 0x73666d6967726174LL;

}  // namespace sf::store

#endif  // SF_STORE_MIGRATOR_H_
