// The host side of the SDK's sf_host_api table (see signalforge/abi.h):
// logging, per-thread error messages, the clock, and the registration calls
// a plugin makes from its init. HostApi() itself is declared in registry.h.
//
// Registration is staged: register_* validates a vtable and copies it into a
// zeroed host-size struct held by the Staging of the library being loaded;
// the loader moves the staged components into the Registry only when the
// whole library passed, so a refused library registers nothing.
// Thread-safety: one Staging is used by the one thread running init.
#ifndef SF_PLUGINS_HOST_API_H_
#define SF_PLUGINS_HOST_API_H_

#include <memory>
#include <string>
#include <vector>

#include "plugins/registry.h"
#include "signalforge/signalforge.h"

namespace sf::plugins {

// Components a library registered during init, not yet in the Registry.
struct Staging {
  std::string plugin_id;
  const Registry* registry = nullptr;  // for duplicate checks
  std::vector<std::unique_ptr<Provider>> providers;
  std::vector<std::unique_ptr<Indicator>> indicators;
  std::vector<std::unique_ptr<Model>> models;
  std::vector<std::unique_ptr<Notifier>> notifiers;
  std::vector<std::string> errors;  // every refused registration, in order
  size_t component_count() const {
    return providers.size() + indicators.size() + models.size() + notifiers.size();
  }
};

// Makes `staging` the target of register_* calls on this thread until the
// scope ends (the loader wraps manifest->init in one). The sf_plugin_handle
// the plugin receives is handle().
class ScopedRegistration {
 public:
  explicit ScopedRegistration(Staging* staging);
  ~ScopedRegistration();
  ScopedRegistration(const ScopedRegistration&) = delete;
  ScopedRegistration& operator=(const ScopedRegistration&) = delete;
  sf_plugin_handle* handle() const;

 private:
  sf_plugin_handle* handle_;
  sf_plugin_handle* previous_;
};

// Overrides the clock plugins see through now_us on this thread (a backtest
// installs its simulated clock) until the scope ends.
class ScopedHostClock {
 public:
  using Clock = sf_time_us (*)(void* user);
  ScopedHostClock(Clock clock, void* user);
  ~ScopedHostClock();
  ScopedHostClock(const ScopedHostClock&) = delete;
  ScopedHostClock& operator=(const ScopedHostClock&) = delete;

 private:
  Clock previous_clock_;
  void* previous_user_;
};

// In a probe child (probe.h) logging through spdlog is unsafe after fork;
// the child turns plugin logging off.
void SetPluginLoggingEnabled(bool enabled);

// The status code of the pending plugin error on this thread, or SF_OK.
sf_status PendingPluginErrorCode();

}  // namespace sf::plugins

#endif  // SF_PLUGINS_HOST_API_H_
