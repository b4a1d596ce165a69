#include "support/pg_cluster.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "store/migrator.h"
#include "store/pool.h"

namespace sf::testing {

PgCluster& PgCluster::Shared() {
  static std::mutex mu;
  static std::unique_ptr<PgCluster> shared;
  std::lock_guard<std::mutex> lock(mu);
  if (!shared) {
    shared = std::make_unique<PgCluster>();
    if (!shared->ok()) {
      std::fprintf(stderr, "sf_testing: cannot start a throwaway PostgreSQL: %s\n",
                   shared->status().ToString().c_str());
      std::abort();
    }
  }
  return *shared;
}

std::string PgCluster::MigrationsDir() { return SF_TESTING_MIGRATIONS_DIR; }

PgCluster::PgCluster() {
  char tmpl[] = "/tmp/sfpg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    status_ = IoError("mkdtemp failed");
    return;
  }
  dir_ = tmpl;
  store::EmbeddedClusterOptions o;
  o.data_dir = dir_;
  o.throwaway = true;
  cluster_ = std::make_unique<store::EmbeddedCluster>(o);
  status_ = cluster_->Start();
}

PgCluster::~PgCluster() {
  // The data is thrown away, so there is nothing for a clean shutdown
  // (checkpoint) to save.
  if (cluster_ && cluster_->running()) (void)cluster_->StopImmediate();
  cluster_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::CreateDatabase(const std::string& prefix) {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++next_db_);
  }
  Status s = cluster_->CreateDatabase(name);
  if (!s.ok()) {
    std::fprintf(stderr, "sf_testing: CREATE DATABASE %s: %s\n", name.c_str(),
                 s.ToString().c_str());
    std::abort();
  }
  return cluster_->ConnectionString(name);
}

std::string PgCluster::CreateMigratedDatabase(const std::string& prefix) {
  std::string conninfo = CreateDatabase(prefix);
  auto pool = store::Pool::Create({.conninfo = conninfo, .size = 1});
  if (!pool.ok()) {
    std::fprintf(stderr, "sf_testing: %s\n", pool.status().ToString().c_str());
    std::abort();
  }
  store::Migrator m(pool->get(), MigrationsDir());
  auto r = m.Migrate();
  if (!r.ok()) {
    std::fprintf(stderr, "sf_testing: migrate: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return conninfo;
}

}  // namespace sf::testing
