// `signalforge plugins` (what the configured directories load) and
// `signalforge plugin check FILE.so` (load one library and report).
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/app_context.h"
#include "app/command.h"
#include "plugins/loader.h"
#include "plugins/registry.h"

namespace sf::app {
namespace {

using nlohmann::json;

const char* KindName(sf_component_kind kind) {
  switch (kind) {
    case SF_KIND_PROVIDER:
      return "provider";
    case SF_KIND_INDICATOR:
      return "indicator";
    case SF_KIND_MODEL:
      return "model";
    case SF_KIND_NOTIFIER:
      return "notifier";
  }
  return "unknown";
}

// Every component `plugin_id` registered, with its kind, flags and metadata.
json ComponentsOf(const plugins::Registry& reg, const std::string& plugin_id) {
  json out = json::array();
  auto add = [&](const plugins::ComponentInfo& c) {
    if (c.plugin_id != plugin_id) return;
    out.push_back({{"kind", KindName(c.kind)},
                   {"id", c.id},
                   {"thread_safe", c.thread_safe},
                   {"metadata", c.metadata.is_null() ? json::object() : c.metadata}});
  };
  for (const auto* c : reg.providers()) add(*c);
  for (const auto* c : reg.indicators()) add(*c);
  for (const auto* c : reg.models()) add(*c);
  for (const auto* c : reg.notifiers()) add(*c);
  return out;
}

json PluginJson(const plugins::Registry& reg, const plugins::PluginInfo& p) {
  return {{"id", p.id},
          {"version", p.version},
          {"name", p.name},
          {"description", p.description},
          {"path", p.path},
          {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)},
          {"min_host_minor", p.min_host_minor},
          {"components", ComponentsOf(reg, p.id)}};
}

void PrintPlugin(const json& p) {
  std::cout << p["id"].get<std::string>() << " " << p["version"].get<std::string>();
  if (!p["name"].get<std::string>().empty()) std::cout << "  " << p["name"].get<std::string>();
  std::cout << "\n  file: " << p["path"].get<std::string>()
            << "\n  abi: " << p["abi"].get<std::string>()
            << " (runs on host minor >= " << p["min_host_minor"] << ")\n";
  if (!p["description"].get<std::string>().empty())
    std::cout << "  description: " << p["description"].get<std::string>() << "\n";
  std::cout << "  components:";
  if (p["components"].empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& c : p["components"]) {
    std::cout << "    " << c["kind"].get<std::string>() << " " << c["id"].get<std::string>()
              << (c["thread_safe"].get<bool>() ? "  (thread-safe)" : "") << "\n";
  }
}

constexpr const char* kPluginsUsage = R"(Usage: signalforge plugins [--json] [--config FILE]

Loads every *.so in the config's /plugins/directories, as `serve` does, and
lists the plugins that loaded with their components, then the libraries that
were refused and why. Exit code 0 even when some were refused.
  --json   {"plugins":[{"id","version","name","description","path","abi",
            "min_host_minor","components":[{"kind","id","thread_safe",
            "metadata"}]}],"refused":[{"path","reason"}]}
)";

int RunPlugins(Context& base_ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("plugins", parsed.status().message());
  if (!parsed->positional.empty())
    return UsageError("plugins", "unexpected argument '" + parsed->positional[0] + "'");
  auto& ctx = static_cast<AppContext&>(base_ctx);
  const auto& reg = ctx.plugins();

  json out = {{"plugins", json::array()}, {"refused", json::array()}};
  for (const auto& p : reg.plugins()) out["plugins"].push_back(PluginJson(reg, p));
  for (const auto& r : ctx.plugin_results())
    if (!r.loaded) out["refused"].push_back({{"path", r.path}, {"reason", r.reason}});

  if (parsed->Has("--json")) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (out["plugins"].empty()) std::cout << "no plugins loaded\n";
  for (const auto& p : out["plugins"]) PrintPlugin(p);
  for (const auto& r : out["refused"])
    std::cout << "refused " << r["path"].get<std::string>() << ": "
              << r["reason"].get<std::string>() << "\n";
  return 0;
}

constexpr const char* kCheckUsage = R"(Usage: signalforge plugin check [--json] FILE.so

Loads one plugin library the way the host does (ELF check, entry symbol, ABI
negotiation, manifest, init with its /plugins/config section, component
registration) and prints its manifest and components. A library that would be
refused is reported on stderr as "refused: <reason>" and the exit code is 1.
No config file is needed; --config FILE supplies plugin settings.
  --json   the manifest as JSON on stdout (also when refused:
           {"path","loaded":false,"reason"})
)";

int RunPluginCheck(Context& ctx, const std::vector<std::string>& args) {
  auto parsed = ParseArgs(args, {"--json"});
  if (!parsed.ok()) return UsageError("plugin check", parsed.status().message());
  if (parsed->positional.size() != 1)
    return UsageError("plugin check", parsed->positional.empty()
                                          ? "missing FILE.so"
                                          : "expected one FILE.so, got " +
                                                std::to_string(parsed->positional.size()));
  const std::string path = parsed->positional[0];
  const auto& section = ctx.config().at("plugins");

  plugins::Registry reg;
  plugins::LoaderOptions options;
  options.probe = section.value("probe", true);
  options.log = false;  // the verdict below is the report
  plugins::Loader loader(reg, options);
  const auto result = loader.LoadFile(path, section.value("config", json::object()));
  const bool json_out = parsed->Has("--json");

  if (!result.loaded) {
    if (json_out)
      std::cout << json{{"path", path}, {"loaded", false}, {"reason", result.reason}}.dump(2)
                << "\n";
    std::cerr << "refused: " << result.reason << "\n";
    return 1;
  }
  int rc = 0;
  for (const auto& p : reg.plugins()) {
    json j = PluginJson(reg, p);
    j["loaded"] = true;
    if (json_out) {
      std::cout << j.dump(2) << "\n";
    } else {
      PrintPlugin(j);
    }
  }
  if (reg.plugins().empty()) {
    std::cerr << "refused: the loader reported success but registered no plugin\n";
    rc = 1;
  }
  reg.Shutdown();
  return rc;
}

const CommandRegistrar kPlugins({"plugins", "List the loaded plugins and their components",
                                 kPluginsUsage, &RunPlugins});
const CommandRegistrar kPluginCheck({"plugin check",
                                     "Load one plugin library and print its manifest, or why "
                                     "it is refused",
                                     kCheckUsage, &RunPluginCheck, /*needs_config=*/false});

}  // namespace
}  // namespace sf::app
