#include "app/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sf::app {

extern const char* const kConfigSchemaText;  // config_schema_data.cc (generated)

using nlohmann::json;

const json& ConfigSchemaDocument() {
  static const json doc = json::parse(kConfigSchemaText);
  return doc;
}

const base::JsonSchema& ConfigSchema() {
  static const base::JsonSchema schema = [] {
    auto compiled = base::JsonSchema::Compile(ConfigSchemaDocument());
    // The schema is part of the build; a broken one is a programming error
    // that the test suite catches (tests/base ConfigSchema tests).
    if (!compiled.ok()) {
      std::fprintf(stderr, "signalforge: built-in config schema is broken: %s\n",
                   compiled.status().message().c_str());
      std::abort();
    }
    return *compiled;
  }();
  return schema;
}

const std::vector<base::EnvBinding>& ConfigEnvBindings() {
  static const std::vector<base::EnvBinding> bindings = [] {
    auto b = base::EnvBindings(ConfigSchemaDocument(), kEnvPrefix);
    if (!b.ok()) {
      std::fprintf(stderr, "signalforge: built-in config schema is broken: %s\n",
                   b.status().message().c_str());
      std::abort();
    }
    return *b;
  }();
  return bindings;
}

StatusOr<LoadedConfig> LoadConfig(const std::string& path, const base::EnvLookup& env) {
  LoadedConfig out;
  out.value = json::object();
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return IoError("cannot read config file " + path + ": " + std::strerror(errno) +
                     " (pass --config FILE, or run from the folder holding config/)");
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
      out.value = json::parse(text.str());
    } catch (const json::parse_error& e) {
      return InvalidArgument("config file " + path + " is not valid JSON: " + e.what());
    }
    if (!out.value.is_object())
      return InvalidArgument("config error at /: the config file " + path +
                             " must hold a JSON object");
  }

  SF_RETURN_IF_ERROR(base::ApplyEnvOverrides(ConfigEnvBindings(), env, out.value, &out.env_used));
  ConfigSchema().ApplyDefaults(out.value);

  auto errors = ConfigSchema().Validate(out.value);
  if (errors.empty()) return out;

  std::string message;
  for (const auto& e : errors) {
    if (!message.empty()) message += "\n";
    message +=
        "config error at " + (e.pointer.empty() ? std::string("/") : e.pointer) + ": " + e.message;
    // Name the variable when the offending value came from the environment.
    for (const auto& b : ConfigEnvBindings()) {
      if (std::find(out.env_used.begin(), out.env_used.end(), b.variable) == out.env_used.end())
        continue;
      if (e.pointer == b.pointer || e.pointer.rfind(b.pointer + "/", 0) == 0) {
        message += " (set by environment variable " + b.variable + ")";
        break;
      }
    }
  }
  if (!path.empty()) message += "\n(in config file " + path + ")";
  return InvalidArgument(message);
}

}  // namespace sf::app
