#include "app/store_service.h"

#include "app/context.h"
#include "base/logging.h"
#include "store/migrator.h"

namespace sf::app {

Status StoreService::Start(Context& ctx) {
  const auto& cfg = ctx.config();
  const nlohmann::json db = cfg.contains("database") ? cfg["database"] : nlohmann::json::object();
  store::StoreOptions options = store::StoreOptionsFromConfig(
      db, [&ctx](const std::string& p) { return ctx.ResolvePath(p); });
  auto opened = store::Store::Open(options);
  if (!opened.ok()) return opened.status();
  store_ = std::move(*opened);
  if (auto st = store::Migrator(&store_->pool(), options.migrations_dir).Describe(); st.ok()) {
    for (const auto& m : *st)
      if (m.applied) schema_version_ = m.version;
  }
  base::Logger("store")->info("ready: {} database, schema version {}",
                              store_->cluster() ? "embedded" : "external", schema_version_);
  return Status::Ok();
}

void StoreService::Stop() { store_.reset(); }

nlohmann::json StoreService::Health() const {
  if (!store_) return {{"ready", false}, {"error", "not started"}};
  nlohmann::json h = {{"database", store_->cluster() ? "embedded" : "external"},
                      {"schema_version", schema_version_},
                      {"pool",
                       {{"open", store_->pool().open_connections()},
                        {"idle", store_->pool().idle_connections()},
                        {"size", store_->pool().options().size}}}};
  auto conn = store_->pool().Acquire();
  bool ready = conn.ok() && (*conn)->Ping();
  h["ready"] = ready;
  if (!ready) h["error"] = conn.ok() ? "database unavailable: ping failed" : conn.status().message();
  return h;
}

namespace {
const ServiceRegistrar kStoreService(
    {kOrderStore, "store", []() -> std::unique_ptr<Service> { return std::make_unique<StoreService>(); }});
}  // namespace

}  // namespace sf::app
