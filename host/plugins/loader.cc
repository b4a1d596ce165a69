#include "plugins/loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "plugins/elf_check.h"
#include "plugins/host_api.h"
#include "plugins/probe.h"
#include "plugins/validate.h"

namespace sf::plugins {
namespace {

// One library on its way in: opened, manifest read, init run, components
// staged. Nothing reaches the Registry until Commit.
struct Attempt {
  void* handle = nullptr;
  bool init_called = false;
  sf_plugin_manifest manifest{};
  Staging staging;
};

std::string ConfigFor(const nlohmann::json& configs, const std::string& id) {
  if (configs.is_object()) {
    auto it = configs.find(id);
    if (it != configs.end()) return it->dump();
  }
  return "{}";
}

// Everything short of committing: file check, dlopen, entry, manifest, the
// plugin id, init and its registrations. Returns "" or the reason.
std::string RunAttempt(const std::string& path, const nlohmann::json& configs,
                       const Registry& registry, Attempt* a, const ProbeProgress* progress) {
  std::string elf = CheckElfFile(path);
  if (!elf.empty()) return elf;

  ::dlerror();
  a->handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (a->handle == nullptr) {
    const char* err = ::dlerror();
    return std::string("dlopen failed: ") + (err ? err : "unknown error");
  }
  ::dlerror();
  void* sym = ::dlsym(a->handle, SF_PLUGIN_ENTRY_SYMBOL);
  if (sym == nullptr) {
    const char* err = ::dlerror();
    return std::string("missing entry symbol " SF_PLUGIN_ENTRY_SYMBOL
                       " (declare it with SF_PLUGIN_ENTRY; dlsym: ") +
           (err ? err : "NULL") + ")";
  }
  auto entry = reinterpret_cast<sf_plugin_entry_fn>(sym);

  if (progress) progress->stage("entry");
  ClearPluginError();
  const sf_plugin_manifest* m = entry(HostApi());
  if (m == nullptr) {
    return "the entry point returned no manifest: " +
           TakePluginError("(the plugin gave no reason)");
  }
  std::vector<std::string> problems = CheckManifest(m, &a->manifest);
  if (a->manifest.id != nullptr && CheckPluginId(a->manifest.id).empty()) {
    a->staging.plugin_id = a->manifest.id;
    if (progress) progress->plugin(a->staging.plugin_id);
  }
  if (!problems.empty()) return "manifest: " + JoinProblems(problems);
  for (const auto& p : registry.plugins()) {
    if (p.id == a->staging.plugin_id) {
      return "duplicate plugin id \"" + p.id + "\": already loaded from " + p.path;
    }
  }

  if (progress) progress->stage("init");
  a->staging.registry = &registry;
  std::string config = ConfigFor(configs, a->staging.plugin_id);
  ClearPluginError();
  sf_status s;
  {
    ScopedRegistration scope(&a->staging);
    a->init_called = true;
    s = a->manifest.init(HostApi(), scope.handle(), config.c_str());
  }
  std::string message = TakePluginError("");
  if (!a->staging.errors.empty()) {
    return "registration refused: " + JoinProblems(a->staging.errors);
  }
  if (s < 0) {
    return std::string("init failed (") + sf_status_name(s) + "): " +
           (message.empty() ? "(the plugin gave no reason)" : message);
  }
  return {};
}

void Commit(std::map<std::string, std::unique_ptr<Indicator>, std::less<>>& ind,
            std::map<std::string, std::unique_ptr<Provider>, std::less<>>& prov,
            std::map<std::string, std::unique_ptr<Model>, std::less<>>& mod,
            std::map<std::string, std::unique_ptr<Notifier>, std::less<>>& notif,
            std::vector<PluginInfo>& plugins, const std::string& path, Attempt& a) {
  PluginInfo info;
  const sf_plugin_manifest& m = a.manifest;
  info.id = a.staging.plugin_id;
  info.version = m.version;
  info.name = m.name ? m.name : "";
  info.description = m.description ? m.description : "";
  info.path = path;
  info.abi_major = m.abi_major;
  info.abi_minor = m.abi_minor;
  info.min_host_minor = m.min_host_minor;
  info.shutdown = m.shutdown;
  auto move_all = [&](auto& staged, auto& target) {
    for (auto& c : staged) {
      info.components.push_back(std::string(KindName(c->kind)) + ":" + c->id);
      std::string id = c->id;
      target.emplace(std::move(id), std::move(c));
    }
    staged.clear();
  };
  move_all(a.staging.providers, prov);
  move_all(a.staging.indicators, ind);
  move_all(a.staging.models, mod);
  move_all(a.staging.notifiers, notif);
  plugins.push_back(std::move(info));
}

}  // namespace

std::string LoadResult::Message() const {
  if (loaded) return "loaded " + path + ": " + plugin_id;
  return "refused " + path + ": " + reason;
}

LoadResult Loader::LoadFile(const std::string& path, const nlohmann::json& plugin_configs) {
  LoadResult result;
  result.path = path;
  auto finish = [&](LoadResult r) {
    if (options_.log) {
      if (r.loaded) {
        spdlog::info("{}", r.Message());
      } else {
        spdlog::warn("{}", r.Message());
      }
    }
    return r;
  };

  if (options_.probe) {
    // The child sees a copy of the registry, so it refuses duplicates too.
    ProbeOutcome probe = RunProbe(
        [&](const ProbeProgress& progress) {
          Attempt a;
          return RunAttempt(path, plugin_configs, registry_, &a, &progress);
        },
        options_.probe_timeout);
    if (!probe.ok) {
      result.plugin_id = probe.plugin_id;
      result.reason = probe.reason;
      return finish(result);
    }
  }

  Attempt a;
  std::string reason = RunAttempt(path, plugin_configs, registry_, &a, nullptr);
  result.plugin_id = a.staging.plugin_id;
  if (!reason.empty()) {
    // A library whose init ran may have started threads or handed out
    // pointers; it stays mapped (plugins are never unloaded). One refused
    // before init is closed.
    if (a.handle != nullptr && !a.init_called) ::dlclose(a.handle);
    result.reason = reason;
    return finish(result);
  }
  Commit(registry_.indicators_, registry_.providers_, registry_.models_,
         registry_.notifiers_, registry_.plugins_, path, a);
  result.loaded = true;
  return finish(result);
}

std::vector<LoadResult> Loader::LoadDirectories(const std::vector<std::string>& dirs,
                                                const nlohmann::json& plugin_configs) {
  namespace fs = std::filesystem;
  std::vector<LoadResult> results;
  for (const auto& dir : dirs) {
    std::error_code ec;
    fs::file_status st = fs::status(dir, ec);
    if (!fs::is_directory(st)) {
      LoadResult r;
      r.path = dir;
      r.reason = st.type() == fs::file_type::not_found ? "plugin directory does not exist"
                 : ec ? "plugin directory unreadable: " + ec.message()
                      : "not a directory (plugin directories hold *.so files)";
      if (options_.log) spdlog::warn("{}", r.Message());
      results.push_back(std::move(r));
      continue;
    }
    std::vector<std::string> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() != ".so") continue;
      std::error_code fec;
      if (!it->is_regular_file(fec)) continue;
      files.push_back(p.string());
    }
    if (ec) {
      LoadResult r;
      r.path = dir;
      r.reason = "plugin directory unreadable: " + ec.message();
      if (options_.log) spdlog::warn("{}", r.Message());
      results.push_back(std::move(r));
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) results.push_back(LoadFile(f, plugin_configs));
  }
  return results;
}

}  // namespace sf::plugins
