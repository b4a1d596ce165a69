// Long-running parts of `signalforge serve` (the embedded database, the
// market feed, the engine, the HTTP API...). Each room registers its service
// from a host/app/<room>_service.cc with a static ServiceRegistrar; `serve`
// starts them in ascending `order` (config -> store -> plugins -> market ->
// engine -> scripts -> notify -> api) and stops them in reverse. A service
// that fails to start stops the ones already started and `serve` exits 1
// with the service's name and reason.
#ifndef SF_APP_SERVICE_H_
#define SF_APP_SERVICE_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"

namespace sf::app {

class Context;

// Start order slots.
inline constexpr int kOrderStore = 100;
inline constexpr int kOrderPlugins = 200;
inline constexpr int kOrderMarket = 300;
inline constexpr int kOrderEngine = 400;
inline constexpr int kOrderScripts = 500;
inline constexpr int kOrderNotify = 600;
inline constexpr int kOrderApi = 700;
// The host's HTTP listener (service "http", host/app/http_service.h): opens
// after every api-level service has started and closes before they stop.
inline constexpr int kOrderHttp = kOrderApi + 90;

class Service {
 public:
  virtual ~Service() = default;
  // Called once, in order. Other services started earlier are reachable
  // through ctx.FindService(name).
  virtual Status Start(Context& ctx) = 0;
  // Called once, in reverse order, even after a partial start.
  virtual void Stop() = 0;
  // Readiness and detail for /healthz and /readyz: {"ready":true,...}.
  // Called from HTTP threads while the service runs: must be thread-safe.
  virtual nlohmann::json Health() const { return {{"ready", true}}; }
};

struct ServiceSpec {
  int order = 0;
  std::string name;  // "store", "market", "api"...
  std::unique_ptr<Service> (*make)() = nullptr;
};

std::vector<ServiceSpec>& Services();

struct ServiceRegistrar {
  explicit ServiceRegistrar(ServiceSpec spec) { Services().push_back(std::move(spec)); }
};

}  // namespace sf::app

#endif  // SF_APP_SERVICE_H_
