#include "store/migrator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/logging.h"

namespace sf::store {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

struct Applied {
  std::string name, checksum, applied_at;
};

StatusOr<std::map<int, Applied>> ReadApplied(Connection& c) {
  auto exists = c.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  std::map<int, Applied> out;
  if (!exists->GetBool(0, 0)) return out;
  auto r = c.Exec(
      "SELECT version, name, checksum, to_char(applied_at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM schema_migrations ORDER BY version");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    out[static_cast<int>(r->GetInt64(i, 0))] = {r->GetString(i, 1), r->GetString(i, 2),
                                                r->GetString(i, 3)};
  }
  return out;
}

StatusOr<std::string> Md5(Connection& c, const std::string& text) {
  auto r = c.Exec("SELECT md5($1)", Params().Add(text));
  if (!r.ok()) return r.status();
  return r->GetString(0, 0);
}

}  // namespace

StatusOr<std::vector<MigrationFile>> Migrator::ReadFiles() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    return NotFound("migrations folder '" + dir_ +
                    "' does not exist; set database.migrations_dir to the folder "
                    "holding NNNN_name.sql files (installed under share/signalforge/migrations)");
  }
  std::vector<MigrationFile> files;
  std::map<int, std::string> seen;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (e.path().extension() != ".sql") continue;
    size_t us = name.find('_');
    bool digits = us != std::string::npos && us >= 1 && us <= 6 &&
                  std::all_of(name.begin(), name.begin() + us, ::isdigit);
    if (!digits || name.size() <= us + 5) {
      return InvalidArgument("migration file '" + e.path().string() +
                             "' is not named NNNN_description.sql");
    }
    int version = std::stoi(name.substr(0, us));
    if (version < 1) return InvalidArgument("migration '" + name + "': versions start at 1");
    if (auto it = seen.find(version); it != seen.end()) {
      return InvalidArgument("migrations '" + it->second + "' and '" + name +
                             "' share version " + std::to_string(version));
    }
    seen[version] = name;
    std::ifstream in(e.path(), std::ios::binary);
    if (!in) return IoError("cannot read migration '" + e.path().string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back({version, name, e.path().string(), ss.str()});
  }
  std::sort(files.begin(), files.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  return files;
}

StatusOr<MigrateResult> Migrator::Migrate() {
  auto files = ReadFiles();
  if (!files.ok()) return files.status();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  Connection& c = **conn;
  // Session-level lock: held across the per-file transactions below and
  // released by the server if this process dies.
  SF_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_lock($1)", Params().Add(int64_t{kMigrationLockKey})));
  auto unlock = [&c]() {
    (void)c.Run("SELECT pg_advisory_unlock($1)", Params().Add(int64_t{kMigrationLockKey}));
  };
  MigrateResult result;
  Status s = [&]() -> Status {
    SF_RETURN_IF_ERROR(c.Run("SET client_min_messages = warning"));
    SF_RETURN_IF_ERROR(c.Run(kCreateTable));
    auto applied = ReadApplied(c);
    if (!applied.ok()) return applied.status();
    std::map<int, const MigrationFile*> by_version;
    for (const auto& f : *files) by_version[f.version] = &f;
    for (const auto& [version, a] : *applied) {
      auto it = by_version.find(version);
      if (it == by_version.end()) {
        return Conflict("the database has migration " + a.name +
                        " applied but it is not in '" + dir_ +
                        "'; this host is older than the database schema (use a newer build "
                        "or the right database.migrations_dir)");
      }
      auto sum = Md5(c, it->second->sql);
      if (!sum.ok()) return sum.status();
      if (*sum != a.checksum) {
        return Conflict("migration file '" + it->second->path + "' changed after it was applied on " +
                        a.applied_at + " (checksum " + a.checksum + " recorded, " + *sum +
                        " now); migrations are forward-only: restore the file and put the "
                        "change in a new migration");
      }
      result.current_version = version;
    }
    for (const auto& f : *files) {
      if (applied->count(f.version)) continue;
      auto sum = Md5(c, f.sql);
      if (!sum.ok()) return sum.status();
      SF_RETURN_IF_ERROR(c.Run("BEGIN"));
      Status step = c.ExecScript(f.sql);
      if (step.ok()) {
        step = c.Run("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                     Params().Add(f.version).Add(f.name).Add(*sum));
      }
      if (step.ok()) step = c.Run("COMMIT");
      if (!step.ok()) {
        (void)c.Run("ROLLBACK");
        return Status(step.code(), "migration '" + f.path + "' failed and was rolled back: " +
                                       step.message());
      }
      sf::base::Logger("store")->info("applied migration {}", f.name);
      result.applied.push_back(f.name);
      result.current_version = f.version;
    }
    return Status::Ok();
  }();
  unlock();
  if (!s.ok()) return s;
  return result;
}

StatusOr<std::vector<MigrationStatus>> Migrator::Describe() {
  auto files = ReadFiles();
  if (!files.ok()) return files.status();
  auto conn = pool_->Acquire();
  if (!conn.ok()) return conn.status();
  auto applied = ReadApplied(**conn);
  if (!applied.ok()) return applied.status();
  std::map<int, MigrationStatus> out;
  for (const auto& f : *files) {
    MigrationStatus m;
    m.version = f.version;
    m.name = f.name;
    if (auto it = applied->find(f.version); it != applied->end()) {
      m.applied = true;
      m.applied_at = it->second.applied_at;
      auto sum = Md5(**conn, f.sql);
      if (!sum.ok()) return sum.status();
      m.checksum_changed = *sum != it->second.checksum;
    }
    out[f.version] = m;
  }
  for (const auto& [version, a] : *applied) {
    if (out.count(version)) continue;
    MigrationStatus m;
    m.version = version;
    m.name = a.name;
    m.applied = true;
    m.applied_at = a.applied_at;
    m.missing_file = true;
    out[version] = m;
  }
  std::vector<MigrationStatus> v;
  for (auto& [k, m] : out) v.push_back(std::move(m));
  return v;
}

}  // namespace sf::store
