// sf_testing: throwaway PostgreSQL clusters for tests of every room, started
// with the store's own EmbeddedCluster code (so tests exercise the same path
// as `serve`).
//
// Typical use in a test:
//
//   #include "support/pg_cluster.h"
//   TEST(MyRoom, Works) {
//     // A fresh, migrated database in the binary's shared cluster.
//     std::string conninfo = sf::testing::PgCluster::Shared().CreateMigratedDatabase();
//     auto pool = sf::store::Pool::Create({.conninfo = conninfo});
//     ...
//   }
//
// Shared() starts one cluster per test process (in /tmp/sfpg-XXXXXX, about
// 1-2 s) the first time it is called, and stops (pg_ctl stop -m immediate:
// the data is discarded) and deletes it when the process exits. Each
// CreateDatabase() call gives a new empty database, so tests stay isolated
// without paying for a cluster each. Register the test binary with
// add_test() (one process for all its tests) rather than
// gtest_discover_tests() to really share the cluster.
//
// Test clusters run with fsync off (no machine crash happens in a test; a
// server crash, pg_ctl stop -m immediate, is still recovered from WAL).
//
// Thread-safety: Shared() and CreateDatabase() are thread-safe.
#ifndef SF_TESTING_PG_CLUSTER_H_
#define SF_TESTING_PG_CLUSTER_H_

#include <memory>
#include <mutex>
#include <string>

#include "store/embedded_cluster.h"

namespace sf::testing {

class PgCluster {
 public:
  // The process-wide cluster; aborts the test binary with a clear message if
  // PostgreSQL cannot be started (nothing else can pass then).
  static PgCluster& Shared();

  // A private cluster in a fresh temporary folder (tests that stop/kill
  // the server use their own). Check ok() / error() after construction.
  PgCluster();
  ~PgCluster();  // stops the server and deletes the folder
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // A new empty database; returns its libpq connection string.
  std::string CreateDatabase(const std::string& prefix = "t");
  // A new database with every migration of schemas/migrations applied.
  std::string CreateMigratedDatabase(const std::string& prefix = "t");
  std::string ConnectionString(const std::string& db) const {
    return cluster_->ConnectionString(db);
  }
  store::EmbeddedCluster& cluster() { return *cluster_; }
  const std::string& dir() const { return dir_; }

  // The source tree's schemas/migrations.
  static std::string MigrationsDir();

 private:
  std::string dir_;
  std::unique_ptr<store::EmbeddedCluster> cluster_;
  Status status_;
  std::mutex mu_;
  int next_db_ = 0;
};

}  // namespace sf::testing

#endif  // SF_TESTING_PG_CLUSTER_H_
