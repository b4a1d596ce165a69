// The sf_host_api table every plugin receives, and the per-thread state
// behind it (pending error message, registration target, clock override).
#include "plugins/host_api.h"

#include <atomic>
#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "plugins/validate.h"

// Completes the SDK's opaque handle type: what init's `plugin` points to.
struct sf_plugin_handle {
  sf::plugins::Staging* staging;
};

namespace sf::plugins {
namespace {

struct PendingError {
  bool set = false;
  sf_status code = SF_OK;
  std::string message;
};

thread_local PendingError t_error;
thread_local sf_plugin_handle* t_active = nullptr;
thread_local ScopedHostClock::Clock t_clock = nullptr;
thread_local void* t_clock_user = nullptr;
std::atomic<bool> g_logging{true};

void HostLog(int32_t level, const char* plugin_id, const char* message) {
  if (!g_logging.load(std::memory_order_relaxed)) return;
  const char* who = plugin_id != nullptr ? plugin_id : "plugin";
  const char* text = message != nullptr ? message : "";
  spdlog::level::level_enum lvl = spdlog::level::info;
  switch (level) {
    case SF_LOG_TRACE: lvl = spdlog::level::trace; break;
    case SF_LOG_DEBUG: lvl = spdlog::level::debug; break;
    case SF_LOG_INFO: lvl = spdlog::level::info; break;
    case SF_LOG_WARN: lvl = spdlog::level::warn; break;
    default: lvl = level >= SF_LOG_ERROR ? spdlog::level::err : spdlog::level::info; break;
  }
  spdlog::log(lvl, "[{}] {}", who, text);
}

void HostSetError(sf_status code, const char* message) {
  t_error.set = true;
  t_error.code = code;
  t_error.message = message != nullptr ? message : "(no message)";
}

sf_time_us HostNowUs() {
  if (t_clock != nullptr) return t_clock(t_clock_user);
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The staging a register_* call may write to, or nullptr with the error set.
Staging* Target(sf_plugin_handle* plugin, const char* fn) {
  if (plugin == nullptr || plugin != t_active || plugin->staging == nullptr) {
    HostSetError(SF_ERR_INVALID_ARGUMENT,
                 (std::string(fn) +
                  " called outside init, from another thread, or with a handle that is not the "
                  "one init received")
                     .c_str());
    return nullptr;
  }
  return plugin->staging;
}

// Where an already registered component of this kind and id came from, or "".
template <typename T>
std::string DuplicateOf(const Staging& st, const std::vector<std::unique_ptr<T>>& staged,
                        const T* in_registry, const std::string& id) {
  for (const auto& c : staged) {
    if (c->id == id) return "already registered by this plugin (" + st.plugin_id + ")";
  }
  if (in_registry != nullptr) {
    std::string where = in_registry->plugin_id;
    for (const auto& p : st.registry->plugins()) {
      if (p.id == in_registry->plugin_id) where += " (" + p.path + ")";
    }
    return "already registered by plugin " + where;
  }
  return {};
}

template <typename T, typename Vt, typename CheckFn>
sf_status Register(sf_plugin_handle* plugin, const Vt* vt, sf_component_kind kind,
                   const char* fn, CheckFn check,
                   const T* (Registry::*find)(std::string_view) const,
                   std::vector<std::unique_ptr<T>> Staging::*list) {
  Staging* st = Target(plugin, fn);
  if (st == nullptr) return SF_ERR_INVALID_ARGUMENT;
  auto c = std::make_unique<T>();
  std::vector<std::string> problems = check(vt, &c->vt, &c->metadata);
  if (!problems.empty()) {
    std::string reason = std::string(fn) + ": " + JoinProblems(problems);
    st->errors.push_back(reason);
    HostSetError(SF_ERR_INVALID_ARGUMENT, reason.c_str());
    return SF_ERR_INVALID_ARGUMENT;
  }
  c->kind = kind;
  c->id = c->vt.id;
  c->plugin_id = st->plugin_id;
  c->thread_safe = (c->vt.flags & SF_FLAG_THREAD_SAFE) != 0;
  if (!c->thread_safe) c->serial = std::make_shared<std::mutex>();
  const T* existing = st->registry != nullptr ? (st->registry->*find)(c->id) : nullptr;
  std::string dup = DuplicateOf(*st, st->*list, existing, c->id);
  if (!dup.empty()) {
    std::string reason =
        std::string(fn) + ": duplicate " + KindName(kind) + " id \"" + c->id + "\": " + dup;
    st->errors.push_back(reason);
    HostSetError(SF_ERR_CONFLICT, reason.c_str());
    return SF_ERR_CONFLICT;
  }
  (st->*list).push_back(std::move(c));
  return SF_OK;
}

sf_status RegisterProvider(sf_plugin_handle* plugin, const sf_provider_vtable* vt) {
  return Register<Provider>(plugin, vt, SF_KIND_PROVIDER, "register_provider", CheckProvider,
                            &Registry::FindProvider, &Staging::providers);
}
sf_status RegisterIndicator(sf_plugin_handle* plugin, const sf_indicator_vtable* vt) {
  return Register<Indicator>(plugin, vt, SF_KIND_INDICATOR, "register_indicator",
                             CheckIndicator, &Registry::FindIndicator, &Staging::indicators);
}
sf_status RegisterModel(sf_plugin_handle* plugin, const sf_model_vtable* vt) {
  return Register<Model>(plugin, vt, SF_KIND_MODEL, "register_model", CheckModel,
                         &Registry::FindModel, &Staging::models);
}
sf_status RegisterNotifier(sf_plugin_handle* plugin, const sf_notifier_vtable* vt) {
  return Register<Notifier>(plugin, vt, SF_KIND_NOTIFIER, "register_notifier", CheckNotifier,
                            &Registry::FindNotifier, &Staging::notifiers);
}

#ifndef SF_HOST_VERSION
#define SF_HOST_VERSION "0.0.0"
#endif

const sf_host_api kHostApi = {
    static_cast<uint32_t>(sizeof(sf_host_api)),
    SF_ABI_MAJOR,
    SF_ABI_MINOR,
    SF_HOST_VERSION,
    HostLog,
    HostSetError,
    RegisterProvider,
    RegisterIndicator,
    RegisterModel,
    RegisterNotifier,
    HostNowUs,
};

}  // namespace

const sf_host_api* HostApi() { return &kHostApi; }

std::string TakePluginError(std::string_view fallback) {
  if (!t_error.set) return std::string(fallback);
  std::string out = std::move(t_error.message);
  t_error = PendingError{};
  return out;
}

void ClearPluginError() { t_error = PendingError{}; }

sf_status PendingPluginErrorCode() { return t_error.set ? t_error.code : SF_OK; }

void SetPluginLoggingEnabled(bool enabled) { g_logging.store(enabled); }

ScopedRegistration::ScopedRegistration(Staging* staging)
    : handle_(new sf_plugin_handle{staging}), previous_(t_active) {
  t_active = handle_;
}

ScopedRegistration::~ScopedRegistration() {
  t_active = previous_;
  delete handle_;
}

sf_plugin_handle* ScopedRegistration::handle() const { return handle_; }

ScopedHostClock::ScopedHostClock(Clock clock, void* user)
    : previous_clock_(t_clock), previous_user_(t_clock_user) {
  t_clock = clock;
  t_clock_user = user;
}

ScopedHostClock::~ScopedHostClock() {
  t_clock = previous_clock_;
  t_clock_user = previous_user_;
}

}  // namespace sf::plugins
