// A private PostgreSQL cluster run from the system's PostgreSQL binaries:
// the default database of `signalforge serve` and the throwaway clusters of
// the test suite (tests/support).
//
// Start() creates the cluster on first use (initdb: UTF8, trust auth on the
// Unix socket only, no TCP: listen_addresses = '' and the socket lives in the
// data folder), reuses it afterwards, and starts it with `pg_ctl start -w`.
// A postmaster.pid left by a crashed host is handled by pg_ctl/postgres
// (the pid is checked for liveness); a cluster still running from a crashed
// host is adopted. Stop() runs `pg_ctl stop -m fast`.
// When the process runs as root, every PostgreSQL program runs as the
// `postgres` user (runuser -u postgres --) and the data folder is chowned
// to it, because PostgreSQL refuses to run as root.
//
// Thread-safety: not thread-safe; one owner starts and stops it.
#ifndef SF_STORE_EMBEDDED_CLUSTER_H_
#define SF_STORE_EMBEDDED_CLUSTER_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace sf::store {

struct EmbeddedClusterOptions {
  // Data folder (created if missing). Keep it short: the Unix socket path
  // inside it must fit in ~107 bytes.
  std::string data_dir;
  // Folder holding initdb/pg_ctl/postgres; empty = `pg_config --bindir`,
  // else the newest /usr/lib/postgresql/*/bin.
  std::string bin_dir;
  // Extra postgresql.conf lines, e.g. "max_connections = 50", written at
  // every start after the defaults (durable clusters: shared_buffers 256MB,
  // max_wal_size 4GB, checkpoint_timeout 15min, wal_buffers 16MB, for bulk
  // ingest), so they override them.
  std::vector<std::string> extra_conf;
  int port = 5432;  // only names the socket file (.s.PGSQL.<port>); no TCP
  bool stop_on_destroy = true;
  // Test clusters only: initdb --no-sync and fsync = off. Never for data
  // that must survive a machine crash.
  bool throwaway = false;
};

class EmbeddedCluster {
 public:
  explicit EmbeddedCluster(EmbeddedClusterOptions options);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // initdb if needed, then start (or adopt a running one). Errors name the
  // program that failed and include its output.
  Status Start();
  // pg_ctl stop -m fast. Idempotent.
  Status Stop();
  // pg_ctl stop -m immediate (crash-like; tests use it to simulate an outage).
  Status StopImmediate();
  bool running() const { return running_; }
  // True when Start() found the server already running (left by a crashed
  // host, or owned by another live process) instead of starting it.
  bool adopted() const { return adopted_; }
  // Forget the server without stopping it (a tool borrowing the cluster of
  // a running `serve`).
  void Detach() { running_ = false; }
  // True when Start() ran initdb (first start of this folder).
  bool created() const { return created_; }

  // libpq connection string for `dbname` over the Unix socket.
  std::string ConnectionString(const std::string& dbname = "postgres") const;
  const std::string& data_dir() const { return options_.data_dir; }
  const std::string& bin_dir() const { return bin_dir_; }
  // The OS user PostgreSQL runs as ("postgres" when we are root).
  const std::string& db_user() const { return db_user_; }

  // CREATE DATABASE / DROP DATABASE (names from code or tests only; they
  // are validated as [a-z0-9_]+).
  Status CreateDatabase(const std::string& name);
  Status DropDatabase(const std::string& name);

  // The PostgreSQL bin folder this host would use, or an error saying how
  // to install PostgreSQL.
  static StatusOr<std::string> FindBinDir();

 private:
  Status RunTool(const std::string& tool, const std::vector<std::string>& args,
                 std::string* output);
  bool IsRunning();

  EmbeddedClusterOptions options_;
  std::string bin_dir_;
  std::string db_user_;
  bool as_root_ = false;
  bool running_ = false;
  bool created_ = false;
  bool adopted_ = false;
};

}  // namespace sf::store

#endif  // SF_STORE_EMBEDDED_CLUSTER_H_
