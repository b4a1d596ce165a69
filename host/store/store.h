// The store as the host uses it: where the database is (embedded cluster or
// an external server), the connection pool to it, and migrations.
//
// Store::Open() with an empty url starts (or creates) the embedded cluster
// in data_dir and makes sure `database` exists in it; with a url it starts
// nothing. It then opens the pool and, when asked, applies migrations.
// Destroying the Store closes the pool and stops the embedded cluster it
// started.
//
// Thread-safety: Open/destruction by one owner; pool() is thread-safe.
#ifndef SF_STORE_STORE_H_
#define SF_STORE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/embedded_cluster.h"
#include "store/migrator.h"
#include "store/pool.h"

namespace sf::store {

struct StoreOptions {
  std::string url;             // empty: embedded cluster
  std::string data_dir;        // embedded cluster folder (absolute or cwd-relative)
  std::string database = "signalforge";  // database inside the embedded cluster
  std::string migrations_dir;  // NNNN_name.sql files
  bool migrate = true;         // apply pending migrations in Open()
  int pool_size = 8;
  int checkout_timeout_ms = 5000;
  int connect_timeout_s = 3;
  std::vector<std::string> extra_conf;  // embedded postgresql.conf lines
  // Whether closing the Store stops an embedded server it found already
  // running. serve: yes (it owns the data folder; the server was left by a
  // crashed run). `db` tools: no (it may belong to a live serve).
  bool stop_adopted_cluster = true;
};

// Reads the "database" section of the config (schemas/config.schema.json);
// `resolve` turns a config path into an absolute one (Context::ResolvePath).
// SIGNALFORGE_DATABASE_URL, when set and the url is empty, wins.
StoreOptions StoreOptionsFromConfig(const nlohmann::json& database,
                                    const std::function<std::string(const std::string&)>& resolve);

class Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);
  ~Store();

  Pool& pool() { return *pool_; }
  // Connection string of the database in use (for psql, tools, listeners).
  const std::string& conninfo() const { return conninfo_; }
  // The embedded cluster, or nullptr with an external url.
  EmbeddedCluster* cluster() { return cluster_.get(); }
  const StoreOptions& options() const { return options_; }
  // What Open() applied (empty when nothing was pending or migrate=false).
  const std::vector<std::string>& applied_migrations() const { return applied_; }

 private:
  Store() = default;
  StoreOptions options_;
  std::unique_ptr<EmbeddedCluster> cluster_;
  std::unique_ptr<Pool> pool_;
  std::string conninfo_;
  std::vector<std::string> applied_;
};

}  // namespace sf::store

#endif  // SF_STORE_STORE_H_
