// What every subcommand gets: the validated configuration (file + environment
// overrides), the loaded plugins, and the paths the host works with.
// Owned by the application; one per process. Not thread-safe to mutate;
// const accessors are safe after start.
#ifndef SF_APP_CONTEXT_H_
#define SF_APP_CONTEXT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "plugins/registry.h"

namespace sf::app { class Service; }

namespace sf::app {

class Context {
 public:
  virtual ~Context() = default;
  // The effective configuration, validated against schemas/config.schema.json
  // with SIGNALFORGE_* environment overrides applied.
  virtual const nlohmann::json& config() const = 0;
  // Directory relative paths in the config are resolved against.
  virtual const std::string& base_dir() const = 0;
  // Resolve a path from the config (absolute stays, relative joins base_dir).
  virtual std::string ResolvePath(const std::string& path) const = 0;
  // Plugins from the configured directories, loaded on first call (refusals
  // are logged, never fatal).
  virtual plugins::Registry& plugins() = 0;
  // A started service of `serve` by name ("store", "market"...), or nullptr
  // (always nullptr outside `serve`).
  virtual Service* FindService(const std::string& name) = 0;
};

}  // namespace sf::app

#endif  // SF_APP_CONTEXT_H_
