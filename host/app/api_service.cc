// The "api" service of `signalforge serve` (slot kOrderApi): builds the API
// platform (host/api/platform.h) from the config's /api and /auth sections
// over the store's connection pool, creates the configured admin account
// when it does not exist, and mounts /api/, /metrics and /openapi.json on
// the host's HTTP listener (http_service.h). With /api/enabled false the
// service starts empty and those paths answer 404.
//
// serve refuses to start with the API enabled and no JWT secret, or one
// shorter than 32 bytes (SIGNALFORGE_JWT_SECRET): there is no built-in
// default.
//
// Thread-safety: platform() is safe from HTTP threads between Start and
// Stop (the listener stops first).
#include <atomic>
#include <memory>

#include "api/metrics.h"
#include "api/platform.h"
#include "api/routes_backtests.h"
#include "api/routes_scans.h"
#include "api/secrets.h"
#include "api/stream.h"
#include "app/context.h"
#include "app/http_service.h"
#include "app/service.h"
#include "app/store_service.h"
#include "base/logging.h"
#include "store/audit_repository.h"
#include "store/users_repository.h"

namespace sf::app {
namespace {

using nlohmann::json;

// Creates the admin of /api/admin when no account has its email.
Status BootstrapAdmin(const json& config, store::Pool* pool, const api::PasswordCost& cost) {
  const json admin = config.value("api", json::object()).value("admin", json::object());
  const std::string email = admin.value("email", "");
  if (email.empty()) return Status::Ok();
  const std::string password = admin.value("password", "");
  Status rules = api::CheckPasswordRules(password);
  if (!rules.ok())
    return InvalidArgument("api.admin.password (SIGNALFORGE_ADMIN_PASSWORD): " + rules.message());
  store::UsersRepository users(pool);
  auto existing = users.FindByEmail(email);
  if (!existing.ok()) return existing.status();
  if (*existing) return Status::Ok();
  auto hash = api::HashPassword(password, cost);
  if (!hash.ok()) return hash.status();
  auto created = users.Create(email, *hash, "admin");
  if (!created.ok()) return created.status();
  store::AuditRepository audit(pool);
  auto logged = audit.Append("system", "user.create", "user:" + std::to_string(created->id),
                             {{"email", email}, {"tier", "admin"}, {"source", "config"}});
  if (!logged.ok()) return logged.status();
  base::Logger("api")->info("created admin account {} (id {}) from api.admin", email, created->id);
  return Status::Ok();
}

class ApiService final : public Service {
 public:
  Status Start(Context& ctx) override {
    const json& config = ctx.config();
    if (!config.value("api", json::object()).value("enabled", false)) {
      base::Logger("api")->info("the HTTP API is disabled (api.enabled)");
      return Status::Ok();
    }
    auto options = api::PlatformOptions::FromConfig(config);
    if (!options.ok()) return options.status();
    auto* store = dynamic_cast<StoreService*>(ctx.FindService("store"));
    if (!store) return Unavailable("the api service needs the store service");
    store::Pool* pool = &store->pool();
    SF_RETURN_IF_ERROR(BootstrapAdmin(config, pool, options->password));
    auto platform = api::ApiPlatform::Create(std::move(*options), pool, &ctx, api::RegisteredRoutes());
    if (!platform.ok()) return platform.status();
    platform_ = std::move(*platform);

    // Database pool state, sampled on every scrape while this service runs.
    pool_for_metrics_->store(pool);
    static std::once_flag once;
    std::call_once(once, [watched = pool_for_metrics_] {
      api::MetricsRegistry::Global().AddCollector([watched](api::MetricsRegistry& reg) {
        auto& gauge = reg.Gauge("signalforge_db_pool_connections",
                                "Database pool connections by state.", {"state"});
        store::Pool* p = watched->load();
        gauge.With({"open"}).Set(p ? p->open_connections() : 0);
        gauge.With({"idle"}).Set(p ? p->idle_connections() : 0);
        gauge.With({"size"}).Set(p ? p->options().size : 0);
      });
    });
    base::Logger("api")->info("API ready: {} routes", platform_->routes().routes().size());
    return Status::Ok();
  }

  void Stop() override {
    // Background work of the API first: it uses the pool and the platform.
    api::StreamHub::Instance().Stop();
    api::ScanRunner::Instance().Stop();
    api::StopBacktestRunner();
    pool_for_metrics_->store(nullptr);
    platform_.reset();  // flushes queued api_usage rows
  }

  json Health() const override {
    if (!platform_) return {{"ready", true}, {"enabled", false}};
    return {{"ready", true}, {"enabled", true}, {"routes", platform_->routes().routes().size()}};
  }

  api::ApiPlatform* platform() { return platform_.get(); }

 private:
  std::unique_ptr<api::ApiPlatform> platform_;
  // Shared with the metrics collector, which outlives this service.
  static inline std::shared_ptr<std::atomic<store::Pool*>> pool_for_metrics_ =
      std::make_shared<std::atomic<store::Pool*>>(nullptr);
};

const ServiceRegistrar kApiService({kOrderApi, "api", []() -> std::unique_ptr<Service> {
                                      return std::make_unique<ApiService>();
                                    }});

Poco::Net::HTTPRequestHandler* MakeApiHandler(Context& ctx, const Poco::Net::HTTPServerRequest&) {
  auto* service = dynamic_cast<ApiService*>(ctx.FindService("api"));
  if (!service || !service->platform()) return nullptr;
  return service->platform()->NewHandler();
}

const HttpMountRegistrar kApiMount({"api", "/api/", &MakeApiHandler});
const HttpMountRegistrar kMetricsMount({"metrics", "/metrics", &MakeApiHandler});
const HttpMountRegistrar kOpenApiMount({"openapi", "/openapi.json", &MakeApiHandler});

}  // namespace
}  // namespace sf::app
