// Environment-variable overrides for a JSON document described by a JSON
// Schema (the config file): every property the schema declares can be set by
// a variable named after its path, e.g. with prefix "SIGNALFORGE":
//   /http/port        <- SIGNALFORGE_HTTP_PORT
//   /database/url     <- SIGNALFORGE_DATABASE_URL
//   /http             <- SIGNALFORGE_HTTP (a whole object, as JSON)
// Keys are joined with '_' and upper-cased. A property may declare extra
// names with the annotation "x-env-alias": "SIGNALFORGE_JWT_SECRET" (a string
// or an array of strings); both the path name and the alias work.
//
// Values are parsed by the property's schema "type": integer, number,
// boolean (true/false/1/0), null, string (taken verbatim), object/array
// (JSON text). With several types, JSON-looking text is tried first, then
// integer, number, boolean, null, and finally string. A value that fits none
// is refused with the variable's name.
//
// Stateless functions; thread-safe.
#ifndef SF_BASE_ENV_OVERRIDES_H_
#define SF_BASE_ENV_OVERRIDES_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sf::base {

struct EnvBinding {
  std::string variable;            // SIGNALFORGE_HTTP_PORT
  std::string pointer;             // /http/port
  std::vector<std::string> types;  // schema "type" names; empty = any
};

// Every variable the schema allows, parents before children (so a child
// variable wins over its parent's JSON). Fails when two paths map to one
// name (e.g. /a_b and /a/b).
StatusOr<std::vector<EnvBinding>> EnvBindings(const nlohmann::json& schema,
                                              std::string_view prefix);

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();  // getenv

// Parses `text` as the binding's type. Errors name the variable and the rule.
StatusOr<nlohmann::json> ParseEnvValue(const EnvBinding& binding, const std::string& text);

// Applies every set variable to `doc` (creating intermediate objects).
// `applied` (optional) receives the variable names used, in order.
Status ApplyEnvOverrides(const std::vector<EnvBinding>& bindings, const EnvLookup& lookup,
                         nlohmann::json& doc, std::vector<std::string>* applied = nullptr);

// Names in `environ`-style entries ("NAME=value") that start with
// prefix + "_" but match no binding: likely typos worth a warning.
std::vector<std::string> UnknownEnvVariables(const std::vector<EnvBinding>& bindings,
                                             std::string_view prefix,
                                             const std::vector<std::string>& environment);

// The current process environment as "NAME=value" entries.
std::vector<std::string> ProcessEnvironment();

}  // namespace sf::base

#endif  // SF_BASE_ENV_OVERRIDES_H_
