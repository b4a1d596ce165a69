// The plugin loader: opens plugin libraries (dlopen, RTLD_NOW | RTLD_LOCAL),
// negotiates the ABI, runs manifest->init and fills a Registry.
//
// A bad library never crashes or stops the host: it is refused with a reason
// that names what was wrong (not an ELF file, missing entry symbol, ABI major
// mismatch, plugin needs a newer host minor, malformed manifest, duplicate
// component id, a vtable missing a required function). A refused library
// registers nothing (its partial registrations are rolled back).
// Thread-safety: not thread-safe; load at start, before readers exist.
#ifndef SF_PLUGINS_LOADER_H_
#define SF_PLUGINS_LOADER_H_

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/registry.h"

namespace sf::plugins {

struct LoadResult {
  std::string path;
  bool loaded = false;
  std::string plugin_id;  // when the manifest could be read
  std::string reason;     // why it was refused (empty when loaded); every
                          // broken rule, "; "-separated, without the path
  // "refused <path>: <reason>" or "loaded <path>: <plugin id>".
  std::string Message() const;
};

// How the loader works. The defaults suit production.
struct LoaderOptions {
  // Try each library in a forked child first (probe.h): a library that
  // crashes or hangs in its entry point or init is refused and never opened
  // in the host process. Off only where fork is not wanted.
  bool probe = true;
  // How long the probe child may take before it is killed and the library
  // refused as "timed out".
  std::chrono::milliseconds probe_timeout{5000};
  // Log every load ("loaded ...", info) and refusal ("refused <path>:
  // <reason>", warn) through spdlog.
  bool log = true;
};

class Loader {
 public:
  explicit Loader(Registry& registry) : registry_(registry) {}
  Loader(Registry& registry, LoaderOptions options)
      : registry_(registry), options_(options) {}

  // Loads one library. `plugin_configs` maps plugin id -> config object
  // passed to init as JSON ("{}" when absent).
  LoadResult LoadFile(const std::string& path,
                      const nlohmann::json& plugin_configs = nlohmann::json::object());

  // Loads every *.so in each directory (sorted by name, not recursive).
  std::vector<LoadResult> LoadDirectories(
      const std::vector<std::string>& dirs,
      const nlohmann::json& plugin_configs = nlohmann::json::object());

 private:
  Registry& registry_;
  LoaderOptions options_;
};

}  // namespace sf::plugins

#endif  // SF_PLUGINS_LOADER_H_
