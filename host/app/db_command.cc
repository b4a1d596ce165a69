// `signalforge db migrate | status | url | psql`: the database from the
// command line, using the same store code as `serve` (embedded cluster or
// database.url).
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "app/command.h"
#include "app/context.h"
#include "store/migrator.h"
#include "store/store.h"
#include "store/table_stats.h"

namespace sf::app {
namespace {

using nlohmann::json;

StatusOr<std::unique_ptr<store::Store>> OpenStore(Context& ctx, bool migrate) {
  const auto& cfg = ctx.config();
  const json db = cfg.contains("database") ? cfg["database"] : json::object();
  store::StoreOptions o =
      store::StoreOptionsFromConfig(db, [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  o.migrate = migrate;
  o.pool_size = 2;
  // A running server in the data folder may belong to a live `serve`.
  o.stop_adopted_cluster = false;
  return store::Store::Open(o);
}

int Fail(const std::string& cmd, const Status& s) {
  std::cerr << "signalforge: " << cmd << ": " << s.ToString() << "\n";
  return 1;
}

constexpr const char* kMigrateUsage = R"(Usage: signalforge db migrate [--json] [--config FILE]

Applies the pending migrations of database.migrations_dir (default
schemas/migrations: numbered NNNN_name.sql files, forward-only), each in its
own transaction, recorded in schema_migrations. Refuses (exit 1, naming the
file) when an applied migration's file was changed afterwards. With no
database.url the embedded cluster in database.data_dir is started for the
duration of the command (created on first use).
  --json   {"applied":["0001_market.sql",...],"version":N}
)";

int RunMigrate(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("db migrate", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("db migrate", "unexpected argument '" + parsed->positional[0] + "'");
  auto st = OpenStore(ctx, /*migrate=*/false);
  if (!st.ok()) return Fail("db migrate", st.status());
  auto r = store::Migrator(&(*st)->pool(), (*st)->options().migrations_dir).Migrate();
  if (!r.ok()) return Fail("db migrate", r.status());
  if (parsed->Has("--json")) {
    std::cout << json{{"applied", r->applied}, {"version", r->current_version}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& n : r->applied) std::cout << "applied " << n << "\n";
  std::cout << (r->applied.empty() ? "up to date" : "done") << ": schema version "
            << r->current_version << "\n";
  return 0;
}

constexpr const char* kStatusUsage = R"(Usage: signalforge db status [--json] [--config FILE]

Shows where the database is (embedded data folder or external), every
migration with its state (applied with time / pending / CHANGED after being
applied / applied but missing from the folder) and row counts of the main
tables. Exit code 1 when a migration is changed or missing.
  --json   {"database","conninfo","migrations":[{"version","name","state",
            "applied_at"}],"rows":{"instruments":N,...}}
)";

int RunStatus(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("db status", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("db status", "unexpected argument '" + parsed->positional[0] + "'");
  auto st = OpenStore(ctx, /*migrate=*/false);
  if (!st.ok()) return Fail("db status", st.status());
  store::Store& s = **st;
  auto migrations = store::Migrator(&s.pool(), s.options().migrations_dir).Describe();
  if (!migrations.ok()) return Fail("db status", migrations.status());
  json out = {{"database", s.cluster() ? "embedded " + s.cluster()->data_dir() : "external"},
              {"conninfo", s.conninfo()},
              {"migrations", json::array()},
              {"rows", json::object()}};
  int rc = 0;
  for (const auto& m : *migrations) {
    std::string state = m.missing_file       ? "missing_file"
                         : m.checksum_changed ? "changed"
                         : m.applied          ? "applied"
                                              : "pending";
    if (m.missing_file || m.checksum_changed) rc = 1;
    out["migrations"].push_back(
        {{"version", m.version}, {"name", m.name}, {"state", state}, {"applied_at", m.applied_at}});
  }
  auto conn = s.pool().Acquire();
  if (!conn.ok()) return Fail("db status", conn.status());
  auto counts = store::CountMainTables(**conn);
  if (!counts.ok()) return Fail("db status", counts.status());
  for (const auto& [table, rows] : *counts) out["rows"][table] = rows;
  if (parsed->Has("--json")) {
    std::cout << out.dump(2) << "\n";
    return rc;
  }
  std::cout << "database: " << out["database"].get<std::string>() << "\n"
            << "conninfo: " << s.conninfo() << "\n"
            << "migrations (" << s.options().migrations_dir << "):\n";
  for (const auto& m : out["migrations"]) {
    std::cout << "  " << m["name"].get<std::string>() << "  " << m["state"].get<std::string>();
    if (!m["applied_at"].get<std::string>().empty())
      std::cout << " " << m["applied_at"].get<std::string>();
    std::cout << "\n";
  }
  std::cout << "rows:";
  for (const auto& [k, v] : out["rows"].items()) std::cout << " " << k << "=" << v;
  std::cout << "\n";
  return rc;
}

constexpr const char* kUrlUsage = R"(Usage: signalforge db url [--config FILE]

Prints the libpq connection string of the database (for psql or other
tools). For the embedded cluster it is valid while the cluster runs (during
`serve`, or use `signalforge db psql`).
)";

int RunUrl(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {});
  if (!parsed.ok()) return UsageError("db url", parsed.status().message());
  auto st = OpenStore(ctx, /*migrate=*/false);
  if (!st.ok()) return Fail("db url", st.status());
  std::cout << (*st)->conninfo() << "\n";
  return 0;
}

constexpr const char* kPsqlUsage = R"(Usage: signalforge db psql [--config FILE] [-- PSQL_ARGS...]

Opens psql on the database (starting the embedded cluster for the session
when `serve` is not running). Arguments after -- go to psql, e.g.
  signalforge db psql -- -c "SELECT count(*) FROM bars"
)";

int RunPsql(Context& ctx, const std::vector<std::string>& args) {
  std::vector<std::string> psql_args;
  auto dash = std::find(args.begin(), args.end(), "--");
  if (dash != args.end()) psql_args.assign(dash + 1, args.end());
  auto parsed = ParseArgs(std::vector<std::string>(args.begin(), dash), {});
  if (!parsed.ok()) return UsageError("db psql", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("db psql", "unexpected argument '" + parsed->positional[0] +
                                     "' (psql arguments go after --)");
  auto st = OpenStore(ctx, /*migrate=*/false);
  if (!st.ok()) return Fail("db psql", st.status());
  std::vector<std::string> argv = {"psql", (*st)->conninfo()};
  argv.insert(argv.end(), psql_args.begin(), psql_args.end());
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    execvp("psql", a.data());
    std::perror("signalforge: db psql: cannot run psql");
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

const CommandRegistrar kDbMigrate({"db migrate", "Apply pending database migrations",
                                   kMigrateUsage, &RunMigrate});
const CommandRegistrar kDbStatus({"db status", "Show the database, its migrations and row counts",
                                  kStatusUsage, &RunStatus});
const CommandRegistrar kDbUrl({"db url", "Print the database connection string", kUrlUsage,
                               &RunUrl});
const CommandRegistrar kDbPsql({"db psql", "Open psql on the database", kPsqlUsage, &RunPsql});

}  // namespace
}  // namespace sf::app
