#include "store/store.h"

#include <cstdlib>
#include <filesystem>

#include "base/logging.h"

namespace sf::store {

namespace fs = std::filesystem;

StoreOptions StoreOptionsFromConfig(const nlohmann::json& db,
                                    const std::function<std::string(const std::string&)>& resolve) {
  StoreOptions o;
  auto str = [&](const char* key, const char* def) {
    return db.is_object() && db.contains(key) && db[key].is_string() ? db[key].get<std::string>()
                                                                      : std::string(def);
  };
  auto num = [&](const char* key, int def) {
    return db.is_object() && db.contains(key) && db[key].is_number_integer() ? db[key].get<int>()
                                                                              : def;
  };
  o.url = str("url", "");
  if (o.url.empty()) {
    if (const char* env = std::getenv("SIGNALFORGE_DATABASE_URL")) o.url = env;
  }
  o.data_dir = resolve(str("data_dir", "var/pg"));
  o.database = str("name", "signalforge");
  o.migrations_dir = resolve(str("migrations_dir", "schemas/migrations"));
  std::error_code ec;
  if (!std::filesystem::is_directory(o.migrations_dir, ec)) {
    // An installed binary: <prefix>/bin/signalforge, <prefix>/share/signalforge/migrations.
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    fs::path installed = exe.parent_path().parent_path() / "share/signalforge/migrations";
    if (!ec && fs::is_directory(installed, ec)) o.migrations_dir = installed.string();
  }
  o.migrate = !(db.is_object() && db.contains("migrate_on_start") &&
                db["migrate_on_start"].is_boolean() && !db["migrate_on_start"].get<bool>());
  o.pool_size = num("pool_size", 8);
  o.checkout_timeout_ms = num("checkout_timeout_ms", 5000);
  o.connect_timeout_s = num("connect_timeout_s", 3);
  return o;
}

StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  std::unique_ptr<Store> store(new Store());
  store->options_ = options;
  if (options.url.empty()) {
    EmbeddedClusterOptions co;
    co.data_dir = options.data_dir;
    co.extra_conf = options.extra_conf;
    store->cluster_ = std::make_unique<EmbeddedCluster>(co);
    SF_RETURN_IF_ERROR(store->cluster_->Start());
    SF_RETURN_IF_ERROR(store->cluster_->CreateDatabase(options.database));
    store->conninfo_ = store->cluster_->ConnectionString(options.database);
    sf::base::Logger("store")->info("embedded PostgreSQL in {} ({})", store->cluster_->data_dir(),
                 store->cluster_->created()   ? "created"
                                 : store->cluster_->adopted() ? "already running"
                                                              : "reused");
  } else {
    store->conninfo_ = options.url;
  }
  PoolOptions po;
  po.conninfo = store->conninfo_;
  po.size = options.pool_size;
  po.checkout_timeout = std::chrono::milliseconds(options.checkout_timeout_ms);
  po.connect_timeout_s = options.connect_timeout_s;
  auto pool = Pool::Create(po);
  if (!pool.ok()) return pool.status();
  store->pool_ = std::move(*pool);
  if (options.migrate) {
    Migrator m(store->pool_.get(), options.migrations_dir);
    auto r = m.Migrate();
    if (!r.ok()) return r.status();
    store->applied_ = r->applied;
    sf::base::Logger("store")->info("schema at version {} ({} migration(s) applied now)", r->current_version,
                 r->applied.size());
  }
  return store;
}

Store::~Store() {
  pool_.reset();  // close connections before stopping the server
  if (cluster_ && cluster_->adopted() && !options_.stop_adopted_cluster) {
    cluster_->Detach();
  } else if (cluster_) {
    Status s = cluster_->Stop();
    if (!s.ok()) sf::base::Logger("store")->warn("stopping embedded PostgreSQL: {}", s.ToString());
  }
}

}  // namespace sf::store
