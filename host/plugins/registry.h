// The plugin registry: every component that loaded plugins registered, by
// kind and id. Built by the loader (loader.h) at start; read-only afterwards.
//
// Ownership: the registry owns the copies of the vtables (each copied into a
// zeroed struct of this host's size, so fields an older plugin did not know
// read as NULL/0). The plugin libraries stay mapped for the life of the
// process. Thread-safety: after loading finishes, every const method may be
// called from any thread.
#ifndef SF_PLUGINS_REGISTRY_H_
#define SF_PLUGINS_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "signalforge/signalforge.h"

namespace sf::plugins {

// A loaded plugin library.
struct PluginInfo {
  std::string id;          // reverse-DNS, from the manifest
  std::string version;
  std::string name;
  std::string description;
  std::string path;        // the .so it came from
  uint16_t abi_major = 0;
  uint16_t abi_minor = 0;
  uint16_t min_host_minor = 0;
  std::vector<std::string> components;  // "indicator:sma", "provider:csv" ...
  void (*shutdown)(void) = nullptr;     // manifest->shutdown, may be NULL
};

// What every registered component has in common.
struct ComponentInfo {
  sf_component_kind kind{};
  std::string id;          // e.g. "sma", "csv", "webhook"
  std::string plugin_id;   // owning plugin
  nlohmann::json metadata; // parsed metadata_json
  bool thread_safe = false;
  // Set when the component is not thread-safe (no SF_FLAG_THREAD_SAFE): held
  // around calls that have no instance (indicator lookback/compute); calls on
  // an instance are serialised per instance (see plugin_call.h). Shared so
  // that a copied ComponentInfo shares the lock.
  std::shared_ptr<std::mutex> serial;
};

struct Indicator : ComponentInfo {
  sf_indicator_vtable vt{};  // host-size copy
  bool streaming() const { return vt.stream_create && vt.stream_update && vt.stream_destroy; }
};
struct Provider : ComponentInfo { sf_provider_vtable vt{}; };
struct Model : ComponentInfo { sf_model_vtable vt{}; };
struct Notifier : ComponentInfo { sf_notifier_vtable vt{}; };

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const std::vector<PluginInfo>& plugins() const { return plugins_; }

  const Indicator* FindIndicator(std::string_view id) const;
  const Provider* FindProvider(std::string_view id) const;
  const Model* FindModel(std::string_view id) const;
  const Notifier* FindNotifier(std::string_view id) const;

  std::vector<const Indicator*> indicators() const;
  std::vector<const Provider*> providers() const;
  std::vector<const Model*> models() const;
  std::vector<const Notifier*> notifiers() const;

  // JSON summary for `signalforge plugins`, /healthz and the API:
  // {"host_abi":"1.0","plugins":[{"id","version","name","description",
  //   "path","abi":"1.0","min_host_minor",
  //   "components":[{"kind":"indicator","id":"sma"}...]}...]}
  nlohmann::json Describe() const;

  // Calls every plugin's manifest->shutdown once, in reverse load order.
  // Call at host exit after every instance was destroyed. Idempotent.
  void Shutdown();

 private:
  friend class Loader;
  std::vector<PluginInfo> plugins_;
  std::map<std::string, std::unique_ptr<Indicator>, std::less<>> indicators_;
  std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;
  std::map<std::string, std::unique_ptr<Model>, std::less<>> models_;
  std::map<std::string, std::unique_ptr<Notifier>, std::less<>> notifiers_;
};

// The message a plugin attached (through sf_host_api.set_error) to the
// status its most recent call on this thread returned, cleared by the read.
// Use after any call into a plugin that returned non-OK:
//   sf_status s = ind->vt.compute(...);
//   if (s < 0) return Status(s, TakePluginError(ind->id + ": compute failed"));
std::string TakePluginError(std::string_view fallback);

// Clears any pending plugin error on this thread (call before a plugin call
// when the previous caller may not have taken it).
void ClearPluginError();

// The host API table given to every plugin (static, lives forever).
const sf_host_api* HostApi();

}  // namespace sf::plugins

#endif  // SF_PLUGINS_REGISTRY_H_
