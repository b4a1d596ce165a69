// The configuration of `signalforge`: a JSON file, overridden key by key
// from SIGNALFORGE_* environment variables, completed with the schema's
// defaults and validated against schemas/config.schema.json (compiled into
// the binary, so the executable works from any folder).
//
// Stateless functions; thread-safe.
#ifndef SF_APP_CONFIG_H_
#define SF_APP_CONFIG_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/env_overrides.h"
#include "base/json_schema.h"
#include "base/status.h"

namespace sf::app {

inline constexpr const char* kEnvPrefix = "SIGNALFORGE";
inline constexpr const char* kDefaultConfigPath = "config/signalforge.json";

// schemas/config.schema.json as built into this binary, and its compiled form.
const nlohmann::json& ConfigSchemaDocument();
const base::JsonSchema& ConfigSchema();
const std::vector<base::EnvBinding>& ConfigEnvBindings();

struct LoadedConfig {
  nlohmann::json value;               // effective config
  std::vector<std::string> env_used;  // SIGNALFORGE_* variables applied
};

// Loads `path` (empty: start from {}), applies environment overrides, fills
// defaults and validates. Errors read like
//   config error at /http/port: 70000 is greater than maximum 65535
// one line per violation, with the variable named when the value came from
// the environment.
StatusOr<LoadedConfig> LoadConfig(const std::string& path, const base::EnvLookup& env);

}  // namespace sf::app

#endif  // SF_APP_CONFIG_H_
